package pull_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/pull"
	"github.com/leadstream/leadstream/connectors/pull/pulltest"
)

// script is a fake puller: step i answers steps[i] (errors are consumed
// one per call before the step succeeds).
type script struct {
	steps []fakeStep
	calls int
	reqs  []pull.Request
	fp    string
}

type fakeStep struct {
	errs []error
	step pull.Step
	cost float64
}

func (s *script) Provider() string    { return "fake" }
func (s *script) Fingerprint() string { return s.fp }
func (s *script) Cost(c string) float64 {
	i := idx(c)
	if i < len(s.steps) {
		return s.steps[i].cost
	}
	return 0
}

func idx(c string) int {
	var n int
	_ = pull.DecodeCursor(c, &n)
	return n
}

func (s *script) Fetch(_ context.Context, r pull.Request) (pull.Step, error) {
	s.calls++
	s.reqs = append(s.reqs, r)
	i := idx(r.Cursor)
	fs := &s.steps[i]
	if len(fs.errs) > 0 {
		err := fs.errs[0]
		fs.errs = fs.errs[1:]
		return pull.Step{}, err
	}
	st := fs.step
	st.Next = pull.EncodeCursor(i + 1)
	if st.Pending && !r.GiveUpPending {
		st.Next = r.Cursor
	} else if st.Pending {
		st.Pending = false
	}
	st.Done = i == len(s.steps)-1 && !(fs.step.Pending && !r.GiveUpPending)
	return st, nil
}

func items(ids ...string) []pull.Item {
	var out []pull.Item
	for _, id := range ids {
		out = append(out, pull.Item{ID: id, Data: map[string]any{"id": id}})
	}
	return out
}

func opts(t *testing.T, clk *pulltest.Clock) (pull.Options, *bytes.Buffer) {
	var buf bytes.Buffer
	return pulltest.Options(t.TempDir(), clk, &buf), &buf
}

func TestRetryBudgetForTransientErrors(t *testing.T) {
	boom := &pull.Error{Provider: "fake", Kind: pull.KindTransient, Op: "GET /x", Status: 503}
	s := &script{steps: []fakeStep{{errs: []error{boom, boom, boom, boom}, step: pull.Step{Items: items("a")}}}}
	clk := pulltest.NewClock()
	o, _ := opts(t, clk)
	o.MaxRetries = 3
	var col pulltest.Collector
	st, err := pull.Run(context.Background(), s, col.Handle, o)
	if err == nil || !strings.Contains(err.Error(), "giving up after 3 retries") || s.calls != 4 || st.Retries != 4 {
		t.Fatalf("err %v calls %d retries %d", err, s.calls, st.Retries)
	}
	// Exponential backoff without jitter: 1s, 2s, 4s.
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	for i, d := range want {
		if clk.Slept[i] != d {
			t.Errorf("wait %d = %v, want %v", i, clk.Slept[i], d)
		}
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	limited := &pull.Error{Provider: "fake", Kind: pull.KindRateLimited, Status: 429, RetryAfter: 42 * time.Second}
	s := &script{steps: []fakeStep{{errs: []error{limited}, step: pull.Step{Items: items("a")}}}}
	clk := pulltest.NewClock()
	o, _ := opts(t, clk)
	var col pulltest.Collector
	st, err := pull.Run(context.Background(), s, col.Handle, o)
	if err != nil || st.RateLimited != 1 || len(clk.Slept) != 1 || clk.Slept[0] != 42*time.Second {
		t.Fatalf("err %v limited %d slept %v", err, st.RateLimited, clk.Slept)
	}
}

func TestPacingFromRateHeaders(t *testing.T) {
	clk := pulltest.NewClock()
	reset := clk.Now().Add(30 * time.Second)
	exhausted := pull.RateInfo{Limit: 10, Remaining: 0, Reset: reset, CreditsLeft: -1}
	low := pull.RateInfo{Limit: 10, Remaining: 2, ResetAfter: 9 * time.Second, CreditsLeft: -1}
	s := &script{steps: []fakeStep{{step: pull.Step{Rate: exhausted}}, {step: pull.Step{Rate: low}}, {step: pull.Step{Rate: pull.UnknownRate()}}}}
	o, _ := opts(t, clk)
	var col pulltest.Collector
	if _, err := pull.Run(context.Background(), s, col.Handle, o); err != nil {
		t.Fatal(err)
	}
	if len(clk.Slept) != 2 || clk.Slept[0] != 30*time.Second || clk.Slept[1] != 3*time.Second {
		t.Fatalf("slept %v, want [30s 3s]", clk.Slept)
	}
}

func TestPendingIsBounded(t *testing.T) {
	s := &script{steps: []fakeStep{{step: pull.Step{Pending: true}}}}
	clk := pulltest.NewClock()
	o, _ := opts(t, clk)
	o.MaxPolls = 3
	var col pulltest.Collector
	st, err := pull.Run(context.Background(), s, col.Handle, o)
	if err != nil || s.calls != 4 || st.Polls != 3 || !s.reqs[3].GiveUpPending || s.reqs[2].GiveUpPending {
		t.Fatalf("err %v calls %d polls %d", err, s.calls, st.Polls)
	}
}

func TestStopErrorAfterDelivery(t *testing.T) {
	quota := &pull.Error{Provider: "fake", Kind: pull.KindQuota, Msg: "LIMIT_EXCEEDED"}
	s := &script{steps: []fakeStep{{step: pull.Step{Items: items("a", "b"), Credits: 2, Stop: quota}}, {step: pull.Step{}}}}
	o, _ := opts(t, pulltest.NewClock())
	var col pulltest.Collector
	st, err := pull.Run(context.Background(), s, col.Handle, o)
	if !errors.Is(err, pull.ErrQuota) || len(col.IDs) != 2 || st.Credits != 2 {
		t.Fatalf("err %v records %d credits %v", err, len(col.IDs), st.Credits)
	}
}

func TestCheckpointBelongsToOneQuery(t *testing.T) {
	dir := t.TempDir()
	clk := pulltest.NewClock()
	o, _ := opts(t, clk)
	o.Dir = dir
	o.MaxSteps = 1
	var col pulltest.Collector
	s := &script{fp: "q1", steps: []fakeStep{{step: pull.Step{Items: items("a")}}, {step: pull.Step{Items: items("b")}}}}
	if _, err := pull.Run(context.Background(), s, col.Handle, o); err != nil {
		t.Fatal(err)
	}
	other := &script{fp: "q2", steps: s.steps}
	if _, err := pull.Run(context.Background(), other, col.Handle, o); err == nil || !strings.Contains(err.Error(), "different pull") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	cp, err := pull.LoadCheckpoint(pull.CheckpointPath(dir, "fake"))
	if err != nil || cp.Steps != 1 || cp.Records != 1 || cp.Cursor != "1" || len(cp.Inflight) != 0 {
		t.Fatalf("checkpoint %+v err %v", cp, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("stray files in checkpoint dir: %v", entries)
	}
}

func TestMalformedItemsKeepTheirErrorAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	o, _ := opts(t, pulltest.NewClock())
	o.Dir = dir
	var rerrs []*pull.RecordError
	o.OnRecordError = func(_ context.Context, e *pull.RecordError) { rerrs = append(rerrs, e) }
	bad := pull.Item{At: 2, Err: errors.New("record is not a JSON object (got string)")}
	s := &script{steps: []fakeStep{{step: pull.Step{Items: append(items("a"), bad, items("c")[0])}}}}
	col := pulltest.Collector{FailAt: 2} // crash on "c", after the bad one was reported
	if _, err := pull.Run(context.Background(), s, col.Handle, o); !errors.Is(err, pulltest.ErrCrash) {
		t.Fatal(err)
	}
	st, err := pull.Run(context.Background(), s, col.Handle, o)
	if err != nil || s.calls != 1 || len(col.IDs) != 2 || st.Malformed != 1 || len(rerrs) != 1 || rerrs[0].Index != 1 {
		t.Fatalf("err %v calls %d records %v malformed %d rerrs %v", err, s.calls, col.IDs, st.Malformed, rerrs)
	}
}

func TestClientRedactsAndBoundsBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			_, _ = w.Write(bytes.Repeat([]byte("x"), 2048))
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"message":"bad key s3cr3t-key"}`))
	}))
	c := pull.NewClient("fake", srv.Client(), "s3cr3t-key")
	c.MaxBody = 1024
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/big", nil)
	if _, err := c.Do(req); pull.KindOf(err) != pull.KindPermanent || !strings.Contains(err.Error(), "exceeds 1024 bytes") {
		t.Errorf("oversized body: %v", err)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/x?api_key=s3cr3t-key", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Classify(pull.Op(req), resp, time.Now())
	if !errors.Is(err, pull.ErrAuth) || strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), "check the API key for fake") {
		t.Errorf("auth error: %v", err)
	}
	srv.Close()
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/x?api_key=other-secret&x=1", nil)
	_, err = c.Do(req)
	if pull.KindOf(err) != pull.KindTransient || strings.Contains(err.Error(), "other-secret") {
		t.Errorf("network error: %v", err)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	h := http.Header{}
	h.Set("Retry-After", "7")
	if d := pull.RetryAfter(h, now); d != 7*time.Second {
		t.Errorf("seconds: %v", d)
	}
	h.Set("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat))
	if d := pull.RetryAfter(h, now); d != 90*time.Second {
		t.Errorf("date: %v", d)
	}
}

func TestContextCancelStopsWaiting(t *testing.T) {
	limited := &pull.Error{Provider: "fake", Kind: pull.KindRateLimited, RetryAfter: time.Hour}
	s := &script{steps: []fakeStep{{errs: []error{limited}, step: pull.Step{}}}}
	ctx, cancel := context.WithCancel(context.Background())
	o, _ := opts(t, pulltest.NewClock())
	o.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	var col pulltest.Collector
	if _, err := pull.Run(ctx, s, col.Handle, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}
