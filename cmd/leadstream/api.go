package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/internal/api"
	"github.com/leadstream/leadstream/internal/apikey"
	"github.com/leadstream/leadstream/internal/erasure"
	"github.com/leadstream/leadstream/internal/secrets"
	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/pipeline"
)

// apiFlags are the settings of the REST API `leadstream run` serves.
type apiFlags struct {
	addr, user, password, token *string
	passwordFile, tokenFile     *string
	tokenInQuery                *bool
	replayWindow                *time.Duration
	tlsCert, tlsKey             *string
}

// addAPIFlags declares --api-addr and the webhook credentials on fs. The
// credentials are best given as LEADSTREAM_WEBHOOK_USER,
// LEADSTREAM_WEBHOOK_PASSWORD and LEADSTREAM_WEBHOOK_TOKEN (or in --config),
// not on the command line.
func addAPIFlags(fs *pflag.FlagSet) *apiFlags {
	return &apiFlags{
		addr:         fs.String("api-addr", api.DefaultAddr, "address of the REST API and the web page (/, /api/…, /health, POST "+api.WebhookPath+"; keys: leadstream apikey) (empty disables)"),
		user:         fs.String("webhook-user", "", "HTTP Basic user name of the HaloPSA webhook"),
		password:     fs.String("webhook-password", "", "HTTP Basic password of the HaloPSA webhook (prefer LEADSTREAM_WEBHOOK_PASSWORD)"),
		token:        fs.String("webhook-token", "", "secret token the HaloPSA webhook sends in the X-Leadstream-Token header (prefer LEADSTREAM_WEBHOOK_TOKEN)"),
		passwordFile: fs.String("webhook-password-file", "", "file holding the --webhook-password (mode 0600)"),
		tokenFile:    fs.String("webhook-token-file", "", "file holding the --webhook-token (mode 0600)"),
		tokenInQuery: fs.Bool("webhook-token-in-query", false, "also accept the token as ?token= in the webhook URL, for tenants that cannot send a custom header (URLs end up in proxy logs)"),
		replayWindow: fs.Duration("webhook-replay-window", api.DefaultReplayWindow, "refuse webhook deliveries whose timestamp is older than this (counted as result=\"stale\"; what is refused the crm poll still finds)"),
		tlsCert:      fs.String("api-tls-cert", "", "PEM certificate file: serve the API over HTTPS (with --api-tls-key)"),
		tlsKey:       fs.String("api-tls-key", "", "PEM private key file of --api-tls-cert"),
	}
}

// resolveSecrets reads the webhook password and token from their files.
func (f *apiFlags) resolveSecrets(warn func(string, ...any)) error {
	var err error
	if *f.password, err = secrets.Value("--webhook-password", *f.password, *f.passwordFile, warn); err != nil {
		return err
	}
	*f.token, err = secrets.Value("--webhook-token", *f.token, *f.tokenFile, warn)
	return err
}

// apiDeps are what the API serves from besides the system.
type apiDeps struct {
	dataDir   string
	namespace string
	halo      *halopsa.Client // nil: not configured
}

// startAPI serves the API until ctx ends; a busy address fails the start
// (HaloPSA's webhooks would go nowhere). It follows the leads view into
// <data-dir>/state/<namespace>/leadsview.
func startAPI(ctx context.Context, f *apiFlags, sys *system.System, deps apiDeps, reg prometheus.Registerer, log *slog.Logger) error {
	if *f.addr == "" {
		return nil
	}
	// The address first: a process whose API cannot listen builds no view.
	ln, err := api.Listen(*f.addr)
	if err != nil {
		return fmt.Errorf("--api-addr %s: %w (is another leadstream running? give another address, or an empty one to serve no API)", *f.addr, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	fail := func(err error) error {
		cancel()
		ln.Close()
		return err
	}
	ns := pipeline.Namespace(deps.namespace)
	opts := api.Options{
		Producer:     sys,
		Sealer:       sys.Keyring(),
		Namespace:    ns,
		Webhook:      api.WebhookAuth{User: *f.user, Password: *f.password, Token: *f.token},
		Version:      appVersion(),
		Kafka:        sys.Ready,
		Logger:       log,
		Registerer:   reg,
		TLSCertFile:  *f.tlsCert,
		TLSKeyFile:   *f.tlsKey,
		TokenInQuery: *f.tokenInQuery,
		ReplayWindow: replayWindow(*f.replayWindow),
		Keys:         apikey.Open(apikey.Path(deps.dataDir)),
		Review:       sys.ReviewQueue(),
		Transitions:  sys.Transitions,
	}
	view, err := sys.FollowLeadsView(ctx)
	if err != nil {
		log.Warn("leads view unavailable: /api/leads answers 503", "err", err)
	} else {
		opts.Leads = view
		supKey, err := sys.SuppressionKey()
		if err != nil {
			return fail(err)
		}
		er := &erasure.Eraser{View: view, Producer: sys, Namespace: ns, SuppressionKey: supKey,
			Keyring: sys.Keyring(), Compact: sys.CompactBroker, HeldFor: sys.HeldFor}
		if deps.halo != nil {
			er.Halo = erasure.HaloClient{Client: deps.halo}
		}
		opts.Eraser = er
	}
	if deps.halo != nil {
		opts.Halo = haloCheck(deps.halo)
	}
	if err := api.Serve(ctx, ln, opts); err != nil {
		return fail(fmt.Errorf("REST API on %s: %w", *f.addr, err))
	}
	context.AfterFunc(ctx, cancel)
	log.Info("serving the REST API and the web page", "addr", ln.Addr().String(), "webhook", api.WebhookPath)
	return nil
}

// replayWindow maps the flag to api.Options.ReplayWindow, where 0 means
// the default: a flag of 0 or less turns the check off.
func replayWindow(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
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
