package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/leadstream/leadstream/internal/opsserver"
	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/pipeline"
)

const stageHelp = `Runs one stage as its own process, a member of the stage's consumer group.
Start as many replicas as the topics have partitions; partitions (and, for
stateful stages, their state, rebuilt from the changelog) move between
replicas as they come and go. Each replica of a stateful stage (dedupe,
sink, review, crm) needs its own --data-dir.

Stages: normalize, validate, dedupe, enrich and sink (the main line),
review (records held for a person), crm and notify. A crm process also
serves the REST API, the web page and the HaloPSA webhook endpoint
(--api-addr) and runs the reconciliation poll; sink and crm write to
HaloPSA when HALOPSA_* is set. notify delivers the outbound webhooks of
--webhooks-file.

"api" runs no stage: it serves the REST API, the web page and the HaloPSA
webhook endpoint from its own leads view (under --data-dir, rebuilt from
leads.current when missing), so any number of API replicas can run behind a
load balancer. They share the key file only if they share --data-dir; give
each replica a copy of <data-dir>/api/keys.json otherwise.

Examples:
  leadstream stage dedupe --brokers kafka:9092 --data-dir /var/lib/leadstream
  LEADSTREAM_WEBHOOK_TOKEN=… leadstream stage crm --brokers kafka:9092 --api-addr :3000
  leadstream stage notify --brokers kafka:9092 --webhooks-file /etc/leadstream/webhooks.json
  leadstream stage api --brokers kafka:9092 --data-dir /var/lib/leadstream-api --api-addr :3000
`

func stageCmd(ctx context.Context, args []string, _, stderr io.Writer) error {
	c := newFlags("stage", "NAME [flags]", stageHelp, stderr, allFlags)
	apiOpts := addAPIFlags(c.fs)
	precedence := addPrecedenceFlag(c.fs)
	pollEvery := c.fs.Duration("halo-poll-interval", 15*time.Minute, "crm: how often to poll HaloPSA for changes its webhooks missed (0 or less: never)")
	webhooksFile := c.fs.String("webhooks-file", "", "notify (required there): JSON file of outbound webhook subscriptions [{url, secret, events, enabled}] (secrets: keep it private)")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		c.fs.Usage()
		return errUsage
	}
	name := c.fs.Arg(0)
	apiOnly := name == "api"
	if !slices.Contains(stageNames(), name) && !apiOnly {
		return fmt.Errorf("no stage named %q (stages: %s, or api)", name, strings.Join(stageNames(), ", "))
	}
	if name == "notify" && *webhooksFile == "" {
		fmt.Fprintln(stderr, "leadstream stage notify: give --webhooks-file (or LEADSTREAM_WEBHOOKS_FILE), the subscriptions to deliver to")
		return errUsage
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
	stageCfg := system.StageConfig{PollInterval: pollInterval(*pollEvery), SuppressionKey: supKey, Precedence: prec,
		ImportSourceLabel: os.Getenv("HALOPSA_IMPORT_SOURCE"), HaloTenantRefresh: refresh, HaloOrganisationTickets: orgTickets}
	reg := opsserver.NewRegistry()
	switch name {
	case "enrich":
		if stageCfg.Enrich, err = enrichFromEnv(log, reg, c.partitions); err != nil {
			return err
		}
	case "sink", "crm", "api":
		if stageCfg.Halo, err = haloFromEnv(log, reg, c.dataDir); err != nil {
			return err
		}
	case "notify":
		if stageCfg.Notify, err = loadWebhooks(*webhooksFile, log, reg); err != nil {
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
	if err := startOps(ctx, c.metricsAddr, reg, sys.Ready, log); err != nil {
		return err
	}
	if name == "crm" || apiOnly {
		if err := startAPI(ctx, apiOpts, sys, apiDeps{dataDir: c.dataDir, namespace: c.namespace, halo: stageCfg.Halo}, reg, log); err != nil {
			return err
		}
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
