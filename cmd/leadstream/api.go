package main

import (
	"context"
	"flag"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/internal/api"
	"github.com/leadstream/leadstream/internal/apikey"
	"github.com/leadstream/leadstream/internal/erasure"
	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/pipeline"
)

// apiFlags are the settings of the REST API `leadstream run` serves.
type apiFlags struct {
	addr, user, password, token *string
	tlsCert, tlsKey             *string
}

// addAPIFlags declares --api-addr and the webhook credentials on fs. The
// credentials are best given as LEADSTREAM_WEBHOOK_USER,
// LEADSTREAM_WEBHOOK_PASSWORD and LEADSTREAM_WEBHOOK_TOKEN (or in --config),
// not on the command line.
func addAPIFlags(fs *flag.FlagSet) *apiFlags {
	return &apiFlags{
		addr:     fs.String("api-addr", api.DefaultAddr, "address of the REST API and the web page (/, /api/…, /health; keys: leadstream apikey) (empty disables)"),
		user:     fs.String("webhook-user", "", "HTTP Basic user name of the HaloPSA webhook"),
		password: fs.String("webhook-password", "", "HTTP Basic password of the HaloPSA webhook (prefer LEADSTREAM_WEBHOOK_PASSWORD)"),
		token:    fs.String("webhook-token", "", "secret token the HaloPSA webhook sends as ?token= or X-Leadstream-Token (prefer LEADSTREAM_WEBHOOK_TOKEN)"),
		tlsCert:  fs.String("api-tls-cert", "", "PEM certificate file: serve the API over HTTPS (with --api-tls-key)"),
		tlsKey:   fs.String("api-tls-key", "", "PEM private key file of --api-tls-cert"),
	}
}

// apiDeps are what the API serves from besides the system.
type apiDeps struct {
	dataDir   string
	namespace string
	halo      *halopsa.Client // nil: not configured
}

// startAPI serves the API until ctx ends, warning (not failing) when the
// address is taken, like the metrics endpoint. It follows the leads view
// into <data-dir>/state/<namespace>/leadsview.
func startAPI(ctx context.Context, f *apiFlags, sys *system.System, deps apiDeps, reg prometheus.Registerer, log *slog.Logger) {
	if *f.addr == "" {
		return
	}
	// The address first: a process whose API cannot listen builds no view.
	ln, err := api.Listen(*f.addr)
	if err != nil {
		log.Warn("REST API unavailable", "err", err)
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	ns := pipeline.Namespace(deps.namespace)
	opts := api.Options{
		Producer:    sys,
		Namespace:   ns,
		Webhook:     api.WebhookAuth{User: *f.user, Password: *f.password, Token: *f.token},
		Version:     version,
		Kafka:       sys.Ready,
		Logger:      log,
		Registerer:  reg,
		TLSCertFile: *f.tlsCert,
		TLSKeyFile:  *f.tlsKey,
		Keys:        apikey.Open(apikey.Path(deps.dataDir)),
		Review:      sys.ReviewQueue(),
		Transitions: sys.Transitions,
	}
	view, err := sys.FollowLeadsView(ctx)
	if err != nil {
		log.Warn("leads view unavailable: /api/leads answers 503", "err", err)
	} else {
		opts.Leads = view
		er := &erasure.Eraser{View: view, Producer: sys, Namespace: ns, SuppressionKey: sys.SuppressionKey()}
		if deps.halo != nil {
			er.Halo = erasure.HaloClient{Client: deps.halo}
		}
		opts.Eraser = er
	}
	if deps.halo != nil {
		opts.Halo = haloCheck(deps.halo)
	}
	if err := api.Serve(ctx, ln, opts); err != nil {
		cancel()
		ln.Close()
		log.Warn("REST API unavailable", "err", err)
		return
	}
	context.AfterFunc(ctx, cancel)
	log.Info("serving the REST API and the web page", "addr", ln.Addr().String(), "webhook", api.WebhookPath)
}

// haloCheck asks HaloPSA for its ticket types at most once a minute (the
// tenant's request budget is shared) and reports the last answer.
func haloCheck(c *halopsa.Client) func(context.Context) error {
	var mu sync.Mutex
	var last time.Time
	var lastErr error
	return func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if !last.IsZero() && time.Since(last) < time.Minute {
			return lastErr
		}
		_, lastErr = c.TicketTypes(ctx, "")
		last = time.Now()
		return lastErr
	}
}
