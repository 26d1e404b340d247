package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/internal/secrets"
	"github.com/leadstream/leadstream/pipeline"
)

// haloEnvHelp documents the HaloPSA environment for --help texts.
const haloEnvHelp = `HaloPSA: with HALOPSA_BASE_URL, HALOPSA_CLIENT_ID and HALOPSA_CLIENT_SECRET set
(HALOPSA_TENANT for shared hosted auth, HALOPSA_RATE_LIMIT requests per 5 minutes,
default 250, HALOPSA_BATCH_SIZE elements per POSTed array, default 100,
HALOPSA_IMPORT_SOURCE the lead source CF_101 of canonical files, default Import,
HALOPSA_TENANT_REFRESH how old the sink's copy of the tenant may grow before a
batch that creates records reads what changed, e.g. 5m; default: at start only,
since each refresh also re-reads what leadstream wrote, ~3 requests per 100 leads,
HALOPSA_ORGANISATION_TICKETS=true also gives organisation records, a company and no
person, a lead Ticket; by default they become a Client and a Site only),
the sink writes Clients, Sites, Users and lead Tickets to that tenant; without them
it runs dry and records the writes it would make.`

// tenantRefreshFromEnv is HALOPSA_TENANT_REFRESH (0, the sink's default,
// when unset).
func tenantRefreshFromEnv() (time.Duration, error) {
	v := os.Getenv("HALOPSA_TENANT_REFRESH")
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("HALOPSA_TENANT_REFRESH %q: want a duration such as 5m: %w", v, err)
	}
	return d, nil
}

// organisationTicketsFromEnv is HALOPSA_ORGANISATION_TICKETS (false when
// unset).
func organisationTicketsFromEnv() (bool, error) {
	v := os.Getenv("HALOPSA_ORGANISATION_TICKETS")
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("HALOPSA_ORGANISATION_TICKETS %q: want true or false: %w", v, err)
	}
	return b, nil
}

// defaultHaloBatch is leadstream's array size for HaloPSA writes. The
// spec's 50 costs three requests per 50 new leads (Client, Users, Tickets),
// above the 0.05 requests per lead the sink aims for; 100 halves that.
const defaultHaloBatch = 100

// haloFromEnv returns the HaloPSA client the HALOPSA_* variables configure,
// or nil for a dry run, and says once which it is. The client's metrics
// are registered with reg (when not nil).
func haloFromEnv(log *slog.Logger, reg prometheus.Registerer, dataDir string) (*halopsa.Client, error) {
	base, id, secret := os.Getenv("HALOPSA_BASE_URL"), os.Getenv("HALOPSA_CLIENT_ID"), os.Getenv("HALOPSA_CLIENT_SECRET")
	if base == "" || id == "" || secret == "" {
		log.Info("HaloPSA credentials not set (HALOPSA_BASE_URL, HALOPSA_CLIENT_ID, HALOPSA_CLIENT_SECRET): the sink runs dry and records the writes it would make in its state")
		return nil, nil
	}
	opts := halopsa.DefaultOptions()
	opts.BaseURL, opts.ClientID, opts.ClientSecret = base, id, secret
	opts.Tenant = os.Getenv("HALOPSA_TENANT")
	opts.BatchSize = defaultHaloBatch
	if v := os.Getenv("HALOPSA_BATCH_SIZE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 1000 {
			return nil, fmt.Errorf("HALOPSA_BATCH_SIZE=%q: want 1 to 1000 elements per array", v)
		}
		opts.BatchSize = n
	}
	opts.Logger = log
	if v := os.Getenv("HALOPSA_RATE_LIMIT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("HALOPSA_RATE_LIMIT=%q: want a positive number of requests per 5 minutes", v)
		}
		opts.RateLimit, opts.RateWindow = n, 5*time.Minute
	}
	if reg != nil {
		m, err := halopsa.NewMetrics(reg)
		if err != nil {
			return nil, err
		}
		opts.Metrics = m
	}
	opts.Pacer = halopsa.NewPacer(opts.RateLimit, opts.RateWindow)
	if dataDir != "" {
		// The requests of the last window survive a restart, so a crash
		// loop cannot exceed the tenant's limit.
		path := filepath.Join(dataDir, "halopsa", "pacer.json")
		if err := opts.Pacer.Persist(path); err != nil {
			log.Warn("HaloPSA request log unreadable: starting with an empty window", "path", path, "err", err)
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("HaloPSA request log: %w", err)
			}
			if err := opts.Pacer.Persist(path); err != nil {
				return nil, fmt.Errorf("HaloPSA request log: %w", err)
			}
		}
	}
	c, err := halopsa.New(opts)
	if err != nil {
		return nil, fmt.Errorf("HaloPSA client: %w", err)
	}
	if err := registerHaloMetrics(reg, c); err != nil {
		return nil, err
	}
	log.Info("the sink writes to HaloPSA", "base_url", base, "tenant", opts.Tenant, "rate_limit", opts.RateLimit, "window", opts.RateWindow, "batch_size", opts.BatchSize)
	return c, nil
}

// reportHalo prints what the run cost in HaloPSA requests.
func reportHalo(w io.Writer, c *halopsa.Client, sum pipeline.Summary) {
	if c == nil {
		return
	}
	st := c.Stats()
	perLead := 0.0
	if n := sum.Counts[pipeline.OutcomeSynced]; n > 0 {
		perLead = float64(st.Requests) / float64(n)
	}
	fmt.Fprintf(w, "halopsa: %d requests (%.3f per synced lead), %d rate-limited (429), %d retries, %d token requests\n",
		st.Requests, perLead, st.RateLimited, st.Retries, st.TokenRequests)
}

// registerHaloMetrics exposes the HaloPSA client's retry counter; the
// rest of its instruments (crm.md §10) are halopsa.Metrics.
func registerHaloMetrics(reg prometheus.Registerer, c *halopsa.Client) error {
	if c == nil || reg == nil {
		return nil
	}
	retries := prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "leadstream_halopsa_retries_total", Help: "HaloPSA requests that were retries."},
		func() float64 { return float64(c.Stats().Retries) })
	if err := reg.Register(retries); err != nil {
		return fmt.Errorf("halopsa metrics: %w", err)
	}
	return nil
}

// pollInterval maps --halo-poll-interval to StageConfig.PollInterval,
// where a negative value turns the poll off.
func pollInterval(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

// suppressionKeyFromEnv is the do-not-contact list's shared HMAC key,
// LEADSTREAM_SUPPRESSION_KEY or the content of the file named by
// LEADSTREAM_SUPPRESSION_KEY_FILE (every process must share it; without
// one, system.Start generates a key for a single process).
func suppressionKeyFromEnv(log *slog.Logger) ([]byte, error) {
	v, err := secrets.Value("LEADSTREAM_SUPPRESSION_KEY", os.Getenv("LEADSTREAM_SUPPRESSION_KEY"), os.Getenv("LEADSTREAM_SUPPRESSION_KEY_FILE"),
		func(msg string, args ...any) { log.Warn(msg, args...) })
	return []byte(v), err
}
