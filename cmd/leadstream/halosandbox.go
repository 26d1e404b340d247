package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
)

const haloSandboxHelp = `Serves a HaloPSA emulator on this machine, so you can try the whole flow
without a tenant: it follows the real API's auth, upserts, errors and rate
limit. Point leadstream at it with
  HALOPSA_BASE_URL=http://127.0.0.1:8089 HALOPSA_CLIENT_ID=sandbox-client HALOPSA_CLIENT_SECRET=sandbox-secret

To try leadstream against a tenant that already holds data and fails the
way real ones do:
  --seed-clients 720     Clients people made (alike names, their own
                         domains), with Users and open lead Tickets
  --tenant-ids           ids start where a years-old tenant's would
  --fault-rate 0.1 --fault-commit-share 0.5
                         10 % of requests fail (500, or 504 after
                         --fault-delay); half of the failed writes were
                         applied first, as a gateway timeout can be
  --applied-504 Client,Users,Tickets
                         the first write to each applies, then answers 504

Example:
  leadstream halo-sandbox --addr 127.0.0.1:8089 --rate-limit 300 --seed-clients 720 --tenant-ids`

func haloSandboxCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newFlags("halo-sandbox", "[flags]", haloSandboxHelp, stderr, configFlag, logFlags)
	addr := c.fs.String("addr", "127.0.0.1:8089", "listen address")
	clientID := c.fs.String("client-id", "sandbox-client", "accepted client id")
	secret := c.fs.String("client-secret", "sandbox-secret", "accepted client secret")
	tenant := c.fs.String("tenant", "", "tenant that /auth/token must name (empty: none)")
	limit := c.fs.Int("rate-limit", 300, "requests per --rate-window before 429 (negative: no limit)")
	window := c.fs.Duration("rate-window", 5*time.Minute, "rolling rate-limit window")
	seedClients := c.fs.Int("seed-clients", 0, "pre-populate the tenant with this many Clients (alike names, other domains), their Users and lead Tickets")
	seed := c.fs.Uint64("seed", 1, "random seed of --seed-clients and --fault-rate")
	tenantIDs := c.fs.Bool("tenant-ids", false, "start ids at tenant-like offsets (Client 1200, Site 2400, Users 8800, Tickets 45000)")
	faultRate := c.fs.Float64("fault-rate", 0, "share of API requests answered 500, or 504 after --fault-delay")
	commitShare := c.fs.Float64("fault-commit-share", 0, "share of the faulted writes that are applied before the fault is answered")
	faultDelay := c.fs.Duration("fault-delay", 2*time.Second, "how long a 504 takes")
	applied := c.fs.String("applied-504", "", "comma-separated resources whose first write is applied, then answered 504 after --fault-delay")
	if err := c.parse(args); err != nil {
		return err
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	so := halosandbox.Options{
		Apps:             []halosandbox.App{{ClientID: *clientID, ClientSecret: *secret}},
		Tenant:           *tenant,
		RateLimit:        *limit,
		RateWindow:       *window,
		Logger:           log,
		SeedClients:      *seedClients,
		FaultSeed:        *seed,
		FaultRate:        *faultRate,
		FaultCommitShare: *commitShare,
		FaultDelay:       *faultDelay,
	}
	if *tenantIDs {
		so.IDOffsets = halosandbox.TenantIDOffsets()
	}
	srv := halosandbox.New(so)
	for _, res := range strings.Split(*applied, ",") {
		if res = strings.TrimSpace(res); res != "" {
			srv.InjectFaults(res, halosandbox.Fault{Status: http.StatusGatewayTimeout, Delay: *faultDelay, Commit: true, Method: http.MethodPost})
		}
	}
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
	fmt.Fprintf(stdout, "HaloPSA sandbox on http://%s (client id %s; %d clients, %d users, %d tickets); Ctrl-C stops it and prints an audit\n",
		ln.Addr(), *clientID, srv.Count("Client"), srv.Count("Users"), srv.Count("Tickets"))
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("halo-sandbox: %w", err)
	}
	// What the tenant saw, as its owner would check it.
	st, a := srv.Stats(), srv.Audit(1)
	fmt.Fprintf(stdout, "served %d API requests (%d answered 429, %d faults injected, %d of them after applying the write); peak %d in one window\n",
		st.APIRequests, st.RateLimited, st.Injected, st.Committed, st.PeakInWindow)
	fmt.Fprintf(stdout, "tenant: %d clients, %d users, %d tickets; %d duplicate users (by e-mail), %d duplicate clients (by website domain), %d duplicate open lead tickets (per user), %d wrong links (user e-mail domain ≠ client website domain)\n",
		srv.Count("Client"), srv.Count("Users"), srv.Count("Tickets"), a.DuplicateUsers, a.DuplicateClients, a.DuplicateLeadTickets, a.WrongLinks)
	return nil
}
