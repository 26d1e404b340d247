package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/leadstream/leadstream/internal/opsserver"
	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/pipeline"
)

const stageHelp = `Runs one stage as its own process, a member of the stage's consumer group.
Start as many replicas as the topics have partitions; partitions (and, for
stateful stages, their state, rebuilt from the changelog) move between
replicas as they come and go. Stages: normalize, validate, dedupe, enrich,
sink, review and crm. A crm process also serves the REST API and the web page
(--api-addr) and runs the reconciliation poll; sink and crm write to HaloPSA
when HALOPSA_* is set.

"api" runs no stage: it serves the REST API, the web page and the HaloPSA
webhook endpoint from its own leads view (under --data-dir, rebuilt from
leads.current when missing), so any number of API replicas can run behind a
load balancer. They share the key file only if they share --data-dir; give
each replica a copy of <data-dir>/api/keys.json otherwise.

Examples:
  leadstream stage dedupe --brokers kafka:9092 --data-dir /var/lib/leadstream
  LEADSTREAM_WEBHOOK_TOKEN=… leadstream stage crm --brokers kafka:9092 --api-addr :3000
  leadstream stage api --brokers kafka:9092 --data-dir /var/lib/leadstream-api --api-addr :3000`

func stageCmd(ctx context.Context, args []string, _, stderr io.Writer) error {
	c := newFlags("stage", "NAME [flags]", stageHelp, stderr)
	apiOpts := addAPIFlags(c.fs)
	precedence := addPrecedenceFlag(c.fs)
	pollEvery := c.fs.Duration("halo-poll-interval", 15*time.Minute, "crm: how often to poll HaloPSA for changes its webhooks missed (0 or less: never)")
	// The name may come before or after the flags.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := c.parse(args); err != nil {
		return err
	}
	if name == "" && c.fs.NArg() > 0 {
		name = c.fs.Arg(0)
	}
	if name == "" {
		c.fs.Usage()
		return errUsage
	}
	apiOnly := name == "api"
	if _, err := system.StageByName(name); err != nil && !apiOnly {
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
	stageCfg := system.StageConfig{PollInterval: pollInterval(*pollEvery), SuppressionKey: suppressionKeyFromEnv(), Precedence: prec}
	reg := opsserver.NewRegistry()
	if name == "sink" || name == "crm" || apiOnly {
		if stageCfg.Halo, err = haloFromEnv(log, reg, c.dataDir); err != nil {
			return err
		}
	}
	sys, err := system.Start(ctx, system.Options{
		Brokers:        c.brokerList(),
		DataDir:        c.dataDir,
		Partitions:     int32(c.partitions),
		Stages:         stagesOf(name),
		ExactlyOnce:    c.exactlyOnce,
		MaxBatch:       c.maxBatch,
		StateKey:       key,
		SessionTimeout: c.sessionTimeout,
		Logger:         log,
		Registerer:     reg,
		Namespace:      pipeline.Namespace(c.namespace),
		StageConfig:    stageCfg,
	})
	if err != nil {
		return err
	}
	defer sys.Close()
	startOps(ctx, c.metricsAddr, reg, sys.Ready, log)
	if name == "crm" || apiOnly {
		startAPI(ctx, apiOpts, sys, apiDeps{dataDir: c.dataDir, namespace: c.namespace, halo: stageCfg.Halo}, reg, log)
	}
	<-ctx.Done()
	log.Info("stopping stage", "stage", name)
	if errs := sys.Errors(); len(errs) > 0 {
		return fmt.Errorf("stage %s recovered from %d failures; the first: %w", name, len(errs), errors.Join(errs[0]))
	}
	return nil
}

// stagesOf is the stage list of `stage NAME`: none for the API process.
func stagesOf(name string) []string {
	if name == "api" {
		return []string{}
	}
	return []string{name}
}
