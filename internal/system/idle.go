package system

import (
	"context"
	"fmt"
	"time"

	"github.com/leadstream/leadstream/pipeline"
)

// Ready reports whether the broker answers.
func (s *System) Ready(ctx context.Context) error {
	if _, err := s.admin.BrokerMetadata(ctx); err != nil {
		return fmt.Errorf("broker %v: %w", s.brokers, err)
	}
	return nil
}

// Lag returns, per stage, how many records of its input its group has not
// committed yet. A partition without a commit counts from its start.
func (s *System) Lag(ctx context.Context) (map[string]int64, error) {
	out := make(map[string]int64)
	for _, st := range Stages() {
		topic := s.opts.Namespace.Topic(st.Input())
		group := s.opts.Namespace.Group(st.Name())
		ends, err := s.admin.ListEndOffsets(ctx, topic)
		if err != nil {
			return nil, fmt.Errorf("lag of %s: end offsets: %w", group, err)
		}
		starts, err := s.admin.ListStartOffsets(ctx, topic)
		if err != nil {
			return nil, fmt.Errorf("lag of %s: start offsets: %w", group, err)
		}
		committed, err := s.admin.FetchOffsets(ctx, group)
		if err != nil {
			return nil, fmt.Errorf("lag of %s: committed offsets: %w", group, err)
		}
		var lag int64
		for p, end := range ends[topic] {
			at := int64(0)
			if st, ok := starts.Lookup(topic, p); ok {
				at = st.Offset
			}
			if c, ok := committed.Lookup(topic, p); ok && c.Err == nil && c.At >= 0 {
				at = c.At
			}
			if end.Offset > at {
				lag += end.Offset - at
			}
			s.metrics.Lag.WithLabelValues(group, topic, fmt.Sprint(p)).Set(float64(max(end.Offset-at, 0)))
		}
		out[st.Name()] = lag
	}
	return out, nil
}

// WaitIdle blocks until no stage has lag on two checks in a row.
func (s *System) WaitIdle(ctx context.Context) error {
	quiet := 0
	for quiet < 2 {
		lags, err := s.Lag(ctx)
		if err != nil {
			return err
		}
		var total int64
		for _, l := range lags {
			total += l
		}
		if total == 0 {
			quiet++
		} else {
			quiet = 0
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
	return nil
}

// SummarizeAll waits until the pipeline is idle and counts the outcomes of
// every record on the outcome topics, whatever import it came from.
func (s *System) SummarizeAll(ctx context.Context) (pipeline.Summary, error) {
	if err := s.WaitIdle(ctx); err != nil {
		return pipeline.Summary{}, err
	}
	t := pipeline.NewTally(s.opts.Namespace, nil)
	tctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_ = t.Follow(tctx, s.brokers, s.opts.ClientOpts...)
	sum := t.Summary(0)
	sum.Read = sum.Total()
	return sum, nil
}
