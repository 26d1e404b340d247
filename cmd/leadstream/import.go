package main

import (
	"context"
	"fmt"
	"io"

	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/pipeline"
)

const importHelp = `Streams files into leads.raw of a running pipeline (by default the
embedded broker of a "leadstream run" on this machine), with a progress bar
and back-pressure. A file is canonical CSV or a provider's export as it
comes (CSV with any delimiter, JSON, JSON lines or XLSX); the provider is
detected from the header, or named with --provider (which then applies to
every file). Malformed rows go to leads.dlq naming the file and line; the
rest of the file flows. A file imported before (same content) resumes after
its last checkpoint instead of being sent twice.

Examples:
  leadstream import exports/apollo-2026-11.csv exports/zoominfo.xlsx
  leadstream import bookyourdata.csv --provider bookyourdata`

func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newFlags("import", "FILE... [flags]", importHelp, stderr, configFlag, kafkaFlags, topicFlags, dataFlags, logFlags, memoryFlags)
	provider := c.fs.String("provider", "", "source key of the import files (apollo, zoominfo, …; csv = canonical); empty detects it from the header")
	mappings := c.fs.String("mappings", "", "JSON file overriding or adding field mappings per provider")
	progress := c.fs.String("progress", "auto", "progress bars on stderr: auto, always or never")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() == 0 {
		c.fs.Usage()
		return errUsage
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	sys, err := system.Start(ctx, system.Options{
		Brokers:    c.brokerList(),
		DataDir:    c.dataDir,
		Partitions: int32(c.partitions),
		Stages:     []string{},
		Logger:     log,
		Provider:   *provider,
		Mappings:   *mappings,
		Progress:   progressWriter(*progress, stderr),
		Namespace:  pipeline.Namespace(c.namespace),
	})
	if err != nil {
		return err
	}
	defer sys.Close()
	results, err := sys.Import(ctx, c.fs.Args()...)
	reportImports(stdout, results)
	var rows, sent, bad, failed int
	for _, r := range results {
		rows, sent, bad = rows+r.Rows, sent+r.Produced, bad+r.Malformed
		if r.Err != nil {
			failed++
		}
	}
	fmt.Fprintf(stdout, "total: %d files (%d failed), %d rows, %d sent to leads.raw, %d malformed to leads.dlq\n", len(results), failed, rows, sent, bad)
	if err != nil {
		return fmt.Errorf("%d of %d files failed (see above)", failed, len(results))
	}
	return nil
}
