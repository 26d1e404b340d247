// Package pulltest is the shared conformance suite for provider pullers: each
// provider package runs it against its emulator. It checks a multi-page pull,
// 429 and 5xx recovery, auth failures, malformed records, checkpoint resume
// after a crash and the credit-budget stop, asserting request and credit
// counts rather than durations. Waits go through a fake clock.
package pulltest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/pull"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
)

// Harness describes one provider to the suite.
type Harness struct {
	Provider string
	// Start launches an emulator for cfg (closed by t.Cleanup) and returns a
	// puller using key against it, with perPage records per page.
	Start func(t testing.TB, cfg emukit.Config, key string, perPage int) (pull.Puller, *emukit.Kit)
	// Key is the emulator's valid key.
	Key string
	// PerPage is the page size used by the suite (Records is 25).
	PerPage int
	// PagePath is the emulator path hit exactly once per data page in a
	// fault-free pull; the resume test checks it is not hit again.
	PagePath string
	// PageCredits is what one full page costs; 0 skips the budget test.
	PageCredits float64
}

// Clock is a fake clock whose Sleep advances time instantly.
type Clock struct {
	mu    sync.Mutex
	now   time.Time
	Slept []time.Duration
}

// NewClock starts a Clock at a fixed instant.
func NewClock() *Clock { return &Clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

// Now returns the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep advances the fake time by d without waiting.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.Slept = append(c.Slept, d)
	return nil
}

// Options returns Run options for tests: the fake clock, no jitter, a
// logger writing to buf, and dir for checkpoints.
func Options(dir string, clk *Clock, buf *bytes.Buffer) pull.Options {
	return pull.Options{
		Dir: dir, Sleep: clk.Sleep, Now: clk.Now, NoJitter: true,
		PollInterval: time.Millisecond, MaxPollInterval: time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// Collector gathers delivered records.
type Collector struct {
	mu   sync.Mutex
	IDs  []string
	Recs []pull.Record
	// FailAt makes the handler fail on the n-th record (1-based) once.
	FailAt int
	seen   int
}

// ErrCrash is what a Collector's handler returns at FailAt.
var ErrCrash = errors.New("simulated crash")

// Handle is a pull.Handler.
func (c *Collector) Handle(_ context.Context, r pull.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen++
	if c.FailAt > 0 && c.seen == c.FailAt {
		c.FailAt = 0
		return ErrCrash
	}
	c.IDs = append(c.IDs, r.ID)
	c.Recs = append(c.Recs, r)
	return nil
}

// Unique returns the number of distinct ids collected.
func (c *Collector) Unique() int {
	m := map[string]bool{}
	for _, id := range c.IDs {
		m[id] = true
	}
	return len(m)
}

const records = 25

// Run executes the conformance suite.
func Run(t *testing.T, h Harness) {
	t.Helper()
	pages := (records + h.PerPage - 1) / h.PerPage
	fullCost := func() float64 {
		// Cost of a clean full pull, measured once.
		p, kit := h.Start(t, emukit.Config{Key: h.Key, Records: records}, h.Key, h.PerPage)
		var col Collector
		var buf bytes.Buffer
		if _, err := pull.Run(context.Background(), p, col.Handle, Options(t.TempDir(), NewClock(), &buf)); err != nil {
			t.Fatalf("baseline pull: %v\n%s", err, buf.String())
		}
		return kit.Spent()
	}()

	t.Run("pages", func(t *testing.T) {
		p, kit := h.Start(t, emukit.Config{Key: h.Key, Records: records}, h.Key, h.PerPage)
		var col Collector
		var buf bytes.Buffer
		st, err := pull.Run(context.Background(), p, col.Handle, Options(t.TempDir(), NewClock(), &buf))
		if err != nil {
			t.Fatalf("Run: %v\n%s", err, buf.String())
		}
		if st.Stop != pull.StopDone || len(col.IDs) != records || col.Unique() != records {
			t.Fatalf("stop %s, got %d records (%d unique), want %d", st.Stop, len(col.IDs), col.Unique(), records)
		}
		if got := kit.Count(h.PagePath); got != pages {
			t.Errorf("%s requests = %d, want %d", h.PagePath, got, pages)
		}
		if st.Credits != kit.Spent() {
			t.Errorf("puller counted %v credits, emulator charged %v", st.Credits, kit.Spent())
		}
		for _, r := range col.Recs {
			if r.Provider != h.Provider || r.ID == "" || r.Data == nil {
				t.Fatalf("bad record %+v", r)
			}
		}
	})

	t.Run("faults", func(t *testing.T) {
		cases := []struct {
			name        string
			cfg         emukit.Config
			wantLimited bool
			wantRetries bool
		}{
			{"429 then recovery", emukit.Config{Faults: map[int]emukit.FaultKind{2: emukit.FaultRateLimit, 3: emukit.FaultRateLimit}}, true, false},
			{"limiter every 2 requests", emukit.Config{RateLimit: 2, RetryAfter: 7}, true, false},
			{"5xx and malformed body", emukit.Config{Faults: map[int]emukit.FaultKind{2: emukit.FaultServer, 4: emukit.FaultMalformedBody}}, false, true},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				cfg := tc.cfg
				cfg.Key, cfg.Records = h.Key, records
				p, kit := h.Start(t, cfg, h.Key, h.PerPage)
				var col Collector
				var buf bytes.Buffer
				st, err := pull.Run(context.Background(), p, col.Handle, Options(t.TempDir(), NewClock(), &buf))
				if err != nil {
					t.Fatalf("Run: %v\n%s", err, buf.String())
				}
				if col.Unique() != records || len(col.IDs) != records {
					t.Fatalf("got %d records (%d unique), want %d", len(col.IDs), col.Unique(), records)
				}
				if tc.wantLimited && (st.RateLimited == 0 || st.RateLimited != kit.Throttled()) {
					t.Errorf("RateLimited = %d, emulator throttled %d", st.RateLimited, kit.Throttled())
				}
				if tc.wantRetries && st.Retries != 2 {
					t.Errorf("Retries = %d, want 2", st.Retries)
				}
				if st.Credits != fullCost || kit.Spent() != fullCost {
					t.Errorf("credits: run %v, emulator %v, want %v (a clean pull's)", st.Credits, kit.Spent(), fullCost)
				}
			})
		}
	})

	t.Run("rate-limit budget exhausted", func(t *testing.T) {
		faults := map[int]emukit.FaultKind{}
		for i := 1; i <= 50; i++ {
			faults[i] = emukit.FaultRateLimit
		}
		p, _ := h.Start(t, emukit.Config{Key: h.Key, Records: records, Faults: faults}, h.Key, h.PerPage)
		var col Collector
		var buf bytes.Buffer
		o := Options(t.TempDir(), NewClock(), &buf)
		o.MaxRateLimitRetries = 3
		st, err := pull.Run(context.Background(), p, col.Handle, o)
		if !errors.Is(err, pull.ErrRateLimited) || !strings.Contains(err.Error(), "retry budget") {
			t.Fatalf("err = %v, want a rate-limit retry-budget error", err)
		}
		if st.RateLimited != 4 {
			t.Errorf("RateLimited = %d, want 4", st.RateLimited)
		}
	})

	t.Run("auth failure", func(t *testing.T) {
		bad := "sk-wrong-" + h.Provider + "-0123456789"
		p, kit := h.Start(t, emukit.Config{Key: h.Key, Records: records}, bad, h.PerPage)
		var col Collector
		var buf bytes.Buffer
		_, err := pull.Run(context.Background(), p, col.Handle, Options(t.TempDir(), NewClock(), &buf))
		if !errors.Is(err, pull.ErrAuth) {
			t.Fatalf("err = %v, want ErrAuth", err)
		}
		msg := err.Error()
		if !strings.Contains(msg, "check the API key for "+h.Provider) || !strings.Contains(msg, "answered 40") {
			t.Errorf("message lacks advice: %s", msg)
		}
		if strings.Contains(msg, bad) || strings.Contains(buf.String(), bad) {
			t.Errorf("key leaked: %s\n%s", msg, buf.String())
		}
		if kit.AuthFailures() != 1 || len(col.IDs) != 0 {
			t.Errorf("auth failures %d, records %d: want 1 and 0 (no retry)", kit.AuthFailures(), len(col.IDs))
		}
	})

	t.Run("malformed record", func(t *testing.T) {
		bad := h.PerPage + 2 // third row of the second page
		p, _ := h.Start(t, emukit.Config{Key: h.Key, Records: records, Malformed: map[int]bool{bad: true}}, h.Key, h.PerPage)
		var col Collector
		var buf bytes.Buffer
		var rerrs []*pull.RecordError
		o := Options(t.TempDir(), NewClock(), &buf)
		o.OnRecordError = func(_ context.Context, e *pull.RecordError) { rerrs = append(rerrs, e) }
		st, err := pull.Run(context.Background(), p, col.Handle, o)
		if err != nil {
			t.Fatalf("Run: %v\n%s", err, buf.String())
		}
		if len(col.IDs) != records-1 || st.Malformed != 1 || len(rerrs) != 1 {
			t.Fatalf("records %d malformed %d reported %d; want %d, 1, 1", len(col.IDs), st.Malformed, len(rerrs), records-1)
		}
		re := rerrs[0]
		if re.Index != 2 || re.Step < 2 || re.Provider != h.Provider {
			t.Errorf("record error at step %d index %d, want index 2 of a later step: %v", re.Step, re.Index, re)
		}
		if !strings.Contains(re.Error(), fmt.Sprintf("index %d", re.Index)) {
			t.Errorf("message lacks context: %v", re)
		}
	})

	t.Run("resume after crash", func(t *testing.T) {
		cfg := emukit.Config{Key: h.Key, Records: records}
		p, kit := h.Start(t, cfg, h.Key, h.PerPage)
		dir := t.TempDir()
		col := Collector{FailAt: h.PerPage + 3} // inside the second page
		var buf bytes.Buffer
		_, err := pull.Run(context.Background(), p, col.Handle, Options(dir, NewClock(), &buf))
		if !errors.Is(err, ErrCrash) {
			t.Fatalf("first run: err = %v, want the simulated crash", err)
		}
		before := kit.Count(h.PagePath)
		st, err := pull.Run(context.Background(), p, col.Handle, Options(dir, NewClock(), &buf))
		if err != nil {
			t.Fatalf("second run: %v\n%s", err, buf.String())
		}
		if !st.Resumed || st.Stop != pull.StopDone {
			t.Errorf("resumed %v stop %s", st.Resumed, st.Stop)
		}
		if col.Unique() != records || len(col.IDs) != records {
			t.Errorf("delivered %d (%d unique), want %d exactly once", len(col.IDs), col.Unique(), records)
		}
		if got := kit.Count(h.PagePath); got != pages || before > pages {
			t.Errorf("%s fetched %d times (%d before restart), want %d: a page was fetched twice", h.PagePath, got, before, pages)
		}
		if kit.Spent() != fullCost || st.Credits != fullCost {
			t.Errorf("credits spent %v (run says %v), want %v: credits re-spent", kit.Spent(), st.Credits, fullCost)
		}
		// A third run finds the checkpoint done and makes no request.
		reqs := kit.Requests()
		if _, err := pull.Run(context.Background(), p, col.Handle, Options(dir, NewClock(), &buf)); err != nil || kit.Requests() != reqs {
			t.Errorf("third run: err %v, %d new requests", err, kit.Requests()-reqs)
		}
	})

	t.Run("hard crash mid-page", func(t *testing.T) {
		// The process dies while delivering the second page: the checkpoint
		// on disk is the one written before delivery (the graceful save
		// after a handler error never happens). The restart must deliver
		// that page from the checkpoint, not fetch or pay for it again.
		p, kit := h.Start(t, emukit.Config{Key: h.Key, Records: records}, h.Key, h.PerPage)
		dir := t.TempDir()
		path := pull.CheckpointPath(dir, h.Provider)
		var snapshot []byte
		col := Collector{}
		crashAt := h.PerPage + 3
		handler := func(ctx context.Context, r pull.Record) error {
			if len(col.IDs) == crashAt-1 && snapshot == nil {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("reading checkpoint mid-delivery: %v", err)
				}
				snapshot = b
				return ErrCrash
			}
			return col.Handle(ctx, r)
		}
		var buf bytes.Buffer
		if _, err := pull.Run(context.Background(), p, handler, Options(dir, NewClock(), &buf)); !errors.Is(err, ErrCrash) {
			t.Fatalf("first run: %v", err)
		}
		if err := os.WriteFile(path, snapshot, 0o644); err != nil {
			t.Fatal(err)
		}
		st, err := pull.Run(context.Background(), p, col.Handle, Options(dir, NewClock(), &buf))
		if err != nil || st.Stop != pull.StopDone {
			t.Fatalf("second run: err %v stop %s\n%s", err, st.Stop, buf.String())
		}
		if col.Unique() != records {
			t.Errorf("delivered %d unique records, want %d (at least once)", col.Unique(), records)
		}
		if got := kit.Count(h.PagePath); got != pages {
			t.Errorf("%s fetched %d times, want %d", h.PagePath, got, pages)
		}
		if kit.Spent() != fullCost {
			t.Errorf("credits spent %v, want %v", kit.Spent(), fullCost)
		}
	})

	t.Run("credit budget", func(t *testing.T) {
		if h.PageCredits == 0 {
			t.Skip("this pull mode spends no credits")
		}
		p, kit := h.Start(t, emukit.Config{Key: h.Key, Records: records}, h.Key, h.PerPage)
		dir := t.TempDir()
		var col Collector
		var buf bytes.Buffer
		o := Options(dir, NewClock(), &buf)
		o.CreditBudget = 1.5 * h.PageCredits
		st, err := pull.Run(context.Background(), p, col.Handle, o)
		if err != nil {
			t.Fatalf("Run: %v\n%s", err, buf.String())
		}
		if st.Stop != pull.StopBudget || st.Credits > o.CreditBudget || kit.Spent() != st.Credits {
			t.Fatalf("stop %s, spent %v (emulator %v), budget %v", st.Stop, st.Credits, kit.Spent(), o.CreditBudget)
		}
		if kit.Spent() != h.PageCredits || len(col.IDs) != h.PerPage {
			t.Errorf("spent %v for %d records, want one page: %v for %d", kit.Spent(), len(col.IDs), h.PageCredits, h.PerPage)
		}
		// Raising the budget resumes where it stopped.
		o.CreditBudget = 0
		if _, err := pull.Run(context.Background(), p, col.Handle, o); err != nil {
			t.Fatalf("resume: %v", err)
		}
		if col.Unique() != records || kit.Spent() != fullCost {
			t.Errorf("after resume: %d records, spent %v, want %d and %v", col.Unique(), kit.Spent(), records, fullCost)
		}
	})
}
