package enrich

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/time/rate"

	"github.com/leadstream/leadstream/connectors/pull"
)

// Caller sends a provider's requests paced below its published rate limit
// and retries what can be retried: a 429 (or the provider's own throttle
// answer) after Retry-After or the reset header, else with exponential
// backoff; 5xx, timeouts and truncated bodies a few times. A quota answer
// comes back as ErrQuota at once; a provider still failing after the
// retries as ErrUnavailable.
type Caller struct {
	*pull.Client
	limiter *rate.Limiter
	// Retries bounds the attempts after the first (default 4).
	Retries int
	// Backoff is the first retry delay without a Retry-After (default 200ms).
	Backoff time.Duration
	// MaxWait caps one wait for a Retry-After (default 30s).
	MaxWait time.Duration
}

// NewCaller returns a Caller for provider pacing at perSecond requests a
// second (0: unpaced) with bursts of burst.
func NewCaller(provider string, hc *http.Client, perSecond float64, burst int, secrets ...string) *Caller {
	lim := rate.NewLimiter(rate.Inf, 1)
	if perSecond > 0 {
		lim = rate.NewLimiter(rate.Limit(perSecond), max(burst, 1))
	}
	return &Caller{Client: pull.NewClient(provider, hc, secrets...), limiter: lim, Retries: 4, Backoff: 200 * time.Millisecond, MaxWait: 30 * time.Second}
}

// Do sends the request build makes (built anew for each attempt) and
// classifies the answer with classify (nil: pull.Client.Classify). It
// returns the first 2xx response.
func (c *Caller) Do(ctx context.Context, build func(ctx context.Context) (*http.Request, error), classify func(op string, r *pull.Response) error) (*pull.Response, error) {
	if classify == nil {
		classify = func(op string, r *pull.Response) error { return c.Classify(op, r, time.Now()) }
	}
	var last error
	for attempt := 0; attempt <= c.Retries; attempt++ {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, err
		}
		req, err := build(ctx)
		if err != nil {
			return nil, err
		}
		resp, err := c.Client.Do(req)
		if err == nil {
			err = classify(pull.Op(req), resp)
			if err == nil {
				return resp, nil
			}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		last = err
		wait := c.Backoff << attempt
		switch pull.KindOf(err) {
		case pull.KindQuota:
			return nil, fmt.Errorf("%w: %w", ErrQuota, err)
		case pull.KindAuth, pull.KindPermanent:
			return nil, err
		case pull.KindRateLimited, pull.KindTransient:
			var pe *pull.Error
			if errors.As(err, &pe) && pe.RetryAfter > 0 {
				wait = min(pe.RetryAfter, c.MaxWait)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	return nil, fmt.Errorf("%w: %w", ErrUnavailable, last)
}
