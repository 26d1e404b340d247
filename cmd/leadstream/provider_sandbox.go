package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/leadstream/leadstream/connectors/pull/emulators/sandbox"
)

const providerSandboxHelp = `Serves the provider emulators enrichment uses (Apollo, Hunter, Lusha, UpLead,
ZoomInfo, RocketReach, Seamless.AI and Lead411) on one address, answering search and enrichment for the people and
companies of --people (a canonical CSV), with each provider's auth, batch
sizes, rate-limit answers and credit accounting. Each provider sits under
its own prefix (/apollo/api/v1, /hunter/v2, /lusha, /uplead/v2, /zoominfo,
/rocketreach/api/v2, /seamless/api/client/v1, /lead411/v1).
Companies get stable made-up firmographics per domain (a canonical CSV has
none).
GET /_control/credits answers {"<provider>": credits spent, …} and
GET /_control/paid_twice how many people or companies each charged for more
than once.

--env-file writes the environment a run needs to enrich against it (one
KEY=VALUE a line: base URLs, API keys and LEADSTREAM_ENRICH_CONFIG, the
waterfall, default config/enrich.json):

  leadstream provider-sandbox --addr 127.0.0.1:8091 --people leads.csv --env-file sandbox.env
  set -a; . ./sandbox.env; set +a; leadstream run --import leads.csv --until-idle`

func providerSandboxCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newFlags("provider-sandbox", "--people FILE [flags]", providerSandboxHelp, stderr)
	addr := c.fs.String("addr", "127.0.0.1:8091", "listen address")
	people := c.fs.String("people", "", "canonical CSV of the people and companies the providers know (required)")
	envFile := c.fs.String("env-file", "", "write the environment a run needs to use the sandbox to this file")
	waterfallPath := c.fs.String("waterfall", "config/enrich.json", "waterfall configuration named in the env file")
	minLatency := c.fs.Duration("min-latency", 0, "least delay before each answer")
	maxLatency := c.fs.Duration("max-latency", 0, "most delay before each answer (e.g. 200ms)")
	rateLimit := c.fs.Int("rate-limit", 0, "requests each provider answers before a 429 (the window then restarts; 0: none)")
	if err := c.parse(args); err != nil {
		return err
	}
	if *people == "" {
		fmt.Fprintln(stderr, "leadstream provider-sandbox: --people FILE is required")
		return errUsage
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	f, err := os.Open(*people)
	if err != nil {
		return fmt.Errorf("people: %w", err)
	}
	ps, err := sandbox.LoadPeople(f)
	f.Close()
	if err != nil {
		return err
	}
	sb := sandbox.New(sandbox.Options{People: ps, MinLatency: *minLatency, MaxLatency: max(*maxLatency, *minLatency), RateLimit: *rateLimit})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	base := "http://" + ln.Addr().String()
	if *envFile != "" {
		wf := *waterfallPath
		if abs, err := filepath.Abs(wf); err == nil {
			wf = abs
		}
		if err := os.WriteFile(*envFile, []byte(strings.Join(sandbox.Env(base, wf), "\n")+"\n"), 0o600); err != nil {
			ln.Close()
			return fmt.Errorf("env file: %w", err)
		}
	}
	hs := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	})
	log.Info("provider sandbox serving", "people", len(ps))
	fmt.Fprintf(stdout, "provider sandbox on %s (%d people); credits at %s/_control/credits; Ctrl-C stops it\n", base, len(ps), base)
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("provider-sandbox: %w", err)
	}
	return nil
}
