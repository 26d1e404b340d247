package review

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// queueReasons always have a series, 0 while none of their items wait.
var queueReasons = []string{"low_quality", "possible_duplicate"}

// Metrics are the review queue's gauges (crm.md §10):
// leadstream_review_queue_size and leadstream_review_oldest_age_seconds
// by the items' first reason, over the partitions this process holds.
// Each partition's processor keeps its items' reasons and hold times as
// it holds and decides them (rebuilt from the table when the partition
// opens); a scrape sums them. A nil *Metrics keeps nothing.
type Metrics struct {
	size, age *prometheus.Desc
	now       func() time.Time

	mu    sync.Mutex
	parts map[*queue]struct{}
}

// queue is one open partition's held items.
type queue struct {
	items map[string]held // item key → reason and hold time
}

type held struct {
	reason string
	at     time.Time
}

// NewMetrics makes the gauges and registers them with reg (when not nil).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		size:  prometheus.NewDesc("leadstream_review_queue_size", "Items waiting in the review queue, by first reason.", []string{"reason"}, nil),
		age:   prometheus.NewDesc("leadstream_review_oldest_age_seconds", "Age of the oldest item waiting in the review queue, by first reason (0 when none).", []string{"reason"}, nil),
		now:   time.Now,
		parts: map[*queue]struct{}{},
	}
	if reg != nil {
		if err := reg.Register(m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.size
	ch <- m.age
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	type agg struct {
		n      int
		oldest time.Time
	}
	by := map[string]*agg{}
	for _, r := range queueReasons {
		by[r] = &agg{}
	}
	m.mu.Lock()
	for q := range m.parts {
		for _, h := range q.items {
			a := by[h.reason]
			if a == nil {
				a = &agg{}
				by[h.reason] = a
			}
			a.n++
			if a.oldest.IsZero() || h.at.Before(a.oldest) {
				a.oldest = h.at
			}
		}
	}
	m.mu.Unlock()
	now := m.now()
	for r, a := range by {
		age := 0.0
		if a.n > 0 {
			age = max(now.Sub(a.oldest).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(m.size, prometheus.GaugeValue, float64(a.n), r)
		ch <- prometheus.MustNewConstMetric(m.age, prometheus.GaugeValue, age, r)
	}
}

// open adds a partition's queue (nil when m is nil).
func (m *Metrics) open(items map[string]held) *queue {
	if m == nil {
		return nil
	}
	q := &queue{items: items}
	m.mu.Lock()
	m.parts[q] = struct{}{}
	m.mu.Unlock()
	return q
}

// close drops a partition's queue.
func (m *Metrics) close(q *queue) {
	if m == nil || q == nil {
		return
	}
	m.mu.Lock()
	delete(m.parts, q)
	m.mu.Unlock()
}

// hold records item key as held for reason since at.
func (m *Metrics) hold(q *queue, key, reason string, at time.Time) {
	if m == nil || q == nil {
		return
	}
	m.mu.Lock()
	q.items[key] = held{reason: reason, at: at}
	m.mu.Unlock()
}

// decided records item key as gone from the queue.
func (m *Metrics) decided(q *queue, key string) {
	if m == nil || q == nil {
		return
	}
	m.mu.Lock()
	delete(q.items, key)
	m.mu.Unlock()
}

// firstReason is the reason an item is counted under.
func firstReason(reasons []string) string {
	if len(reasons) == 0 || reasons[0] == "" {
		return "unknown"
	}
	return reasons[0]
}
