package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/leadstream/leadstream/index"
)

// Table is a stage's view of one partition's state during a batch, in
// goka's sense of a table: reads see the batch's own writes, and writes are
// buffered until the runner has produced them to the changelog and then
// applies them to the local store. A stage only uses Get, Put and Delete.
type Table struct {
	store   *index.Store
	changes []index.Change
	pending map[string]int // key → index of its latest change
	// commit makes changes durable now (changelog, then store); set by the
	// runner.
	commit func(ctx context.Context, changes []index.Change) error
}

func newTable(store *index.Store) *Table {
	return &Table{store: store, pending: make(map[string]int)}
}

// Get returns the value of key and whether it exists.
func (t *Table) Get(key string) ([]byte, bool, error) {
	if i, ok := t.pending[key]; ok {
		v := t.changes[i].Value
		return v, v != nil, nil
	}
	v, err := t.store.Get([]byte(key))
	if errors.Is(err, index.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("table get %q: %w", key, err)
	}
	return v, true, nil
}

// Put sets key to value (value must not be nil).
func (t *Table) Put(key string, value []byte) {
	if value == nil {
		value = []byte{}
	}
	t.record(key, value)
}

// Delete removes key.
func (t *Table) Delete(key string) { t.record(key, nil) }

func (t *Table) record(key string, value []byte) {
	t.pending[key] = len(t.changes)
	t.changes = append(t.changes, index.Change{Key: []byte(key), Value: value})
}

// Scan walks the committed state under prefix (the batch's pending writes
// are not included).
func (t *Table) Scan(prefix string, fn func(key string, value []byte) (bool, error)) error {
	return t.store.Scan([]byte(prefix), func(k, v []byte) (bool, error) { return fn(string(k), v) })
}

// Commit makes the writes buffered so far durable now, in the middle of a
// batch: they are produced to the changelog and applied to the local store,
// as at the end of a batch. A BatchProcessor calls it before an external
// call that must not be repeated after a crash (store the intent, call,
// store the returned ids). Records emitted so far are still produced, and
// offsets committed, only at the end of the batch.
func (t *Table) Commit(ctx context.Context) error {
	if t.commit == nil {
		return errors.New("table: commit is not available outside a runner")
	}
	c := t.drain()
	if len(c) == 0 {
		return nil
	}
	return t.commit(ctx, c)
}

// mark returns a savepoint for rollback.
func (t *Table) mark() int { return len(t.changes) }

// rollback discards every change made after savepoint m.
func (t *Table) rollback(m int) {
	if m >= len(t.changes) {
		return
	}
	t.changes = t.changes[:m]
	clear(t.pending)
	for i, c := range t.changes {
		t.pending[string(c.Key)] = i
	}
}

// drain returns the buffered changes, last write per key only, and resets
// the buffer.
func (t *Table) drain() []index.Change {
	if len(t.changes) == 0 {
		return nil
	}
	out := make([]index.Change, 0, len(t.pending))
	for i, c := range t.changes {
		if t.pending[string(c.Key)] == i {
			out = append(out, c)
		}
	}
	t.changes = t.changes[:0]
	clear(t.pending)
	return out
}
