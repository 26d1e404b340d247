package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/connectors/csvfile"
	"github.com/leadstream/leadstream/internal/evaluate"
	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/dedupe"
	"github.com/leadstream/leadstream/stages/review"
)

const evalHelp = `Measures deduplication on a labelled file: runs it through the real
pipeline (embedded broker, all stages, dry-run sink) in a fresh data
directory, takes each record's final lead id as its predicted cluster and
prints one JSON object with pairwise precision, recall and F1 and B-cubed
precision, recall and F1 under "bcubed" (records held in review, rejected
or dead-lettered count as singletons). It counts once the pipeline is
idle, so a held record that dedupe resolved itself when its lead
appeared counts where it ended. The quality gate is off: eval measures
matching, not data quality.

--level chooses what a cluster is: "lead" (default) the lead each record
ended in; "organisation" the organisation (HaloPSA Client) of an
organisation record's lead or of a person record's site; "site" the site
(an organisation lead, so two addresses of one organisation are two): an
organisation record's lead, a person record's site when it gives its
company with a domain, website, address or phone (a person seen at two
sites counts at both). Use organisation for files of
company names, such as testdata/datasets/patstat.csv, where one entity
holding most pairs makes the pairwise figures mostly about it: read the
B-cubed ones beside them.

Every dedupe partition matches against the leads of all partitions (the
global candidate view), so --partitions 1 and the default should agree up
to the order records arrive in. "dedupe_input_per_partition" shows how the
file's records spread over the dedupe partitions, "routed" how many were
sent on to the partition that owns their lead.

Examples:
  leadstream eval --file testdata/datasets/febrl1.csv
  leadstream eval --file testdata/datasets/patstat.csv --level organisation --partitions 1`

// evalReport is what eval prints.
type evalReport struct {
	File string `json:"file"`
	// Partitions per topic: records meet for matching only within one
	// (records are keyed by organisation), so the figure depends on it.
	Partitions int `json:"partitions"`
	// Level is what a cluster is: lead, organisation or site.
	Level string `json:"level"`
	evaluate.Scores
	BCubed   evaluate.BCubed          `json:"bcubed"`
	Outcomes map[pipeline.Outcome]int `json:"outcomes"`
	// DedupeInput is how many of the file's records reached each dedupe
	// partition (leads.valid, first delivery; a record routed to the
	// partition of its lead counts once more under Routed).
	DedupeInput []int `json:"dedupe_input_per_partition"`
	// Routed is how many records dedupe sent on to another partition.
	Routed int `json:"routed"`
	// Resolved is how many records held for review dedupe decided itself
	// once their lead appeared (they came back to it to be merged).
	Resolved      int         `json:"resolved_from_review"`
	Seconds       float64     `json:"seconds"`
	RecordsPerSec float64     `json:"records_per_second"`
	HaloPSA       *haloReport `json:"halopsa,omitempty"`
}

func evalCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newFlags("eval", "--file F.csv [flags]", evalHelp, stderr, configFlag, topicFlags, logFlags, memoryFlags)
	file := c.fs.String("file", "", "labelled canonical CSV")
	truthCol := c.fs.String("truth-column", "entity_id", "column with the true entity of each record")
	idCol := c.fs.String("id-column", "record_id", "column with each record's id")
	clustersOut := c.fs.String("clusters-out", "", "also write each record's predicted cluster to this CSV (record_id,cluster)")
	level := c.fs.String("level", system.LevelLead, "what a cluster is: lead, organisation (a company's Client) or site")
	withHalo := c.fs.Bool("halo-sandbox", false, "write to an in-process HaloPSA emulator (300 requests / 5 min) and report its users, tickets and clients against the true persons")
	c.logLevel = "warn"
	if err := c.parse(args); err != nil {
		return err
	}
	if *file == "" {
		c.fs.Usage()
		return errUsage
	}
	switch *level {
	case system.LevelLead, system.LevelOrganisation, system.LevelSite:
	default:
		return fmt.Errorf("eval: --level %q: want lead, organisation or site", *level)
	}
	truth, err := readTruth(*file, *idCol, *truthCol)
	if err != nil {
		return err
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	dataDir, err := os.MkdirTemp("", "leadstream-eval-")
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	defer os.RemoveAll(dataDir)
	stageCfg := system.StageConfig{ReviewBelow: -1}
	var sandbox *evalSandbox
	if *withHalo {
		if sandbox, err = startEvalSandbox(); err != nil {
			return err
		}
		defer sandbox.close()
		stageCfg.Halo = sandbox.c
	}
	start := time.Now()
	sys, err := system.Start(ctx, system.Options{
		EmbeddedAddr:       "127.0.0.1:0",
		DataDir:            dataDir,
		Partitions:         int32(c.partitions),
		Logger:             log,
		GroundTruthColumns: []string{*truthCol},
		// eval measures matching: the quality gate would hold records
		// whose only fault is thin data, so it is off here.
		StageConfig: stageCfg,
	})
	if err != nil {
		return err
	}
	defer sys.Close()
	results, err := sys.Import(ctx, *file)
	if err != nil {
		return err
	}
	sum, err := sys.WaitSettled(ctx, results, nil)
	if err != nil {
		return err
	}
	predicted, err := sys.ClustersAt(ctx, *level, results[0].ImportID)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	perPartition, routed, resolved, err := dedupeInput(ctx, sys.Brokers(), sys.Keyring(), results[0].ImportID, c.partitions)
	if err != nil {
		return err
	}
	if *clustersOut != "" {
		if err := writeClusters(*clustersOut, truth, predicted); err != nil {
			return err
		}
	}
	rep := evalReport{
		File:          filepath.Base(*file),
		Partitions:    c.partitions,
		Level:         *level,
		Scores:        evaluate.Pairwise(truth, predicted),
		BCubed:        evaluate.BCubedScores(truth, predicted),
		Outcomes:      sum.Counts,
		DedupeInput:   perPartition,
		Routed:        routed,
		Resolved:      resolved,
		Seconds:       elapsed.Seconds(),
		RecordsPerSec: float64(sum.Read) / elapsed.Seconds(),
	}
	if sandbox != nil {
		rep.HaloPSA = sandbox.report(truth)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	fmt.Fprintln(stdout, string(b))
	log.Debug("eval done", slog.Int("records", rep.Records))
	return nil
}

// dedupeInput counts the records of import id on leads.valid per
// partition (a routed record apart): how the stream spread over the
// dedupe partitions. s opens the sealed records.
func dedupeInput(ctx context.Context, brokers []string, s pipeline.Sealer, id string, partitions int) (counts []int, routed, resolved int, err error) {
	counts = make([]int, max(partitions, 1))
	var decodeErr error
	err = pipeline.ReadTopic(ctx, brokers, pipeline.TopicValid, func(r *kgo.Record) {
		env, err := pipeline.OpenEnvelope(ctx, r, s)
		if err != nil {
			decodeErr = err
			return
		}
		switch {
		case env.Source.ImportID != id:
		case env.Decision == dedupe.DecisionRouted:
			routed++
		case strings.HasPrefix(env.Decision, review.DecisionMergePrefix):
			resolved++
		case int(r.Partition) < len(counts):
			counts[r.Partition]++
		}
	})
	if err == nil {
		err = decodeErr
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("eval: read %s: %w", pipeline.TopicValid, err)
	}
	return counts, routed, resolved, nil
}

// readTruth maps record ids to entities.
func readTruth(path, idCol, truthCol string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	r, err := csvfile.NewReader(f, csvfile.Options{})
	if err != nil {
		return nil, fmt.Errorf("eval: %s: %w", path, err)
	}
	truth := map[string]string{}
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("eval: %s: %w", path, err)
		}
		if row.Err != nil {
			continue
		}
		id, entity := row.Fields[idCol], row.Fields[truthCol]
		if id == "" || entity == "" {
			return nil, fmt.Errorf("eval: %s:%d: no %s or %s", path, row.Line, idCol, truthCol)
		}
		truth[id] = entity
	}
	if len(truth) == 0 {
		return nil, fmt.Errorf("eval: %s has no labelled records", path)
	}
	return truth, nil
}

// writeClusters writes record_id,cluster for every labelled record (a
// record with no cluster is its own).
func writeClusters(path string, truth, predicted map[string]string) error {
	ids := make([]string, 0, len(truth))
	for id := range truth {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var b strings.Builder
	b.WriteString("record_id,cluster\n")
	for _, id := range ids {
		c := predicted[id]
		if c == "" {
			c = "single:" + id
		}
		fmt.Fprintf(&b, "%s,%s\n", id, c)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	return nil
}
