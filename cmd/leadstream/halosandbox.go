package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
)

const haloSandboxHelp = `Serves a HaloPSA emulator on this machine, so you can try the whole flow
without a tenant: it follows the real API's auth, upserts, errors and rate
limit. Point leadstream at it with
  HALOPSA_BASE_URL=http://127.0.0.1:8089 HALOPSA_CLIENT_ID=sandbox-client HALOPSA_CLIENT_SECRET=sandbox-secret

Example:
  leadstream halo-sandbox --addr 127.0.0.1:8089 --rate-limit 300`

func haloSandboxCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newFlags("halo-sandbox", "[flags]", haloSandboxHelp, stderr, configFlag, logFlags)
	addr := c.fs.String("addr", "127.0.0.1:8089", "listen address")
	clientID := c.fs.String("client-id", "sandbox-client", "accepted client id")
	secret := c.fs.String("client-secret", "sandbox-secret", "accepted client secret")
	tenant := c.fs.String("tenant", "", "tenant that /auth/token must name (empty: none)")
	limit := c.fs.Int("rate-limit", 300, "requests per --rate-window before 429 (negative: no limit)")
	window := c.fs.Duration("rate-window", 5*time.Minute, "rolling rate-limit window")
	if err := c.parse(args); err != nil {
		return err
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	srv := halosandbox.New(halosandbox.Options{
		Apps:       []halosandbox.App{{ClientID: *clientID, ClientSecret: *secret}},
		Tenant:     *tenant,
		RateLimit:  *limit,
		RateWindow: *window,
		Logger:     log,
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	})
	fmt.Fprintf(stdout, "HaloPSA sandbox on http://%s (client id %s); Ctrl-C stops it\n", ln.Addr(), *clientID)
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("halo-sandbox: %w", err)
	}
	return nil
}
