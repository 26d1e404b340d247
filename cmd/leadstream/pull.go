package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/leadstream/leadstream/connectors/jsonfile"
	"github.com/leadstream/leadstream/connectors/providers"
	"github.com/leadstream/leadstream/connectors/pull"
	"github.com/leadstream/leadstream/connectors/pull/registry"
	"github.com/leadstream/leadstream/internal/opsserver"
	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/pipeline"
)

const pullHelp = `Runs a provider's search API and streams the records into leads.raw of a
running pipeline. Pagination, auth, 429/Retry-After and quota headers are
handled; the pull stops cleanly before --credit-budget would be exceeded and
checkpoints every page under --data-dir, so running the same command again
resumes without spending credits twice (a different --query needs another
--name).

Credentials come from the environment: <PROVIDER>_API_KEY (apollo, hunter,
lusha, seamless, rocketreach, uplead), ZOOMINFO_CLIENT_ID and
ZOOMINFO_CLIENT_SECRET, LEAD411_EMAIL and LEAD411_PASSWORD.

Examples:
  APOLLO_API_KEY=… leadstream pull --provider apollo \
      --query '{"person_titles":["IT Director"],"q_organization_domains_list":["example.com"]}' \
      --credit-budget 200
  leadstream pull --provider hunter --query @hunter-query.json`

func pullCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newFlags("pull", "--provider P [flags]", pullHelp, stderr, configFlag, kafkaFlags, topicFlags, dataFlags, logFlags, metricsFlags, memoryFlags)
	provider := c.fs.String("provider", "", "source key: "+strings.Join(registry.Providers(), ", "))
	query := c.fs.String("query", "{}", "the provider's search query as JSON, or @FILE")
	name := c.fs.String("name", "", "checkpoint name (default: the provider); a new query wants a new name")
	budget := c.fs.Float64("credit-budget", 0, "stop before spending more credits than this in total (0: no cap)")
	enrich := c.fs.Bool("enrich", false, "spend credits to reveal contact data where the provider charges for it")
	pageSize := c.fs.Int("page-size", 0, "records per page (0: the provider's default)")
	baseURL := c.fs.String("base-url", "", "API root override (a proxy or an emulator)")
	mappings := c.fs.String("mappings", "", "JSON file overriding or adding field mappings per provider")
	if err := c.parse(args); err != nil {
		return err
	}
	if *provider == "" {
		c.fs.Usage()
		return errUsage
	}
	q := []byte(*query)
	if strings.HasPrefix(*query, "@") {
		b, err := os.ReadFile(strings.TrimPrefix(*query, "@"))
		if err != nil {
			return fmt.Errorf("--query: %w", err)
		}
		q = b
	}
	if !json.Valid(q) {
		return fmt.Errorf("--query is not valid JSON")
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	cfg := registry.Config{
		Provider: *provider, BaseURL: *baseURL, PageSize: *pageSize, Enrich: *enrich, Query: q,
		APIKey:       os.Getenv(strings.ToUpper(*provider) + "_API_KEY"),
		ClientID:     os.Getenv("ZOOMINFO_CLIENT_ID"),
		ClientSecret: os.Getenv("ZOOMINFO_CLIENT_SECRET"),
		Email:        os.Getenv("LEAD411_EMAIL"),
		Password:     os.Getenv("LEAD411_PASSWORD"),
	}
	// A pull usually runs beside `leadstream run`, which holds the default
	// metrics address, so the pull serves its own /metrics only when
	// --metrics-addr is given.
	reg := opsserver.NewRegistry()
	pm, err := pull.NewMetrics(reg)
	if err != nil {
		return err
	}
	cfg.HTTPClient = pm.Instrument(*provider, nil)
	if c.given("metrics-addr") && c.metricsAddr != "" {
		bound, err := opsserver.Start(ctx, c.metricsAddr, reg, func(context.Context) error { return nil }, log)
		if err != nil {
			return err
		}
		log.Info("serving metrics", "addr", bound)
	}
	puller, err := registry.New(cfg)
	if errors.Is(err, registry.ErrFileOnly) {
		return fmt.Errorf("%w: leadstream import --provider %s FILE", err, *provider)
	}
	if err != nil {
		return err
	}
	set, err := providers.LoadSet(*mappings)
	if err != nil {
		return err
	}
	mapping, err := set.Mapping(*provider)
	if err != nil {
		return err
	}
	sys, err := system.Start(ctx, system.Options{
		Brokers: c.brokerList(), DataDir: c.dataDir, Partitions: int32(c.partitions),
		Stages: []string{}, Logger: log, Namespace: pipeline.Namespace(c.namespace),
	})
	if err != nil {
		return err
	}
	defer sys.Close()

	checkpoint := *name
	if checkpoint == "" {
		checkpoint = *provider
	}
	importID := "pull_" + *provider + "_" + checkpoint
	started := time.Now().UTC()
	handler := func(ctx context.Context, r pull.Record) error {
		b, err := json.Marshal(r.Data)
		if err != nil {
			return fmt.Errorf("record %s: %w", r.ID, err)
		}
		flat, err := jsonfile.Flatten(b, 32)
		if err != nil {
			return fmt.Errorf("record %s: %w", r.ID, err)
		}
		id := strings.ReplaceAll(r.ID, ":", "_")
		if id == "" {
			id = fmt.Sprintf("step%d.%d", r.Step, r.Index)
		}
		return sys.Send(ctx, &pipeline.Envelope{
			TraceID:   importID + ":" + id,
			Source:    pipeline.Source{Provider: *provider, RecordID: r.ID, ImportID: importID},
			FirstSeen: started,
			Raw:       mapping.Apply(flat),
			Stages:    []string{"pull"},
		})
	}
	// A malformed record is dead-lettered with where it was found; the pull
	// goes on.
	onBad := func(ctx context.Context, e *pull.RecordError) {
		trace := fmt.Sprintf("%s:step%d.%d", importID, e.Step, e.Index)
		origin := fmt.Sprintf("%s step %d index %d", *provider, e.Step, e.Index)
		if err := sys.DeadLetter(ctx, trace, nil, "pull", origin, e); err != nil {
			log.Error("could not dead-letter a malformed record", "origin", origin, "err", err)
		}
	}
	st, err := pull.Run(ctx, puller, handler, pull.Options{
		Dir: filepath.Join(c.dataDir, "pulls", c.namespace), Name: checkpoint, CreditBudget: *budget, Logger: log,
		OnRecordError: onBad,
	})
	fmt.Fprintf(stdout, "pull %s (%s): stopped: %s; %d pages, %d records sent, %d malformed, %.0f credits spent in total\n",
		*provider, checkpoint, st.Stop, st.Steps, st.Records, st.Malformed, st.Credits)
	if err != nil {
		return fmt.Errorf("pull %s: %w", *provider, err)
	}
	return nil
}
