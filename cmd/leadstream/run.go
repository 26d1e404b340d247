package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/term"

	"github.com/leadstream/leadstream/config"
	"github.com/leadstream/leadstream/internal/opsserver"
	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/pipeline"
)

const runHelp = `Runs the whole pipeline in this process: the main line normalize →
validate → dedupe → enrich → sink, the review queue (records held for a
person), crm (the HaloPSA webhook endpoint on --api-addr and the
reconciliation poll) and, with --webhooks-file, notify (outbound webhooks).
Without --brokers it starts the embedded broker (kfake) on --embedded-addr,
persisting under --data-dir, so any Kafka tool can connect and a restart
resumes where it stopped.

With --import the files are streamed into leads.raw once the pipeline is
up: canonical CSV or a provider's export as it comes (CSV with any
delimiter, JSON, JSON lines or XLSX), the provider detected from the header
or named with --provider. A file imported before resumes after its last
checkpoint. With --until-idle the command waits until every imported record
has reached exactly one outcome (synced, merged, review, rejected,
suppressed or dead-lettered), prints the summary and exits; it exits 1 if
the counts do not add up. Without it the pipeline runs until Ctrl-C.

Examples:
  leadstream run --import examples/leads.csv --until-idle
  leadstream run --import apollo-export.csv --provider apollo --until-idle
  leadstream run --brokers kafka-1:9092,kafka-2:9092 --data-dir /var/lib/leadstream

` + haloEnvHelp + `

` + enrichEnvHelp

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newFlags("run", "[flags]", runHelp, stderr, allFlags)
	var imports config.List
	c.fs.Var(&imports, "import", "file to stream in once the pipeline is up: canonical CSV or a provider export (CSV, JSON, JSON lines, XLSX); repeatable")
	untilIdle := c.fs.Bool("until-idle", false, "exit once every imported record has reached an outcome, printing the summary")
	embeddedAddr := c.fs.String("embedded-addr", pipeline.DefaultEmbeddedAddr, "listen address of the embedded broker")
	maxWait := c.fs.Duration("max-wait", 0, "with --until-idle, give up after this long and fail (0: no limit)")
	provider := c.fs.String("provider", "", "source key of the import files (apollo, zoominfo, …; csv = canonical); empty detects it from the header")
	mappings := c.fs.String("mappings", "", "JSON file overriding or adding field mappings per provider")
	pollEvery := c.fs.Duration("halo-poll-interval", 15*time.Minute, "how often the crm stage polls HaloPSA for changes its webhooks missed (0 or less: never)")
	webhooksFile := c.fs.String("webhooks-file", "", "JSON file of outbound webhook subscriptions [{url, secret, events, enabled}] (secrets: keep it private)")
	progress := c.fs.String("progress", "auto", "progress bars on stderr: auto (when it is a terminal), always or never")
	brokerDir := c.fs.String("broker-dir", "", "where the embedded broker keeps its topics (default DATA_DIR/broker; "+system.BrokerInMemory+": in memory only, lost when the process stops). The broker cannot encrypt them, so with --state-key give a directory on an encrypted volume or "+system.BrokerInMemory)
	retention := c.fs.Duration("retention", pipeline.DefaultRetention, "how long the non-compacted topics (leads.raw … leads.synced, leads.dlq) keep records, set when they are created; the compacted changelogs keep the state")
	apiOpts := addAPIFlags(c.fs)
	precedence := addPrecedenceFlag(c.fs)
	if err := c.parse(args); err != nil {
		return err
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	key, err := c.stateKey()
	if err != nil {
		return err
	}
	supKey, err := suppressionKeyFromEnv(log)
	if err != nil {
		return err
	}
	refresh, err := tenantRefreshFromEnv()
	if err != nil {
		return err
	}
	orgTickets, err := organisationTicketsFromEnv()
	if err != nil {
		return err
	}
	if err := apiOpts.resolveSecrets(c.secretWarn); err != nil {
		return err
	}
	prec, err := precedence()
	if err != nil {
		return err
	}
	if len(c.brokers) == 0 {
		log.Info("no --brokers given: using the embedded broker", "addr", *embeddedAddr, "data_dir", c.dataDir)
	}
	reg := opsserver.NewRegistry()
	halo, err := haloFromEnv(log, reg, c.dataDir)
	if err != nil {
		return err
	}
	notifier, err := loadWebhooks(*webhooksFile, log, reg)
	if err != nil {
		return err
	}
	enricher, err := enrichFromEnv(log, reg, c.partitions)
	if err != nil {
		return err
	}
	sys, err := system.Start(ctx, system.Options{
		Brokers:        c.brokers,
		EmbeddedAddr:   *embeddedAddr,
		DataDir:        c.dataDir,
		Partitions:     int32(c.partitions),
		ExactlyOnce:    c.exactlyOnce,
		MaxBatch:       c.maxBatch,
		StateKey:       key,
		BrokerDir:      *brokerDir,
		SessionTimeout: c.sessionTimeout,
		Logger:         log,
		Registerer:     reg,
		Provider:       *provider,
		Mappings:       *mappings,
		Progress:       progressWriter(*progress, stderr),
		Namespace:      pipeline.Namespace(c.namespace),
		Retention:      *retention,
		StageConfig: system.StageConfig{Halo: halo, Notify: notifier, PollInterval: pollInterval(*pollEvery), Precedence: prec,
			SuppressionKey: supKey, Enrich: enricher, ImportSourceLabel: os.Getenv("HALOPSA_IMPORT_SOURCE"), HaloTenantRefresh: refresh,
			HaloOrganisationTickets: orgTickets},
	})
	if err != nil {
		return err
	}
	defer sys.Close()
	if err := startOps(ctx, c.metricsAddr, reg, sys.Ready, log); err != nil {
		return err
	}
	if err := startAPI(ctx, apiOpts, sys, apiDeps{dataDir: c.dataDir, namespace: c.namespace, halo: halo}, reg, log); err != nil {
		return err
	}

	started := time.Now()
	results, importErr := sys.Import(ctx, imports...)
	reportImports(stderr, results)
	if importErr != nil && (ctx.Err() != nil || !*untilIdle) {
		return importErr
	}
	if !*untilIdle {
		<-ctx.Done()
		log.Info("shutting down: in-flight batches finish, then the stages leave their groups")
		if len(results) > 0 {
			// A short look at what has reached an outcome so far.
			wctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			sum, _ := sys.WaitForOutcomes(wctx, results, nil)
			cancel()
			fmt.Fprintln(stdout, "summary (interrupted; records still in flight resume on the next run):")
			sum.Print(stdout)
		}
		return nil
	}

	wctx := ctx
	if *maxWait > 0 {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(ctx, *maxWait)
		defer cancel()
	}
	var sum pipeline.Summary
	if len(results) == 0 {
		sum, err = sys.SummarizeAll(wctx)
	} else {
		pctx, stop := context.WithCancel(wctx)
		bar := newOutcomeProgress(pctx, progressWriter(*progress, stderr), importedRows(results), started, sys.Lag)
		sum, err = sys.WaitSettled(wctx, results, bar.Update)
		stop()
	}
	fmt.Fprintln(stdout, "summary:")
	sum.Print(stdout)
	reportEnrich(stdout, enricher)
	printThroughput(stdout, sum, time.Since(started))
	reportHalo(stdout, halo, sum)
	if err == nil {
		notifySyncCompleted(ctx, notifier, results, sum, log)
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("gave up after --max-wait %s: %d of %d records reached an outcome", *maxWait, sum.Total(), sum.Read)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted with %d of %d records at an outcome (run it again to resume): %w", sum.Total(), sum.Read, ctx.Err())
		}
		return err
	}
	if importErr != nil {
		// The files that could be read have reached their outcomes; the
		// run still fails for the ones that could not.
		return importErr
	}
	return sum.Check()
}

// startOps serves metrics and health checks; a busy address fails the
// start (a process without its metrics or health checks would look dead to
// whatever watches it).
// address is taken.
func startOps(ctx context.Context, addr string, reg *prometheus.Registry, ready func(context.Context) error, log *slog.Logger) error {
	if addr == "" {
		return nil
	}
	bound, err := opsserver.Start(ctx, addr, reg, ready, log)
	if err != nil {
		return fmt.Errorf("--metrics-addr %s: %w (is another leadstream running? give another address, or an empty one to serve no metrics)", addr, err)
	}
	log.Info("serving /metrics, /healthz and /readyz", "addr", bound)
	return nil
}

// progressWriter decides where progress bars go.
func progressWriter(mode string, stderr io.Writer) io.Writer {
	switch mode {
	case "always":
		return stderr
	case "never":
		return nil
	}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return stderr
	}
	return nil
}

// reportImports prints per-file counts and the first errors.
func reportImports(w io.Writer, results []pipeline.ImportResult) {
	for _, r := range results {
		if r.Err != nil {
			fmt.Fprintf(w, "failed %s: %v\n", r.File, r.Err)
			if r.Rows == 0 {
				continue
			}
		}
		fmt.Fprintf(w, "imported %s: %d rows, %d sent, %d malformed, %d already imported (import %s)\n",
			r.File, r.Rows, r.Produced, r.Malformed, r.Resumed, r.ImportID)
		for _, e := range r.FirstErrors {
			fmt.Fprintf(w, "  %s\n", e)
		}
		if shown := len(r.FirstErrors); r.Malformed > shown {
			fmt.Fprintf(w, "  … and %d more malformed rows in leads.dlq\n", r.Malformed-shown)
		}
	}
}
