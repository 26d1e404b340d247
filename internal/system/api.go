package system

import (
	"context"
	"path/filepath"
	"sync"
	"time"

	"github.com/leadstream/leadstream/internal/analytics"
	"github.com/leadstream/leadstream/internal/leadsview"
	"github.com/leadstream/leadstream/internal/secrets"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/review"
)

// LeadsViewDir is where a process keeps its leads view.
func LeadsViewDir(dataDir string, ns pipeline.Namespace) string {
	return filepath.Join(dataDir, "state", string(ns), "leadsview")
}

// FollowLeadsView opens this process's leads view under the data
// directory and follows leads.current into it until ctx ends, then closes
// it. A follower that fails is restarted with backoff.
func (s *System) FollowLeadsView(ctx context.Context) (*leadsview.View, error) {
	v, err := leadsview.Open(leadsview.Options{Dir: LeadsViewDir(s.opts.DataDir, s.opts.Namespace), Logger: s.log,
		EncryptionKey: s.opts.StateKey, Sealer: s.keyring})
	if err != nil {
		return nil, err
	}
	go func() {
		defer v.Close()
		backoff := time.Second
		for ctx.Err() == nil {
			err := v.Follow(ctx, s.brokers, s.opts.Namespace.Topic(pipeline.TopicCurrent), s.opts.ClientOpts...)
			if err == nil || ctx.Err() != nil {
				return
			}
			s.log.Error("leads view stopped; restarting", "err", err, "in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 30*time.Second)
		}
	}()
	return v, nil
}

// ReviewQueue reads the review queue from the review stage's changelog
// (at most once a second; decisions are checked against a fresh read) and
// sends decisions on this system's connection.
func (s *System) ReviewQueue() *ReviewQueue { return &ReviewQueue{s: s} }

// ReviewQueue implements api.ReviewQueue.
type ReviewQueue struct {
	s  *System
	mu sync.Mutex
	q  *review.Queue
	at time.Time
}

// Queue implements api.ReviewQueue.
func (r *ReviewQueue) Queue(ctx context.Context) (*review.Queue, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.q != nil && time.Since(r.at) < time.Second {
		return r.q, nil
	}
	q, err := review.ReadQueueSealed(ctx, r.s.brokers, r.s.opts.Namespace, r.s.keyring, r.s.opts.ClientOpts...)
	if err != nil {
		return nil, err
	}
	r.q, r.at = q, time.Now()
	return q, nil
}

// Decide implements api.ReviewQueue.
func (r *ReviewQueue) Decide(ctx context.Context, _ *review.Queue, id, decision, target string) (string, error) {
	q, err := review.ReadQueueSealed(ctx, r.s.brokers, r.s.opts.Namespace, r.s.keyring, r.s.opts.ClientOpts...)
	if err != nil {
		return "", err
	}
	leadID, err := review.Send(ctx, r.s.client, r.s.opts.Namespace, q, id, decision, target)
	if err == nil {
		r.mu.Lock()
		r.q = nil // the next read sees the decision once the stage applied it
		r.mu.Unlock()
	}
	return leadID, err
}

// Transitions reads the transition log (leads.events).
func (s *System) Transitions(ctx context.Context) ([]analytics.Transition, error) {
	return analytics.ReadLog(ctx, s.brokers, s.opts.Namespace, s.opts.ClientOpts...)
}

// SuppressionKey is the do-not-contact list's HMAC key in use: the one
// Start resolved for validate or the sink, else (an API-only process) the
// same resolution of the shared key, the data dir's key file or, in a
// multi-process deployment without a shared key, the legacy key.
func (s *System) SuppressionKey() ([]byte, error) {
	if len(s.opts.StageConfig.SuppressionKey) > 0 {
		return s.opts.StageConfig.SuppressionKey, nil
	}
	return secrets.SuppressionKey(secrets.SuppressionOptions{
		DataDir: s.opts.DataDir, MultiProcess: len(s.opts.Brokers) > 0, Logger: s.log,
	})
}

// HeldFor lists the sealing subjects of the review items that name lead
// leadID as a candidate: records held as possible duplicates of its
// person, which its erasure shreds too.
func (s *System) HeldFor(ctx context.Context, leadID string) ([]string, error) {
	q, err := review.ReadQueue(ctx, s.brokers, s.opts.Namespace, s.opts.ClientOpts...)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, it := range q.Open {
		for _, c := range it.Candidates() {
			if c.LeadID == leadID && it.Envelope != nil {
				out = append(out, pipeline.SourceSubject(it.Envelope.Source))
				break
			}
		}
	}
	return out, nil
}
