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

const runHelp = `Runs all five stages in this process. Without --brokers it starts the
embedded broker (kfake) on --embedded-addr, persisting under --data-dir, so
any Kafka tool can connect and a restart resumes where it stopped.

With --import the files are streamed into leads.raw once the pipeline is up.
With --until-idle the command waits until every imported record has reached
exactly one outcome (synced, merged, review, rejected or dead-lettered),
prints the summary and exits; it exits 1 if the counts do not add up.

Examples:
  leadstream run --import examples/leads.csv --until-idle
  leadstream run --brokers kafka-1:9092,kafka-2:9092 --data-dir /var/lib/leadstream

` + haloEnvHelp

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newFlags("run", "[flags]", runHelp, stderr)
	var imports config.List
	c.fs.Var(&imports, "import", "canonical CSV file to stream in once the pipeline is up (repeatable)")
	untilIdle := c.fs.Bool("until-idle", false, "exit once every imported record has reached an outcome, printing the summary")
	embeddedAddr := c.fs.String("embedded-addr", pipeline.DefaultEmbeddedAddr, "listen address of the embedded broker")
	maxWait := c.fs.Duration("max-wait", 0, "with --until-idle, give up after this long and fail (0: no limit)")
	provider := c.fs.String("provider", "", "source key of the import files (apollo, zoominfo, …; csv = canonical); empty detects it from the header")
	mappings := c.fs.String("mappings", "", "JSON file overriding or adding field mappings per provider")
	pollEvery := c.fs.Duration("halo-poll-interval", 15*time.Minute, "how often the crm stage polls HaloPSA for changes its webhooks missed (0 or less: never)")
	webhooksFile := c.fs.String("webhooks-file", "", "JSON file of outbound webhook subscriptions [{url, secret, events, enabled}] (secrets: keep it private)")
	progress := c.fs.String("progress", "auto", "progress bars on stderr: auto (when it is a terminal), always or never")
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
	sys, err := system.Start(ctx, system.Options{
		Brokers:        c.brokers,
		EmbeddedAddr:   *embeddedAddr,
		DataDir:        c.dataDir,
		Partitions:     int32(c.partitions),
		ExactlyOnce:    c.exactlyOnce,
		MaxBatch:       c.maxBatch,
		StateKey:       key,
		SessionTimeout: c.sessionTimeout,
		Logger:         log,
		Registerer:     reg,
		Provider:       *provider,
		Mappings:       *mappings,
		Progress:       progressWriter(*progress, stderr),
		Namespace:      pipeline.Namespace(c.namespace),
		StageConfig: system.StageConfig{Halo: halo, Notify: notifier, PollInterval: pollInterval(*pollEvery), Precedence: prec,
			SuppressionKey: suppressionKeyFromEnv()},
	})
	if err != nil {
		return err
	}
	defer sys.Close()
	startOps(ctx, c.metricsAddr, reg, sys.Ready, log)
	startAPI(ctx, apiOpts, sys, apiDeps{dataDir: c.dataDir, namespace: c.namespace, halo: halo}, reg, log)

	results, err := sys.Import(ctx, imports...)
	reportImports(stderr, results)
	if err != nil {
		return err
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
		sum, err = sys.WaitForOutcomes(wctx, results, nil)
	}
	fmt.Fprintln(stdout, "summary:")
	sum.Print(stdout)
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
	return sum.Check()
}

// startOps serves metrics and health checks, warning (not failing) when the
// address is taken.
func startOps(ctx context.Context, addr string, reg *prometheus.Registry, ready func(context.Context) error, log *slog.Logger) {
	if addr == "" {
		return
	}
	bound, err := opsserver.Start(ctx, addr, reg, ready, log)
	if err != nil {
		log.Warn("metrics and health endpoints unavailable", "err", err)
		return
	}
	log.Info("serving /metrics, /healthz and /readyz", "addr", bound)
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
