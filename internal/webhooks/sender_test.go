package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const testSecret = "whsec_sender_test"

// fakeClock is a manual clock whose Sleep advances time instantly.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1767225600, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}

// received is one request as the test server saw it.
type received struct {
	header http.Header
	body   []byte
	at     time.Time // fake-clock time when it arrived
}

// recorder answers with a scripted sequence of responses (the last repeats).
type recorder struct {
	mu      sync.Mutex
	clock   *fakeClock
	replies []func(w http.ResponseWriter)
	reqs    []received
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	n := len(r.reqs)
	r.reqs = append(r.reqs, received{header: req.Header.Clone(), body: body, at: r.clock.Now()})
	reply := r.replies[min(n, len(r.replies)-1)]
	r.mu.Unlock()
	reply(w)
}

func (r *recorder) Requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs)
}

func status(code int) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) { w.WriteHeader(code) }
}

func statusRetryAfter(code int, after string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", after)
		w.WriteHeader(code)
	}
}

// failures collects OnFailure calls.
type failures struct {
	mu   sync.Mutex
	list []Failure
}

func (f *failures) record(_ context.Context, x Failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.list = append(f.list, x)
}

func (f *failures) List() []Failure {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.list)
}

func testEvent() Event {
	return Event{
		ID:        "evt_01JH8R0000000000000000000",
		Type:      EventLeadCreated,
		CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Data: map[string]any{
			"lead_id": "L1", "halopsa_ticket_id": 42, "source": "csv",
			"quality_score": 80, "fit_score": 71, "fit_bucket": "A",
		},
	}
}

func TestDeliverRetries(t *testing.T) {
	tests := []struct {
		name         string
		replies      []func(http.ResponseWriter)
		wantRequests int
		wantSleeps   []time.Duration
		wantFailure  error // nil: delivered
		wantStatus   int   // status in the failure
	}{
		{
			name:         "first attempt succeeds",
			replies:      []func(http.ResponseWriter){status(http.StatusOK)},
			wantRequests: 1,
		},
		{
			name:         "202 counts as success",
			replies:      []func(http.ResponseWriter){status(http.StatusAccepted)},
			wantRequests: 1,
		},
		{
			name:         "500 then 200",
			replies:      []func(http.ResponseWriter){status(http.StatusInternalServerError), status(http.StatusOK)},
			wantRequests: 2,
			wantSleeps:   []time.Duration{30 * time.Second},
		},
		{
			name:         "408 then 200",
			replies:      []func(http.ResponseWriter){status(http.StatusRequestTimeout), status(http.StatusOK)},
			wantRequests: 2,
			wantSleeps:   []time.Duration{30 * time.Second},
		},
		{
			name:         "429 Retry-After longer than backoff is honoured",
			replies:      []func(http.ResponseWriter){statusRetryAfter(http.StatusTooManyRequests, "200"), status(http.StatusOK)},
			wantRequests: 2,
			wantSleeps:   []time.Duration{200 * time.Second},
		},
		{
			name:         "429 Retry-After shorter than backoff keeps backoff",
			replies:      []func(http.ResponseWriter){statusRetryAfter(http.StatusTooManyRequests, "5"), status(http.StatusOK)},
			wantRequests: 2,
			wantSleeps:   []time.Duration{30 * time.Second},
		},
		{
			name:         "429 Retry-After as HTTP date",
			replies:      []func(http.ResponseWriter){statusRetryAfter(http.StatusTooManyRequests, time.Unix(1767225600+90, 0).UTC().Format(http.TimeFormat)), status(http.StatusOK)},
			wantRequests: 2,
			wantSleeps:   []time.Duration{90 * time.Second},
		},
		{
			name:         "429 Retry-After capped at 10 minutes",
			replies:      []func(http.ResponseWriter){statusRetryAfter(http.StatusTooManyRequests, "3600"), status(http.StatusOK)},
			wantRequests: 2,
			wantSleeps:   []time.Duration{10 * time.Minute},
		},
		{
			name:         "400 is not retried",
			replies:      []func(http.ResponseWriter){status(http.StatusBadRequest)},
			wantRequests: 1,
			wantFailure:  ErrNotRetryable,
			wantStatus:   http.StatusBadRequest,
		},
		{
			name:         "410 is not retried",
			replies:      []func(http.ResponseWriter){status(http.StatusGone)},
			wantRequests: 1,
			wantFailure:  ErrNotRetryable,
			wantStatus:   http.StatusGone,
		},
		{
			name:         "budget exhausted",
			replies:      []func(http.ResponseWriter){status(http.StatusServiceUnavailable)},
			wantRequests: 3,
			wantSleeps:   []time.Duration{30 * time.Second, 120 * time.Second},
			wantFailure:  ErrBudgetExceeded,
			wantStatus:   http.StatusServiceUnavailable,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			rec := &recorder{clock: clock, replies: tc.replies}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			var fails failures
			met, err := NewMetrics(prometheus.NewRegistry())
			if err != nil {
				t.Fatal(err)
			}
			s, err := NewSender([]Subscription{{URL: srv.URL + "/hook", Secret: testSecret, Events: []string{EventLeadCreated}, Enabled: true}}, Options{
				Client: srv.Client(), Version: "1.2.3", Now: clock.Now, Sleep: clock.Sleep,
				Rand:      func() float64 { return 0.5 }, // no jitter
				OnFailure: fails.record,
				Metrics:   met,
			})
			if err != nil {
				t.Fatal(err)
			}
			ev := testEvent()
			err = s.Deliver(context.Background(), ev)

			wantCounts := map[string]float64{ResultDelivered: 1, ResultRetried: float64(len(tc.wantSleeps)), ResultFailed: 0}
			if tc.wantFailure != nil {
				wantCounts[ResultDelivered], wantCounts[ResultFailed] = 0, 1
			}
			for result, want := range wantCounts {
				if got := testutil.ToFloat64(met.outbound.WithLabelValues(ev.Type, result)); got != want {
					t.Errorf("webhook_outbound_total{result=%q} = %v, want %v", result, got, want)
				}
			}

			reqs := rec.Requests()
			if len(reqs) != tc.wantRequests {
				t.Fatalf("requests = %d, want %d", len(reqs), tc.wantRequests)
			}
			if got := clock.Sleeps(); !slices.Equal(got, tc.wantSleeps) {
				t.Errorf("sleeps = %v, want %v", got, tc.wantSleeps)
			}
			for i, r := range reqs {
				checkRequest(t, i, r, ev, "1.2.3")
				if !bytes.Equal(r.body, reqs[0].body) {
					t.Errorf("request %d body changed between attempts", i)
				}
				if i > 0 && r.header.Get(HeaderSignature) == reqs[0].header.Get(HeaderSignature) {
					t.Errorf("request %d reused the first signature; each attempt needs a fresh t", i)
				}
			}
			fl := fails.List()
			if tc.wantFailure == nil {
				if err != nil {
					t.Fatalf("Deliver: %v", err)
				}
				if len(fl) != 0 {
					t.Fatalf("OnFailure called %d times, want 0", len(fl))
				}
				return
			}
			if !errors.Is(err, tc.wantFailure) {
				t.Fatalf("Deliver err = %v, want %v", err, tc.wantFailure)
			}
			if len(fl) != 1 {
				t.Fatalf("OnFailure called %d times, want 1", len(fl))
			}
			f := fl[0]
			if f.EventID != ev.ID || f.EventType != ev.Type || f.Attempts != tc.wantRequests || f.StatusCode != tc.wantStatus || !errors.Is(f.Err, tc.wantFailure) {
				t.Errorf("failure = %+v", f)
			}
			if !bytes.Equal(f.Body, reqs[0].body) {
				t.Errorf("failure body differs from the sent body")
			}
		})
	}
}

// checkRequest asserts the §8.2 headers and envelope on one request.
func checkRequest(t *testing.T, i int, r received, ev Event, version string) {
	t.Helper()
	want := map[string]string{
		"Content-Type":     "application/json",
		"User-Agent":       "leadstream/" + version,
		"Leadstream-Event": ev.Type,
		"Idempotency-Key":  ev.ID,
	}
	for k, v := range want {
		if got := r.header.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("request %d header %s = %q, want %q", i, k, got, v)
		}
	}
	sig := r.header.Get("Leadstream-Signature")
	if want := fmt.Sprintf("t=%d,v1=", r.at.Unix()); !strings.HasPrefix(sig, want) {
		t.Errorf("request %d Leadstream-Signature = %q, want prefix %q", i, sig, want)
	}
	if err := Verify(testSecret, sig, r.body, r.at); err != nil {
		t.Errorf("request %d signature: %v", i, err)
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("request %d body: %v", i, err)
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"created_at", "data", "id", "type"}) {
		t.Errorf("request %d envelope keys = %v", i, keys)
	}
	for k, v := range map[string]string{"id": `"` + ev.ID + `"`, "type": `"` + ev.Type + `"`, "created_at": `"2026-01-01T00:00:00Z"`} {
		if string(env[k]) != v {
			t.Errorf("request %d %s = %s, want %s", i, k, env[k], v)
		}
	}
}

func TestDeliverNetworkErrorRetried(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // connections are refused from now on
	clock := newFakeClock()
	var fails failures
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := NewSender([]Subscription{{URL: addr + "/hook?token=querytoken", Secret: testSecret, Events: []string{EventSyncCompleted}, Enabled: true}},
		Options{Logger: logger, Now: clock.Now, Sleep: clock.Sleep, Rand: func() float64 { return 0.5 }, OnFailure: fails.record})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Deliver(context.Background(), Event{Type: EventSyncCompleted, Data: map[string]any{"batch_id": "b1"}})
	if !errors.Is(err, ErrBudgetExceeded) {
		t.Fatalf("err = %v, want ErrBudgetExceeded", err)
	}
	if got := clock.Sleeps(); len(got) != 2 {
		t.Errorf("sleeps = %v, want 2", got)
	}
	if out := logs.String() + err.Error(); strings.Contains(out, "querytoken") {
		t.Errorf("URL query leaked:\n%s", out)
	}
	fl := fails.List()
	if len(fl) != 1 || fl[0].StatusCode != 0 || fl[0].Attempts != 3 || !strings.HasPrefix(fl[0].EventID, "evt_") {
		t.Errorf("failures = %+v", fl)
	}
}

func TestDeliverAttemptTimeoutRetried(t *testing.T) {
	release := make(chan struct{})
	var calls int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	defer close(release)
	clock := newFakeClock()
	s, err := NewSender([]Subscription{{URL: srv.URL, Secret: testSecret, Events: []string{EventLeadMerged}, Enabled: true}},
		Options{Client: srv.Client(), Timeout: 50 * time.Millisecond, Now: clock.Now, Sleep: clock.Sleep, Rand: func() float64 { return 0.5 }})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Deliver(context.Background(), Event{Type: EventLeadMerged}); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 2 {
		t.Errorf("calls = %d, want 2", calls)
	}
}

func TestDeliverSubscriptionFilter(t *testing.T) {
	hits := map[string]int{}
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
	}))
	defer srv.Close()
	subs := []Subscription{
		{URL: srv.URL + "/a", Secret: "s1", Events: []string{EventProspectConverted}, Enabled: true},
		{URL: srv.URL + "/b", Secret: "s2", Events: []string{EventProspectConverted, EventLeadCreated}, Enabled: true},
		{URL: srv.URL + "/disabled", Secret: "s3", Events: []string{EventProspectConverted}, Enabled: false},
		{URL: srv.URL + "/other", Secret: "s4", Events: []string{EventOpportunityCreated}, Enabled: true},
	}
	s, err := NewSender(subs, Options{Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Deliver(context.Background(), Event{Type: EventProspectConverted}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits["/a"] != 1 || hits["/b"] != 1 || hits["/disabled"] != 0 || hits["/other"] != 0 {
		t.Errorf("hits = %v", hits)
	}
}

func TestDeliverRotationSignsWithBothSecrets(t *testing.T) {
	clock := newFakeClock()
	rec := &recorder{clock: clock, replies: []func(http.ResponseWriter){status(http.StatusOK)}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	s, err := NewSender([]Subscription{{URL: srv.URL, Secret: "new", PreviousSecret: "old", Events: []string{EventLeadCreated}, Enabled: true}},
		Options{Client: srv.Client(), Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Deliver(context.Background(), testEvent()); err != nil {
		t.Fatal(err)
	}
	r := rec.Requests()[0]
	for _, sec := range []string{"new", "old"} {
		if err := Verify(sec, r.header.Get(HeaderSignature), r.body, r.at); err != nil {
			t.Errorf("secret %q: %v", sec, err)
		}
	}
}

func TestDeliverContextCanceledNoFailureCallback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel()
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	clock := newFakeClock()
	var fails failures
	s, err := NewSender([]Subscription{{URL: srv.URL, Secret: testSecret, Events: []string{EventLeadCreated}, Enabled: true}},
		Options{Client: srv.Client(), Now: clock.Now, Sleep: clock.Sleep, OnFailure: fails.record})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Deliver(ctx, testEvent())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := len(fails.List()); n != 0 {
		t.Errorf("OnFailure called %d times, want 0", n)
	}
}

func TestDeliverRejects(t *testing.T) {
	s, err := NewSender(nil, Options{MaxBodyBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ev   Event
		want error
	}{
		{name: "unknown type", ev: Event{Type: "lead.deleted"}, want: ErrUnknownEvent},
		{name: "too large", ev: Event{Type: EventLeadCreated, Data: strings.Repeat("x", 100)}, want: ErrBodyTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Deliver(context.Background(), tc.ev); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestNewSenderValidates(t *testing.T) {
	tests := []struct {
		name string
		sub  Subscription
	}{
		{name: "relative url", sub: Subscription{URL: "/hook", Secret: "s", Events: []string{EventLeadCreated}}},
		{name: "ftp url", sub: Subscription{URL: "ftp://x/hook", Secret: "s", Events: []string{EventLeadCreated}}},
		{name: "no secret", sub: Subscription{URL: "https://x/hook", Events: []string{EventLeadCreated}}},
		{name: "unknown event", sub: Subscription{URL: "https://x/hook", Secret: "s", Events: []string{"lead.exploded"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewSender([]Subscription{tc.sub}, Options{}); err == nil {
				t.Fatal("NewSender accepted an invalid subscription")
			}
		})
	}
}

func TestBackoffJitterBounds(t *testing.T) {
	tests := []struct {
		name       string
		attempt    int
		rnd        float64
		retryAfter time.Duration
		want       time.Duration
	}{
		{name: "2nd low", attempt: 1, rnd: 0, want: 24 * time.Second},
		{name: "2nd mid", attempt: 1, rnd: 0.5, want: 30 * time.Second},
		{name: "2nd high", attempt: 1, rnd: 1, want: 36 * time.Second},
		{name: "3rd low", attempt: 2, rnd: 0, want: 96 * time.Second},
		{name: "3rd high", attempt: 2, rnd: 1, want: 144 * time.Second},
		{name: "retry-after wins", attempt: 1, rnd: 1, retryAfter: 37 * time.Second, want: 37 * time.Second},
		{name: "retry-after capped", attempt: 1, rnd: 0.5, retryAfter: time.Hour, want: 10 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSender(nil, Options{Rand: func() float64 { return tc.rnd }})
			if err != nil {
				t.Fatal(err)
			}
			if got := s.backoff(tc.attempt, tc.retryAfter); got != tc.want {
				t.Fatalf("backoff = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSecretsNeverLogged(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := newFakeClock()
	rec := &recorder{clock: clock, replies: []func(http.ResponseWriter){status(http.StatusBadGateway), status(http.StatusBadRequest)}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	sub := Subscription{URL: srv.URL + "/hook?token=querytoken", Secret: testSecret, PreviousSecret: "prevsecret", Events: []string{EventLeadCreated}, Enabled: true}
	s, err := NewSender([]Subscription{sub}, Options{Client: srv.Client(), Logger: logger, Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Deliver(context.Background(), testEvent())
	if err == nil {
		t.Fatal("Deliver succeeded, want a failure")
	}
	logger.Info("subscription", "sub", sub)
	out := logs.String() + err.Error() + fmt.Sprint(sub) + fmt.Sprintf("%#v %+v", sub, sub)
	for _, secret := range []string{testSecret, "prevsecret", "querytoken"} {
		if strings.Contains(out, secret) {
			t.Errorf("%q leaked into output:\n%s", secret, out)
		}
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("expected a retry log line, got:\n%s", logs.String())
	}
}
