package pull

import (
	"github.com/leadstream/leadstream/internal/ctxtime"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"time"
)

// Handler receives each good record. Returning an error stops the pull; the
// checkpoint keeps the undelivered records of the current step, so a restart
// delivers them again (at-least-once) without fetching the page again.
type Handler func(ctx context.Context, r Record) error

// Options configure Run. The zero value of every field has a usable default
// except Dir, which is required.
type Options struct {
	// Dir is the directory holding the checkpoint file. Required.
	Dir string
	// Name is the checkpoint file's base name; default the provider key.
	Name string
	// CreditBudget caps the credits this pull may spend in total (across
	// restarts). Zero or negative means no cap.
	CreditBudget float64
	// MaxSteps stops the run after that many steps in this invocation; 0 = no cap.
	MaxSteps int
	// MaxRetries is the retry budget per step for transient failures and
	// malformed bodies (default 5). MaxRateLimitRetries is the separate
	// budget for 429s (default 20).
	MaxRetries          int
	MaxRateLimitRetries int
	// BaseBackoff and MaxBackoff bound exponential backoff (1s, 2m).
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// MaxWait caps any single wait, including Retry-After (default 15m).
	MaxWait time.Duration
	// MinInterval is the minimum gap between requests; a Pacer's value wins
	// when larger.
	MinInterval time.Duration
	// LowWater: when a response says this many requests or fewer are left
	// in the window, Run spreads the rest over the time to reset (default 2).
	LowWater int
	// PollInterval is the first wait while async work is pending (default
	// 2s, doubling up to MaxPollInterval, default 30s); MaxPolls bounds the
	// consecutive pending polls before the puller must give up (default 20).
	PollInterval    time.Duration
	MaxPollInterval time.Duration
	MaxPolls        int
	// RequestTimeout bounds one Fetch (default 2m); a timeout is retried.
	RequestTimeout time.Duration
	// OnRecordError is told about malformed records; default: log them.
	OnRecordError func(ctx context.Context, e *RecordError)
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Sleep and Now are injectable for tests. Sleep must return ctx.Err()
	// when the context ends first.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
	// Jitter randomises backoff between 50% and 100% (default true via
	// NoJitter=false); tests set NoJitter for exact waits.
	NoJitter bool
}

// StopReason says why Run returned without error.
type StopReason string

const (
	StopDone     StopReason = "done"      // the provider has nothing more
	StopBudget   StopReason = "budget"    // the next step would exceed CreditBudget
	StopCredits  StopReason = "credits"   // the provider reported too few credits left for the next step
	StopMaxSteps StopReason = "max_steps" // MaxSteps reached
)

// Stats summarises a pull, cumulative across restarts where noted.
type Stats struct {
	Provider  string
	Stop      StopReason
	Steps     int     // cumulative
	Records   int64   // cumulative, delivered
	Malformed int64   // cumulative
	Credits   float64 // cumulative credits spent
	// This invocation only:
	Requests    int // Fetch calls, including retries and polls
	RateLimited int // 429-style answers absorbed
	Retries     int // transient retries
	Polls       int // pending async steps
	Resumed     bool
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = 5
	}
	if o.MaxRateLimitRetries <= 0 {
		o.MaxRateLimitRetries = 20
	}
	def(&o.BaseBackoff, time.Second)
	def(&o.MaxBackoff, 2*time.Minute)
	def(&o.MaxWait, 15*time.Minute)
	def(&o.PollInterval, 2*time.Second)
	def(&o.MaxPollInterval, 30*time.Second)
	def(&o.RequestTimeout, 2*time.Minute)
	if o.MaxPolls <= 0 {
		o.MaxPolls = 20
	}
	if o.LowWater <= 0 {
		o.LowWater = 2
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Sleep == nil {
		o.Sleep = ctxtime.Sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

const creditEpsilon = 1e-9

// Run pulls p until it is done, the budget or MaxSteps stops it, the context
// ends, or an error that retrying cannot fix occurs. The checkpoint in
// opts.Dir is resumed if present and updated after every step.
func Run(ctx context.Context, p Puller, h Handler, opts Options) (st Stats, err error) {
	opts = opts.withDefaults()
	prov := p.Provider()
	st.Provider = prov
	if opts.Dir == "" {
		return st, fmt.Errorf("pull %s: Options.Dir (checkpoint directory) is required", prov)
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return st, fmt.Errorf("pull %s: checkpoint directory: %w", prov, err)
	}
	name := opts.Name
	if name == "" {
		name = prov
	}
	path := CheckpointPath(opts.Dir, name)
	log := opts.Logger.With("provider", prov)
	r := &runner{p: p, h: h, o: opts, log: log, path: path, st: &st}

	fp := ""
	if f, ok := p.(Fingerprinter); ok {
		fp = f.Fingerprint()
	}
	cp, lerr := LoadCheckpoint(path)
	if lerr != nil {
		return st, fmt.Errorf("pull %s: %w", prov, lerr)
	}
	if cp == nil {
		cp = &Checkpoint{Provider: prov, Fingerprint: fp}
	} else {
		if cp.Provider != prov || cp.Fingerprint != fp {
			return st, fmt.Errorf("pull %s: checkpoint %s belongs to a different pull (provider %q, query %q); use another directory or name, or remove it", prov, path, cp.Provider, cp.Fingerprint)
		}
		st.Resumed = true
		log.Info("resuming pull", "steps", cp.Steps, "records", cp.Records, "credits", cp.Credits)
	}
	r.cp = cp
	defer r.sync() // st is a named result: the final counts reach the caller

	if len(cp.Inflight) > 0 {
		if err := r.deliver(ctx, cp.InflightStep, cp.InflightCursor, cp.Inflight, cp.InflightNext); err != nil {
			return st, err
		}
	}
	if cp.Done {
		st.Stop = StopDone
		return st, nil
	}

	pending, stepsRun := 0, 0
	pollWait := opts.PollInterval
	creditsLeft := -1.0
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		if opts.MaxSteps > 0 && stepsRun >= opts.MaxSteps {
			st.Stop = StopMaxSteps
			return st, nil
		}
		cost := p.Cost(cp.Cursor)
		if opts.CreditBudget > 0 && cp.Credits+cost > opts.CreditBudget+creditEpsilon {
			log.Info("credit budget reached; stopping before the next step", "spent", cp.Credits, "next_cost", cost, "budget", opts.CreditBudget)
			st.Stop = StopBudget
			return st, nil
		}
		if creditsLeft >= 0 && cost > creditsLeft+creditEpsilon {
			log.Info("provider reports too few credits for the next step; stopping", "credits_left", creditsLeft, "next_cost", cost)
			st.Stop = StopCredits
			return st, nil
		}
		req := Request{Cursor: cp.Cursor, Step: cp.Steps + 1, GiveUpPending: pending >= opts.MaxPolls}
		step, err := r.fetch(ctx, req)
		if err != nil {
			return st, err
		}
		if req.GiveUpPending && step.Pending {
			return st, fmt.Errorf("pull %s: step %d still pending after the puller was told to give up", prov, req.Step)
		}
		stepsRun++
		cp.Steps++
		cp.Credits += step.Credits
		cp.Cursor = step.Next
		cp.Done = step.Done
		if step.Rate.CreditsLeft >= 0 {
			creditsLeft = step.Rate.CreditsLeft
		}
		if len(step.Items) > 0 {
			cp.Inflight, cp.InflightStep, cp.InflightCursor, cp.InflightNext = step.Items, req.Step, req.Cursor, 0
		}
		if err := r.save(); err != nil {
			return st, err
		}
		log.Debug("step", "step", req.Step, "items", len(step.Items), "credits", step.Credits, "pending", step.Pending)
		if len(step.Items) > 0 {
			if err := r.deliver(ctx, req.Step, req.Cursor, step.Items, 0); err != nil {
				return st, err
			}
		}
		if step.Stop != nil {
			return st, fmt.Errorf("pull %s: step %d: %w", prov, req.Step, step.Stop)
		}
		if step.Done {
			log.Info("pull complete", "steps", cp.Steps, "records", cp.Records, "malformed", cp.Malformed, "credits", cp.Credits)
			st.Stop = StopDone
			return st, nil
		}
		var wait time.Duration
		if step.Pending {
			pending++
			st.Polls++
			wait = pollWait
			pollWait = min(pollWait*2, opts.MaxPollInterval)
		} else {
			pending = 0
			pollWait = opts.PollInterval
		}
		wait = max(wait, r.paceFor(step.Rate))
		if wait > 0 {
			if err := opts.Sleep(ctx, min(wait, opts.MaxWait)); err != nil {
				return st, err
			}
		}
	}
}

type runner struct {
	p       Puller
	h       Handler
	o       Options
	log     *slog.Logger
	path    string
	cp      *Checkpoint
	st      *Stats
	lastReq time.Time
}

func (r *runner) sync() {
	r.st.Steps, r.st.Records, r.st.Malformed, r.st.Credits = r.cp.Steps, r.cp.Records, r.cp.Malformed, r.cp.Credits
}

func (r *runner) save() error {
	r.cp.UpdatedAt = r.o.Now().UTC()
	r.sync()
	if err := SaveCheckpoint(r.path, r.cp); err != nil {
		return fmt.Errorf("pull %s: %w", r.cp.Provider, err)
	}
	return nil
}

// deliver hands items to the handler and clears the in-flight list.
func (r *runner) deliver(ctx context.Context, step int, cursor string, items []Item, from int) error {
	prov := r.p.Provider()
	for i := from; i < len(items); i++ {
		it := items[i]
		idx := i
		if it.At > 0 {
			idx = it.At - 1
		}
		if it.Err != nil {
			re := &RecordError{Provider: prov, Step: step, Index: idx, Cursor: cursor, ID: it.ID, Err: it.Err}
			r.cp.Malformed++
			if r.o.OnRecordError != nil {
				r.o.OnRecordError(ctx, re)
			} else {
				r.log.Warn("malformed record skipped", "step", step, "index", idx, "id", it.ID, "err", it.Err)
			}
			continue
		}
		rec := Record{Provider: prov, ID: it.ID, Step: step, Index: idx, Data: it.Data, Parent: it.Parent}
		if err := r.h(ctx, rec); err != nil {
			// Keep the undelivered records so a restart hands them over
			// again instead of fetching the page a second time.
			r.cp.InflightNext = i
			if serr := r.save(); serr != nil {
				r.log.Error("saving checkpoint after handler failure", "err", serr)
			}
			return fmt.Errorf("pull %s: handler failed on step %d index %d (id %s): %w", prov, step, i, it.ID, err)
		}
		r.cp.Records++
	}
	r.cp.Inflight, r.cp.InflightStep, r.cp.InflightCursor, r.cp.InflightNext = nil, 0, "", 0
	return r.save()
}

// fetch runs one step with the retry policy.
func (r *runner) fetch(ctx context.Context, req Request) (Step, error) {
	minGap := r.o.MinInterval
	if pc, ok := r.p.(Pacer); ok {
		minGap = max(minGap, pc.MinInterval())
	}
	transient, limited := 0, 0
	for {
		if !r.lastReq.IsZero() && minGap > 0 {
			if gap := minGap - r.o.Now().Sub(r.lastReq); gap > 0 {
				if err := r.o.Sleep(ctx, gap); err != nil {
					return Step{}, err
				}
			}
		}
		r.lastReq = r.o.Now()
		r.st.Requests++
		sctx, cancel := context.WithTimeout(ctx, r.o.RequestTimeout)
		step, err := r.p.Fetch(sctx, req)
		cancel()
		if err == nil {
			return step, nil
		}
		if ctx.Err() != nil {
			return Step{}, ctx.Err()
		}
		var pe *Error
		kind := KindTransient
		var retryAfter time.Duration
		if errors.As(err, &pe) {
			kind, retryAfter = pe.Kind, pe.RetryAfter
		}
		var wait time.Duration
		switch kind {
		case KindRateLimited:
			limited++
			r.st.RateLimited++
			if limited > r.o.MaxRateLimitRetries {
				return Step{}, fmt.Errorf("pull %s: step %d: rate-limit retry budget (%d) exhausted: %w", r.p.Provider(), req.Step, r.o.MaxRateLimitRetries, err)
			}
			wait = retryAfter
			if wait <= 0 {
				wait = r.backoff(limited)
			}
		case KindTransient, KindMalformed:
			transient++
			r.st.Retries++
			if transient > r.o.MaxRetries {
				return Step{}, fmt.Errorf("pull %s: step %d: giving up after %d retries: %w", r.p.Provider(), req.Step, r.o.MaxRetries, err)
			}
			wait = max(retryAfter, r.backoff(transient))
		default:
			return Step{}, fmt.Errorf("pull %s: step %d: %w", r.p.Provider(), req.Step, err)
		}
		wait = min(wait, r.o.MaxWait)
		r.log.Warn("retrying step", "step", req.Step, "kind", kind.String(), "wait", wait, "err", err)
		if err := r.o.Sleep(ctx, wait); err != nil {
			return Step{}, err
		}
	}
}

func (r *runner) backoff(attempt int) time.Duration {
	d := float64(r.o.BaseBackoff) * math.Pow(2, float64(attempt-1))
	d = min(d, float64(r.o.MaxBackoff))
	if !r.o.NoJitter {
		d = d/2 + rand.Float64()*d/2
	}
	return time.Duration(d)
}

// paceFor turns a response's rate information into a wait before the next
// request: until the reset when nothing is left, spread over the time to
// reset when few requests are left.
func (r *runner) paceFor(ri RateInfo) time.Duration {
	if ri.Remaining < 0 {
		return 0
	}
	until := ri.ResetAfter
	if !ri.Reset.IsZero() {
		until = ri.Reset.Sub(r.o.Now())
	}
	if ri.Remaining == 0 {
		if until <= 0 {
			return r.o.BaseBackoff
		}
		return until
	}
	if ri.Remaining <= r.o.LowWater && until > 0 {
		return until / time.Duration(ri.Remaining+1)
	}
	return 0
}
