package dedupe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/index"
	"github.com/leadstream/leadstream/stages/dedupe/match"
)

// Fuzzy index writes are batched off the hot path.
const (
	fuzzyQueue      = 4096
	fuzzyBatch      = 2000
	fuzzyFlushEvery = time.Second
)

// fuzzy is one partition's fuzzy candidate index with its writer and, while
// it runs, its rebuild from the match records.
type fuzzy struct {
	idx     *index.Fuzzy
	tempDir string // removed on close when set

	ops    chan fuzzyOp
	wrote  sync.WaitGroup // the writer
	cancel context.CancelFunc
	built  sync.WaitGroup // the rebuild
	ok     atomic.Bool    // the rebuild finished and no write failed
	failed atomic.Pointer[error]

	// Searches counts fuzzy searches (for tests and benchmarks).
	Searches atomic.Int64
}

type fuzzyOp struct {
	id   string
	doc  index.FuzzyDoc
	done chan struct{} // a sync marker: commit, then close done
}

// openFuzzy opens (or creates) the partition's fuzzy index and starts its
// writer, and a rebuild from the mrec/ records when the index cannot be
// trusted.
func (p *Processor) openFuzzy(root string, partition int32) error {
	f, clean, err := newFuzzy(root, partition)
	if err != nil {
		return err
	}
	if clean {
		f.ok.Store(true)
	} else {
		ctx, cancel := context.WithCancel(context.Background())
		f.cancel = cancel
		f.built.Add(1)
		go f.rebuild(ctx, p.table)
	}
	p.fz = f
	return nil
}

// newFuzzy opens (or creates) a fuzzy index under root (a temporary
// directory when root is empty) and starts its writer; clean reports
// whether it holds every lead it held when closed.
func newFuzzy(root string, partition int32) (*fuzzy, bool, error) {
	f := &fuzzy{ops: make(chan fuzzyOp, fuzzyQueue)}
	var dir string
	if root == "" {
		tmp, err := os.MkdirTemp("", "leadstream-fuzzy-")
		if err != nil {
			return nil, false, fmt.Errorf("dedupe: fuzzy index: %w", err)
		}
		f.tempDir = tmp
		dir = filepath.Join(tmp, "idx")
	} else {
		// The index may be from an earlier ownership of the partition,
		// behind the state restored since: it is always rebuilt from the
		// match records (in the background), never trusted.
		dir = filepath.Join(root, fmt.Sprintf("p%03d", partition))
		if err := os.RemoveAll(dir); err != nil {
			return nil, false, fmt.Errorf("dedupe: fuzzy index: %w", err)
		}
	}
	idx, clean, err := index.OpenFuzzy(dir)
	if err != nil {
		if f.tempDir != "" {
			_ = os.RemoveAll(f.tempDir)
		}
		return nil, false, fmt.Errorf("dedupe: %w", err)
	}
	f.idx = idx
	f.wrote.Add(1)
	go f.writer()
	return f, clean, nil
}

// put queues the document of lead id, built from its match records.
func (f *fuzzy) put(id string, recs []match.Record) {
	f.ops <- fuzzyOp{id: id, doc: fuzzyDoc(recs...)}
}

// search returns up to maxFuzzyCandidates lead ids resembling rec.
func (f *fuzzy) search(rec match.Record) ([]string, error) {
	f.Searches.Add(1)
	ids, err := f.idx.Search(fuzzyDoc(rec), maxFuzzyCandidates)
	if err != nil {
		return nil, fmt.Errorf("dedupe: %w", err)
	}
	return ids, nil
}

// writer commits queued documents in batches.
func (f *fuzzy) writer() {
	defer f.wrote.Done()
	b := f.idx.NewBatch()
	tick := time.NewTicker(fuzzyFlushEvery)
	defer tick.Stop()
	commit := func() {
		if err := b.Commit(); err != nil {
			f.failed.Store(&err)
		}
	}
	for {
		select {
		case op, more := <-f.ops:
			if !more {
				commit()
				return
			}
			if op.done != nil {
				commit()
				close(op.done)
				continue
			}
			if err := b.Put(op.id, op.doc); err != nil {
				f.failed.Store(&err)
			}
			if b.Size() >= fuzzyBatch {
				commit()
			}
		case <-tick.C:
			commit()
		}
	}
}

// rebuild puts every lead's match records again.
func (f *fuzzy) rebuild(ctx context.Context, t State) {
	defer f.built.Done()
	err := t.Scan(keyMatch, func(key string, v []byte) (bool, error) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		var recs []match.Record
		if err := json.Unmarshal(v, &recs); err != nil {
			return false, fmt.Errorf("dedupe: corrupt state at %q: %w", key, err)
		}
		select {
		case f.ops <- fuzzyOp{id: key[len(keyMatch):], doc: fuzzyDoc(recs...)}:
		case <-ctx.Done():
			return false, ctx.Err()
		}
		return true, nil
	})
	if err == nil {
		f.ok.Store(true)
	} else if !errors.Is(err, context.Canceled) {
		f.failed.Store(&err)
	}
}

// close stops the rebuild and the writer and closes the index, marking it
// clean when it holds every lead.
func (f *fuzzy) close() error {
	if f.cancel != nil {
		f.cancel()
	}
	f.built.Wait()
	close(f.ops)
	f.wrote.Wait()
	err := f.idx.Close(f.ok.Load() && f.failed.Load() == nil)
	if f.tempDir != "" {
		if rerr := os.RemoveAll(f.tempDir); err == nil && rerr != nil {
			err = fmt.Errorf("dedupe: remove fuzzy index: %w", rerr)
		}
	}
	return err
}

// sync waits until a running rebuild has queued every lead and the writer
// has committed everything queued so far (tests and benchmarks).
func (f *fuzzy) sync() {
	f.built.Wait()
	done := make(chan struct{})
	f.ops <- fuzzyOp{done: done}
	<-done
}

// fuzzyDoc is the fuzzy index's view of one lead's records.
func fuzzyDoc(recs ...match.Record) index.FuzzyDoc {
	var d index.FuzzyDoc
	for _, r := range recs {
		for _, n := range []string{r.FirstName, r.LastName} {
			if n != "" {
				d.Names = append(d.Names, n)
			}
		}
		if r.FirstName == "" && r.LastName == "" && r.FullName != "" {
			d.Names = append(d.Names, r.FullName)
		}
		if c := r.CompanyName; c != "" {
			d.Companies = append(d.Companies, c)
		} else if r.Company != "" {
			d.Companies = append(d.Companies, r.Company)
		}
		if i := strings.LastIndexByte(r.Email, '@'); i > 0 && !r.EmailRole {
			d.Locals = append(d.Locals, r.Email[:i])
		}
		if r.City != "" {
			d.Cities = append(d.Cities, r.City)
		}
	}
	return d
}

// Close implements the runner's optional processor Close: it stops the
// key filter's build and closes the fuzzy index.
func (p *Processor) Close() error {
	p.keys.close()
	if g := p.global; g != nil {
		g.mu.Lock()
		delete(g.owned, p.partition)
		g.mu.Unlock()
	}
	if p.fz == nil {
		return nil
	}
	err := p.fz.close()
	p.fz = nil
	return err
}

// SyncFuzzy waits until the fuzzy index holds every lead filed so far
// (and, after a rebuild started on open, every lead of the state).
func (p *Processor) SyncFuzzy() {
	if p.fz != nil {
		p.fz.sync()
	}
	if p.global != nil && p.global.fz != nil {
		p.global.fz.sync()
	}
}

// FuzzySearches returns how many fuzzy searches the processor made.
func (p *Processor) FuzzySearches() int64 {
	if p.fz == nil {
		return 0
	}
	return p.fz.Searches.Load()
}

// KeysReady waits until the blocking-key filter is built and reports
// whether it is (tests and benchmarks).
func (p *Processor) KeysReady() bool {
	p.keys.done.Wait()
	return p.keys.ready.Load()
}

// BlockLookupsSkipped returns how many blocking-key lookups the filter
// answered without reading the state.
func (p *Processor) BlockLookupsSkipped() int64 { return p.keys.Skipped.Load() }
