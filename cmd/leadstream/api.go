package main

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/leadstream/leadstream/internal/api"
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
func addAPIFlags(fs *pflag.FlagSet) *apiFlags {
	return &apiFlags{
		addr:     fs.String("api-addr", api.DefaultAddr, "address of the REST API: POST "+api.WebhookPath+" and GET /health (empty disables)"),
		user:     fs.String("webhook-user", "", "HTTP Basic user name of the HaloPSA webhook"),
		password: fs.String("webhook-password", "", "HTTP Basic password of the HaloPSA webhook (prefer LEADSTREAM_WEBHOOK_PASSWORD)"),
		token:    fs.String("webhook-token", "", "secret token the HaloPSA webhook sends as ?token= or X-Leadstream-Token (prefer LEADSTREAM_WEBHOOK_TOKEN)"),
		tlsCert:  fs.String("api-tls-cert", "", "PEM certificate file: serve the API over HTTPS (with --api-tls-key)"),
		tlsKey:   fs.String("api-tls-key", "", "PEM private key file of --api-tls-cert"),
	}
}

// startAPI serves the API until ctx ends, warning (not failing) when the
// address is taken, like the metrics endpoint.
func startAPI(ctx context.Context, f *apiFlags, sys *system.System, namespace string, reg prometheus.Registerer, log *slog.Logger) {
	if *f.addr == "" {
		return
	}
	bound, err := api.Start(ctx, *f.addr, api.Options{
		Producer:    sys,
		Namespace:   pipeline.Namespace(namespace),
		Webhook:     api.WebhookAuth{User: *f.user, Password: *f.password, Token: *f.token},
		Version:     appVersion(),
		Kafka:       sys.Ready,
		Logger:      log,
		Registerer:  reg,
		TLSCertFile: *f.tlsCert,
		TLSKeyFile:  *f.tlsKey,
	})
	if err != nil {
		log.Warn("REST API unavailable", "err", err)
		return
	}
	log.Info("serving the REST API", "addr", bound, "webhook", api.WebhookPath)
}
