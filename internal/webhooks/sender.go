package webhooks

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Event types (spec §8.2).
const (
	EventLeadCreated        = "lead.created"
	EventLeadMerged         = "lead.merged"
	EventLeadReviewRequired = "lead.review_required"
	EventProspectConverted  = "prospect.converted"
	EventOpportunityCreated = "opportunity.created"
	EventSyncCompleted      = "sync.completed"
)

// KnownEvent reports whether typ is one of the §8.2 event types.
func KnownEvent(typ string) bool {
	switch typ {
	case EventLeadCreated, EventLeadMerged, EventLeadReviewRequired,
		EventProspectConverted, EventOpportunityCreated, EventSyncCompleted:
		return true
	}
	return false
}

// Delivery defaults (spec §8.2).
const (
	DefaultTimeout       = 10 * time.Second
	DefaultJitter        = 0.20
	DefaultMaxRetryAfter = 10 * time.Minute
	DefaultMaxBodyBytes  = 256 << 10
	maxResponseDrain     = 64 << 10
)

// DefaultBackoff is the wait before the 2nd and 3rd attempt: three attempts
// in total (§8.2).
func DefaultBackoff() []time.Duration { return []time.Duration{30 * time.Second, 120 * time.Second} }

// Errors reported by the sender; test with errors.Is.
var (
	ErrBodyTooLarge   = errors.New("webhooks: payload exceeds the size limit")
	ErrUnknownEvent   = errors.New("webhooks: unknown event type")
	ErrNotRetryable   = errors.New("webhooks: subscriber answered with a non-retryable status")
	ErrBudgetExceeded = errors.New("webhooks: attempt budget exhausted")
)

// Subscription is one configured receiver: {url, secret, events[], enabled}.
// PreviousSecret is set only during a secret rotation; both secrets sign.
type Subscription struct {
	URL            string   `json:"url"`
	Secret         string   `json:"secret"`
	PreviousSecret string   `json:"previous_secret,omitempty"`
	Events         []string `json:"events"`
	Enabled        bool     `json:"enabled"`
}

// LogValue keeps secrets out of logs.
func (s Subscription) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", redactURL(s.URL)), slog.Any("events", s.Events), slog.Bool("enabled", s.Enabled))
}

// String keeps secrets out of fmt output.
func (s Subscription) String() string {
	return fmt.Sprintf("webhooks.Subscription{url: %s, events: %v, enabled: %t, secret: redacted}", redactURL(s.URL), s.Events, s.Enabled)
}

// GoString keeps secrets out of %#v output.
func (s Subscription) GoString() string { return s.String() }

// Wants reports whether the subscription is enabled and listens to typ.
func (s Subscription) Wants(typ string) bool {
	return s.Enabled && slices.Contains(s.Events, typ)
}

// Event is one outbound event. ID is the idempotency key; when empty,
// Deliver assigns NewEventID(). CreatedAt zero means the sender's clock.
// Data must carry ids, scores and counts only, no personal data (§8.2).
type Event struct {
	ID        string
	Type      string
	CreatedAt time.Time
	Data      any
}

// envelope is the wire form of an event.
type envelope struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	CreatedAt string `json:"created_at"`
	Data      any    `json:"data"`
}

// NewEventID returns "evt_" followed by 32 random hex digits.
func NewEventID() string {
	var b [16]byte
	_, _ = crand.Read(b[:]) // crypto/rand.Read never fails.
	return "evt_" + hex.EncodeToString(b[:])
}

// Failure describes a delivery that will not be retried; the caller
// dead-letters it. It holds no secret.
type Failure struct {
	URL        string // subscriber URL
	EventID    string
	EventType  string
	Body       []byte // exact envelope bytes that were sent
	Attempts   int
	StatusCode int // last HTTP status, 0 when the last attempt had no response
	Err        error
}

// Options configure a Sender. Zero values mean the §8.2 defaults.
type Options struct {
	Client        *http.Client // nil: a client without its own timeout (per-attempt contexts bound it)
	Logger        *slog.Logger // nil: slog.Default()
	Version       string       // User-Agent is "leadstream/<Version>"; empty: "dev"
	Timeout       time.Duration
	Backoff       []time.Duration // waits before attempts 2..n; attempts = len+1
	Jitter        float64         // fraction, ±; negative disables
	MaxRetryAfter time.Duration
	MaxBodyBytes  int

	Now   func() time.Time                                 // clock
	Sleep func(ctx context.Context, d time.Duration) error // waits d or until ctx ends
	Rand  func() float64                                   // uniform [0,1) for jitter

	// OnFailure is called exactly once per subscriber whose delivery failed
	// for good (non-retryable status or budget exhausted).
	OnFailure func(ctx context.Context, f Failure)

	// Metrics count deliveries, retries and failures per subscriber (nil:
	// none; make them with NewMetrics).
	Metrics *Metrics
}

// Sender delivers events to subscribers. It is safe for concurrent use.
type Sender struct {
	subs []Subscription
	opt  Options
	ua   string
}

// NewSender validates the subscriptions and fills in default options.
func NewSender(subs []Subscription, opt Options) (*Sender, error) {
	for i, s := range subs {
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("new sender: subscription %d: url %q is not an absolute http(s) URL", i, redactURL(s.URL))
		}
		if s.Secret == "" {
			return nil, fmt.Errorf("new sender: subscription %d (%s): %w", i, redactURL(s.URL), ErrNoSecret)
		}
		for _, e := range s.Events {
			if !KnownEvent(e) {
				return nil, fmt.Errorf("new sender: subscription %d (%s): %q: %w", i, redactURL(s.URL), e, ErrUnknownEvent)
			}
		}
	}
	if opt.Client == nil {
		opt.Client = &http.Client{}
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Version == "" {
		opt.Version = "dev"
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Backoff == nil {
		opt.Backoff = DefaultBackoff()
	}
	if opt.Jitter == 0 {
		opt.Jitter = DefaultJitter
	} else if opt.Jitter < 0 {
		opt.Jitter = 0
	}
	if opt.MaxRetryAfter <= 0 {
		opt.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Sleep == nil {
		opt.Sleep = sleepCtx
	}
	if opt.Rand == nil {
		opt.Rand = rand.Float64
	}
	return &Sender{subs: slices.Clone(subs), opt: opt, ua: "leadstream/" + opt.Version}, nil
}

// Deliver sends ev to every enabled subscriber of its type, concurrently, and
// returns when each has succeeded or failed for good. Final failures go to
// Options.OnFailure and are also joined into the returned error. When ctx
// ends first, the remaining deliveries stop without calling OnFailure and the
// error wraps ctx.Err(), so the caller can keep the event for a later run.
func (s *Sender) Deliver(ctx context.Context, ev Event) error {
	if !KnownEvent(ev.Type) {
		return fmt.Errorf("deliver %q: %w", ev.Type, ErrUnknownEvent)
	}
	if ev.ID == "" {
		ev.ID = NewEventID()
	}
	if ev.CreatedAt.IsZero() {
		ev.CreatedAt = s.opt.Now()
	}
	body, err := json.Marshal(envelope{
		ID:        ev.ID,
		Type:      ev.Type,
		CreatedAt: ev.CreatedAt.UTC().Format(time.RFC3339),
		Data:      ev.Data,
	})
	if err != nil {
		return fmt.Errorf("deliver %s %s: encode envelope: %w", ev.Type, ev.ID, err)
	}
	if len(body) > s.opt.MaxBodyBytes {
		return fmt.Errorf("deliver %s %s: %d bytes > %d: %w", ev.Type, ev.ID, len(body), s.opt.MaxBodyBytes, ErrBodyTooLarge)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, sub := range s.subs {
		if !sub.Wants(ev.Type) {
			continue
		}
		wg.Go(func() {
			if err := s.deliverOne(ctx, sub, ev, body); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// deliverOne runs the attempt loop for one subscriber.
func (s *Sender) deliverOne(ctx context.Context, sub Subscription, ev Event, body []byte) error {
	signer, err := NewSigner(sub.Secret, sub.PreviousSecret)
	if err != nil {
		return fmt.Errorf("deliver %s %s to %s: %w", ev.Type, ev.ID, redactURL(sub.URL), err)
	}
	log := s.opt.Logger.With(slog.String("event_id", ev.ID), slog.String("event_type", ev.Type), slog.String("url", redactURL(sub.URL)))
	attempts := len(s.opt.Backoff) + 1
	fail := func(n, status int, err error) error {
		f := Failure{URL: sub.URL, EventID: ev.ID, EventType: ev.Type, Body: body, Attempts: n, StatusCode: status, Err: err}
		log.WarnContext(ctx, "webhook delivery failed for good", slog.Int("attempts", n), slog.Int("status", status), slog.String("error", err.Error()))
		s.opt.Metrics.count(ev.Type, ResultFailed)
		if s.opt.OnFailure != nil {
			s.opt.OnFailure(ctx, f)
		}
		return fmt.Errorf("deliver %s %s to %s: %w", ev.Type, ev.ID, redactURL(sub.URL), err)
	}
	for n := 1; ; n++ {
		res := s.attempt(ctx, sub.URL, signer, ev, body)
		if res.err == nil && res.status >= 200 && res.status < 300 {
			log.DebugContext(ctx, "webhook delivered", slog.Int("attempt", n), slog.Int("status", res.status))
			s.opt.Metrics.count(ev.Type, ResultDelivered)
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("deliver %s %s to %s: attempt %d: %w", ev.Type, ev.ID, redactURL(sub.URL), n, context.Cause(ctx))
		}
		switch {
		case !res.retryable:
			return fail(n, res.status, fmt.Errorf("attempt %d: status %d: %w", n, res.status, ErrNotRetryable))
		case n >= attempts:
			return fail(n, res.status, fmt.Errorf("%d attempts, last: %w: %w", n, res.errOrStatus(), ErrBudgetExceeded))
		}
		s.opt.Metrics.count(ev.Type, ResultRetried)
		wait := s.backoff(n, res.retryAfter)
		log.InfoContext(ctx, "webhook attempt failed, retrying", slog.Int("attempt", n), slog.Int("status", res.status),
			slog.String("error", res.errOrStatus().Error()), slog.Duration("wait", wait))
		if err := s.opt.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("deliver %s %s to %s: waiting after attempt %d: %w", ev.Type, ev.ID, redactURL(sub.URL), n, err)
		}
	}
}

// attemptResult is the outcome of one HTTP attempt.
type attemptResult struct {
	status     int
	err        error
	retryable  bool
	retryAfter time.Duration // from a 429/503 Retry-After header, 0 if none
}

func (r attemptResult) errOrStatus() error {
	if r.err != nil {
		return r.err
	}
	return fmt.Errorf("status %d", r.status)
}

// attempt makes one signed POST bounded by Options.Timeout.
func (s *Sender) attempt(ctx context.Context, rawURL string, signer *Signer, ev Event, body []byte) attemptResult {
	actx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return attemptResult{err: fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set(HeaderContentType, contentTypeJSON)
	req.Header.Set(HeaderUserAgent, s.ua)
	req.Header.Set(HeaderEvent, ev.Type)
	req.Header.Set(HeaderIdempotencyKey, ev.ID)
	req.Header.Set(HeaderSignature, signer.Sign(s.opt.Now(), body))
	resp, err := s.opt.Client.Do(req)
	if err != nil {
		// Network errors and the per-attempt timeout are retryable. The
		// URL's query may hold a token, so keep it out of logs.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			ue.URL = redactURL(ue.URL)
		}
		return attemptResult{err: fmt.Errorf("post: %w", err), retryable: true}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseDrain))
	r := attemptResult{status: resp.StatusCode}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		r.retryable = true
		r.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), s.opt.Now())
	}
	return r
}

// backoff returns the wait after failed attempt n (1-based): the scheduled
// delay with ±Jitter, raised to Retry-After when that is longer, and
// Retry-After capped at MaxRetryAfter.
func (s *Sender) backoff(n int, retryAfter time.Duration) time.Duration {
	base := s.opt.Backoff[min(n-1, len(s.opt.Backoff)-1)]
	d := time.Duration(float64(base) * (1 + s.opt.Jitter*(2*s.opt.Rand()-1)))
	if retryAfter > s.opt.MaxRetryAfter {
		retryAfter = s.opt.MaxRetryAfter
	}
	return max(d, retryAfter, 0)
}

// parseRetryAfter reads delay-seconds or an HTTP-date; 0 when absent or bad.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// redactURL drops user info, query and fragment, which may carry tokens.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<invalid url>"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
