package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leadstream/leadstream/connectors/enrich/registry"
	"github.com/leadstream/leadstream/connectors/pull"
	"github.com/leadstream/leadstream/stages/enrich"
	"github.com/leadstream/leadstream/stages/enrich/waterfall"
)

// enrichEnvHelp documents the environment the enrich stage reads.
const enrichEnvHelp = `Enrichment (the enrich stage fills missing e-mails, phones and company facts
from the providers you pay for) is on when LEADSTREAM_ENRICH_CONFIG names a
waterfall file (config/enrich.json documents the format). Each provider it
names needs <PROVIDER>_API_KEY (APOLLO, HUNTER, LUSHA, UPLEAD, ROCKETREACH,
SEAMLESS; ZoomInfo: ZOOMINFO_CLIENT_ID and ZOOMINFO_CLIENT_SECRET; Lead411:
LEAD411_EMAIL and LEAD411_PASSWORD), and may take
<PROVIDER>_BASE_URL; "leadstream provider-sandbox --env-file F" writes all of
them for its emulators. Apollo delivers phone reveals to a webhook: set
APOLLO_WEBHOOK_ADDR (listen address) and, behind a proxy, APOLLO_WEBHOOK_URL
(its public base URL); without them reveals are read from Apollo's
/webhook_result.`

// enrichFromEnv builds the enrich stage from LEADSTREAM_ENRICH_CONFIG and
// the providers' keys; nil (scoring only) when no waterfall is configured.
func enrichFromEnv(log *slog.Logger, reg prometheus.Registerer, partitions int) (*enrich.Stage, error) {
	path := os.Getenv("LEADSTREAM_ENRICH_CONFIG")
	if path == "" {
		return nil, nil
	}
	cfg, err := waterfall.Load(path)
	if err != nil {
		return nil, err
	}
	pm, err := pull.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	rates := map[string]float64{}
	for n, p := range cfg.Providers {
		rates[n] = p.PerSecond
	}
	clients, err := registry.Build(cfg.ProviderNames(), os.Getenv, rates, pm.Instrument)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if clients.ApolloInbox != nil {
		if err := serveApolloInbox(os.Getenv("APOLLO_WEBHOOK_ADDR"), clients.ApolloInboxPath, clients.ApolloInbox, log); err != nil {
			return nil, err
		}
	}
	for _, m := range clients.Missing {
		log.Warn("enrichment provider has no API key; the waterfall skips it", "provider", m, "env", fmt.Sprintf("%s_API_KEY", upperASCII(m)))
	}
	m, err := enrich.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	log.Info("enrichment on", "config", path, "providers", cfg.ProviderNames())
	return enrich.New(enrich.Options{Waterfall: &cfg, Providers: clients.People, Companies: clients.Companies,
		Partitions: int32(partitions), Metrics: m, Logger: log}), nil
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

// reportEnrich prints the summary line of the enrich stage.
func reportEnrich(w io.Writer, st *enrich.Stage) {
	if st == nil {
		return
	}
	t := st.Metrics().Totals()
	fmt.Fprintf(w, "enrich: %d looked up, %d filled, %g credits spent, %d cache hits\n", t.LookedUp, t.Filled, t.Credits, t.CacheHits)
}

// serveApolloInbox listens for Apollo's reveal deliveries for the life of
// the process.
func serveApolloInbox(addr, path string, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("APOLLO_WEBHOOK_ADDR %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle(path, h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	go func() { _ = srv.Serve(ln) }()
	log.Info("receiving Apollo phone reveals", "addr", ln.Addr().String())
	return nil
}
