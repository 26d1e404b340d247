package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/internal/webhooks"
	"github.com/leadstream/leadstream/pipeline"
)

// loadWebhooks reads the outbound webhook subscriptions of --webhooks-file:
// a JSON array of {"url", "secret", "events": [...], "enabled"}. An empty
// path configures none. The sender's metrics are registered with reg
// (when not nil).
func loadWebhooks(path string, log *slog.Logger, reg prometheus.Registerer) (*webhooks.Sender, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("webhooks file: %w", err)
	}
	var subs []webhooks.Subscription
	if err := json.Unmarshal(b, &subs); err != nil {
		return nil, fmt.Errorf("webhooks file %s: want a JSON array of {url, secret, events, enabled}: %w", path, err)
	}
	for i, s := range subs {
		for _, e := range s.Events {
			if !webhooks.KnownEvent(e) {
				return nil, fmt.Errorf("webhooks file %s: subscription %d: unknown event %q", path, i, e)
			}
		}
	}
	var met *webhooks.Metrics
	if reg != nil {
		if met, err = webhooks.NewMetrics(reg); err != nil {
			return nil, err
		}
	}
	sender, err := webhooks.NewSender(subs, webhooks.Options{Logger: log, Version: appVersion(), Metrics: met})
	if err != nil {
		return nil, fmt.Errorf("webhooks file %s: %w", path, err)
	}
	enabled := 0
	for _, s := range subs {
		if s.Enabled {
			enabled++
		}
	}
	if enabled == 0 {
		log.Warn("no enabled subscription in the webhooks file: no webhook will be delivered", "path", path)
	}
	log.Info("outbound webhooks configured", "subscriptions", len(subs), "enabled", enabled)
	return sender, nil
}

// notifySyncCompleted sends sync.completed with the run's counts.
func notifySyncCompleted(ctx context.Context, s *webhooks.Sender, results []pipeline.ImportResult, sum pipeline.Summary, log *slog.Logger) {
	if s == nil || len(results) == 0 {
		return
	}
	counts := map[string]int{"read": sum.Read}
	for o, n := range sum.Counts {
		counts[string(o)] = n
	}
	var ids []string
	for _, r := range results {
		ids = append(ids, r.ImportID)
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.Deliver(dctx, webhooks.Event{Type: webhooks.EventSyncCompleted, Data: map[string]any{"imports": ids, "counts": counts}}); err != nil {
		log.Warn("sync.completed webhook not delivered", "err", err)
	}
}
