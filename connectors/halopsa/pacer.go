package halopsa

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Pacer is a rolling-window request limiter: at most Limit requests in any
// window of length Window, with no burst allowance beyond that (it is a
// sliding log, not a token bucket). A slot is stamped with the time its
// response arrived, which is an upper bound on when the server saw the
// request, so client-side accounting can never fall behind the server's.
// Requests still in flight occupy a slot.
//
// A 429 answer calls Penalize: every caller waits out the delay and the
// effective limit is reduced by 10 % until a full window passes without
// another 429.
//
// A Pacer is safe for concurrent use; share one between all Clients that use
// the same API application.
type Pacer struct {
	limit  int
	window time.Duration

	mu          sync.Mutex
	done        []time.Time // completion stamps, oldest first
	inflight    int
	pausedUntil time.Time
	reduced     int       // effective limit while slowed down (0 = none)
	reducedTill time.Time // when the slow-down ends
	wake        chan struct{}
	acquired    int64
	penalties   int64
	log         *pacerLog // nil: the window lives in memory only
}

// NewPacer returns a Pacer of limit requests per rolling window.
func NewPacer(limit int, window time.Duration) *Pacer {
	if limit <= 0 {
		limit = DefaultRateLimit
	}
	if window <= 0 {
		window = DefaultRateWindow
	}
	return &Pacer{limit: limit, window: window, wake: make(chan struct{})}
}

// Limit returns the configured requests per window.
func (p *Pacer) Limit() int { return p.limit }

// Window returns the rolling window length.
func (p *Pacer) Window() time.Duration { return p.window }

// Acquire blocks until a request may be sent and returns the function that
// must be called once its response (or failure) has arrived.
func (p *Pacer) Acquire(ctx context.Context) (release func(), err error) {
	for {
		p.mu.Lock()
		now := time.Now()
		p.prune(now)
		limit := p.effectiveLimit(now)
		var wait time.Duration
		switch {
		case now.Before(p.pausedUntil):
			wait = p.pausedUntil.Sub(now)
		case len(p.done)+p.inflight < limit:
			p.inflight++
			p.acquired++
			p.mu.Unlock()
			var once sync.Once
			return func() { once.Do(p.release) }, nil
		case len(p.done) > 0:
			// The oldest completed slot is the next to leave the window.
			wait = p.done[0].Add(p.window).Sub(now)
		default:
			wait = -1 // only in-flight requests: wait for a release
		}
		wake := p.wake
		p.mu.Unlock()

		if err := sleepOrWake(ctx, wait, wake); err != nil {
			return nil, fmt.Errorf("halopsa: waiting for rate limit slot: %w", err)
		}
	}
}

func (p *Pacer) release() {
	p.mu.Lock()
	p.inflight--
	p.done = append(p.done, time.Now())
	if p.log != nil {
		p.prune(time.Now())
		p.log.write(p.window, p.done)
	}
	close(p.wake)
	p.wake = make(chan struct{})
	p.mu.Unlock()
}

// Penalize records a 429: all callers pause for at least d, and the
// effective limit drops by 10 % for one window.
func (p *Pacer) Penalize(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	p.penalties++
	if until := now.Add(d); until.After(p.pausedUntil) {
		p.pausedUntil = until
	}
	cur := p.effectiveLimit(now)
	next := cur - max(1, cur/10)
	p.reduced = max(1, next)
	p.reducedTill = now.Add(d).Add(p.window)
}

// Stats reports how many slots were granted and how many 429 penalties
// were recorded.
func (p *Pacer) Stats() (acquired, penalties int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.acquired, p.penalties
}

func (p *Pacer) effectiveLimit(now time.Time) int {
	if p.reduced > 0 && now.Before(p.reducedTill) {
		return p.reduced
	}
	p.reduced = 0
	return p.limit
}

func (p *Pacer) prune(now time.Time) {
	cut := now.Add(-p.window)
	i := 0
	for i < len(p.done) && !p.done[i].After(cut) {
		i++
	}
	if i > 0 {
		p.done = append(p.done[:0], p.done[i:]...)
	}
}

// sleepOrWake waits d (forever if d < 0) or until wake is closed or ctx ends.
func sleepOrWake(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	if d == 0 {
		d = time.Millisecond
	}
	var timer <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer:
		return nil
	case <-wake:
		return nil
	}
}
