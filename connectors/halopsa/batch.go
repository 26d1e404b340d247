package halopsa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// ItemError is the failure of one element of a bisected batch.
type ItemError struct {
	Index int // position in the caller's slice
	Err   error
}

func (e *ItemError) Error() string { return fmt.Sprintf("element %d: %v", e.Index, e.Err) }
func (e *ItemError) Unwrap() error { return e.Err }

// UpsertIsolated is UpsertRaw with bisection: when a batch is refused with
// a 400 or 404 (element-level problems), it is split in halves until the
// bad elements are isolated. results[i] is the echoed object for items[i],
// or nil when that element failed; failed lists those elements and their
// errors (for the dead-letter queue). Any other error (auth, retries
// exhausted, context) aborts and is returned as err.
func (c *Client) UpsertIsolated(ctx context.Context, resource string, items []any) (results []json.RawMessage, failed []ItemError, err error) {
	return c.isolated(ctx, resource, items, false)
}

// CreateIsolated is UpsertIsolated for creates: an array whose outcome is
// unknown (5xx, timeout, a connection broken after sending) is not sent
// again. Its elements stay nil in results, the other arrays are sent, and
// the call returns an error matching ErrOutcomeUnknown: the caller reads
// back which of the missing elements exist before creating what is really
// missing.
func (c *Client) CreateIsolated(ctx context.Context, resource string, items []any) (results []json.RawMessage, failed []ItemError, err error) {
	return c.isolated(ctx, resource, items, true)
}

// Backoff is the pause before the n-th retry (base·2ⁿ, capped).
func (c *Client) Backoff(n int) time.Duration { return c.backoff(n) }

func (c *Client) isolated(ctx context.Context, resource string, items []any, create bool) (results []json.RawMessage, failed []ItemError, err error) {
	results = make([]json.RawMessage, len(items))
	var unknown error // the first array whose outcome is unknown
	var run func(lo, hi int) error
	run = func(lo, hi int) error {
		if lo >= hi {
			return nil
		}
		if hi-lo > c.opts.BatchSize {
			mid := lo + c.opts.BatchSize
			if err := run(lo, mid); err != nil {
				return err
			}
			return run(mid, hi)
		}
		got, err := c.upsertRaw(ctx, resource, items[lo:hi], create)
		if err == nil {
			copy(results[lo:hi], got)
			return nil
		}
		if create && errors.Is(err, ErrOutcomeUnknown) && ctx.Err() == nil {
			// The other arrays are independent creates: send them, and
			// leave this one's elements nil for the caller to read back.
			if unknown == nil {
				unknown = err
			}
			return nil
		}
		if !errors.Is(err, ErrBadRequest) && !errors.Is(err, ErrNotFound) {
			return err
		}
		if hi-lo == 1 {
			failed = append(failed, ItemError{Index: lo, Err: err})
			return nil
		}
		mid := lo + (hi-lo)/2
		if err := run(lo, mid); err != nil {
			return err
		}
		return run(mid, hi)
	}
	err = run(0, len(items))
	if err == nil {
		err = unknown
	}
	return results, failed, err
}

// CustomFieldMismatches compares the custom fields sent in a write with
// those echoed back and returns the ids (or names, for name-form writes)
// whose value did not stick. Halo drops unknown fields silently, so a 200
// does not prove a field was stored (spec §8). A dropdown matches when
// either the echoed value (option id) or its display text equals what was
// sent.
func CustomFieldMismatches(sent, echoed []CustomField) []string {
	var bad []string
	for _, s := range sent {
		var hit *CustomField
		for i := range echoed {
			e := &echoed[i]
			if s.ID != 0 && e.ID == s.ID || s.ID == 0 && s.Name != "" && normFieldName(e.Name) == normFieldName(s.Name) {
				hit = e
				break
			}
		}
		key := s.Name
		if s.ID != 0 {
			key = fmt.Sprint(s.ID)
		}
		if hit == nil || !sameValue(s.Value, hit.Value) && !sameValue(s.Value, hit.Display) {
			bad = append(bad, key)
		}
	}
	return bad
}

func sameValue(a, b any) bool {
	if reflect.DeepEqual(a, b) {
		return true
	}
	return strings.TrimSpace(fmt.Sprint(a)) == strings.TrimSpace(fmt.Sprint(b))
}

// TicketTypeID resolves a ticket type by name (case-insensitive); a miss
// is a configuration error matching ErrNotFound.
func (c *Client) TicketTypeID(ctx context.Context, name string) (int, error) {
	tts, err := c.TicketTypes(ctx, "")
	if err != nil {
		return 0, err
	}
	for _, t := range tts {
		if strings.EqualFold(strings.TrimSpace(t.Name), strings.TrimSpace(name)) {
			return t.ID, nil
		}
	}
	return 0, fmt.Errorf("halopsa: ticket type %q: %w", name, ErrNotFound)
}

// StatusID resolves a status by name (case-insensitive), optionally within
// one ticket type (0 = any).
func (c *Client) StatusID(ctx context.Context, ticketTypeID int, name string) (int, error) {
	sts, err := c.Statuses(ctx, ticketTypeID)
	if err != nil {
		return 0, err
	}
	for _, s := range sts {
		if strings.EqualFold(strings.TrimSpace(s.Name), strings.TrimSpace(name)) {
			return s.ID, nil
		}
	}
	return 0, fmt.Errorf("halopsa: status %q: %w", name, ErrNotFound)
}
