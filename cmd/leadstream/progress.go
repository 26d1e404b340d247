package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/leadstream/leadstream/pipeline"
)

// lagSource reports each stage's lag (System.Lag).
type lagSource func(ctx context.Context) (map[string]int64, error)

// outcomeProgress draws the live bar of `run --until-idle`: records at an
// outcome out of records read, the outcomes so far, the rate since the
// import started and the stage furthest behind.
type outcomeProgress struct {
	bar   *progressbar.ProgressBar
	start time.Time

	mu       sync.Mutex
	slowest  string
	slowLag  int64
	lastDesc string
}

// newOutcomeProgress starts the bar on w (nil: no bar, and Update does
// nothing) and polls lag every two seconds until ctx ends. start is when
// the records began to flow (the import's start), for the rate.
func newOutcomeProgress(ctx context.Context, w io.Writer, read int, start time.Time, lag lagSource) *outcomeProgress {
	p := &outcomeProgress{start: start}
	if w == nil || read <= 0 {
		return p
	}
	p.bar = progressbar.NewOptions(read,
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(250*time.Millisecond),
		progressbar.OptionSetWidth(20),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	if lag != nil {
		go p.pollLag(ctx, lag)
	}
	return p
}

func (p *outcomeProgress) pollLag(ctx context.Context, lag lagSource) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		if lags, err := lag(ctx); err == nil {
			name, most := slowestStage(lags)
			p.mu.Lock()
			p.slowest, p.slowLag = name, most
			p.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// slowestStage returns the stage with the most lag ("" when none lags).
func slowestStage(lags map[string]int64) (string, int64) {
	name, most := "", int64(0)
	for n, l := range lags {
		if l > most || (l == most && l > 0 && n < name) {
			name, most = n, l
		}
	}
	return name, most
}

// Update is WaitForOutcomes' progress callback.
func (p *outcomeProgress) Update(s pipeline.Summary) {
	if p.bar == nil {
		return
	}
	p.mu.Lock()
	desc := describeProgress(s, time.Since(p.start), p.slowest, p.slowLag)
	if desc != p.lastDesc {
		p.bar.Describe(desc)
		p.lastDesc = desc
	}
	p.mu.Unlock()
	_ = p.bar.Set(s.Total())
}

// describeProgress is the text before the bar: each outcome's count, the
// rate and the slowest stage.
func describeProgress(s pipeline.Summary, elapsed time.Duration, slowest string, lag int64) string {
	var b strings.Builder
	for _, o := range pipeline.Outcomes {
		if n := s.Counts[o]; n > 0 {
			fmt.Fprintf(&b, "%s %d · ", strings.ReplaceAll(string(o), "_", "-"), n)
		}
	}
	fmt.Fprintf(&b, "%.0f rec/s", rate(s.Total(), elapsed))
	if slowest != "" {
		fmt.Fprintf(&b, " · slowest %s (lag %d)", slowest, lag)
	}
	return b.String()
}

// rate is n records over d, per second (0 for no time).
func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// printThroughput ends the summary with the run's rate.
func printThroughput(w io.Writer, s pipeline.Summary, elapsed time.Duration) {
	fmt.Fprintf(w, "  %-15s %9.0f records/s (%d outcomes in %s, import included)\n", "throughput",
		rate(s.Total(), elapsed), s.Total(), elapsed.Round(100*time.Millisecond))
}

// importedRows is the number of records the imports read (each import
// counted once).
func importedRows(results []pipeline.ImportResult) int {
	seen := map[string]bool{}
	n := 0
	for _, r := range results {
		if !seen[r.ImportID] {
			n += r.Rows
		}
		seen[r.ImportID] = true
	}
	return n
}
