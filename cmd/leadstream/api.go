package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/leadstream/leadstream/internal/api"
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
		addr:         fs.String("api-addr", api.DefaultAddr, "address of the REST API: POST "+api.WebhookPath+" and GET /health (empty disables)"),
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

// startAPI serves the API until ctx ends; a busy address fails the start
// (HaloPSA's webhooks would go nowhere).
func startAPI(ctx context.Context, f *apiFlags, sys *system.System, namespace string, reg prometheus.Registerer, log *slog.Logger) error {
	if *f.addr == "" {
		return nil
	}
	bound, err := api.Start(ctx, *f.addr, api.Options{
		Producer:     sys,
		Namespace:    pipeline.Namespace(namespace),
		Webhook:      api.WebhookAuth{User: *f.user, Password: *f.password, Token: *f.token},
		Version:      appVersion(),
		Kafka:        sys.Ready,
		Logger:       log,
		Registerer:   reg,
		TLSCertFile:  *f.tlsCert,
		TLSKeyFile:   *f.tlsKey,
		TokenInQuery: *f.tokenInQuery,
		ReplayWindow: replayWindow(*f.replayWindow),
	})
	if err != nil {
		return fmt.Errorf("--api-addr %s: %w (is another leadstream running? give another address, or an empty one to serve no API)", *f.addr, err)
	}
	log.Info("serving the REST API", "addr", bound, "webhook", api.WebhookPath)
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
