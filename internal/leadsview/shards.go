package leadsview

import (
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
)

// The view's Bleve index is shardCount Bleve indexes, a lead in the one
// its id hashes to, searched together through a bleve.IndexAlias. They
// live in one directory, <view dir>/bleve-<generation>: a rebuild writes a
// new generation with Bleve's offline builder (one goroutine per shard,
// no update bookkeeping, one merged segment per shard at the end), swaps
// it into the alias and removes the old one, so a half-built index is
// never mistaken for a whole one.
const shardCount = 4

// indexDirPrefix starts the name of an index generation's directory; it
// names the layout of the documents (fields.go), so that an index of an
// earlier layout is rebuilt.
const indexDirPrefix = "bleve-v2-"

// builderBatch is how many leads the offline builder puts in one
// segment before merging them all at the end (builderMergeMax at a time).
const (
	builderBatch    = 5000
	builderMergeMax = 64
)

// shardOf is the shard of a lead.
func shardOf(id string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return int(h.Sum32() % shardCount)
}

func shardDir(dir string, i int) string { return filepath.Join(dir, "s"+strconv.Itoa(i)) }

// indexGeneration is one generation of the index.
type indexGeneration struct {
	dir    string
	gen    int
	shards []bleve.Index
}

// generations lists the index directories under viewDir, newest first.
// Those of earlier layouts (the single index "bleve", other prefixes) are
// listed with generation -1, to be removed.
func generations(viewDir string) ([]indexGeneration, error) {
	ents, err := os.ReadDir(viewDir)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("leadsview: %w", err)
	}
	var out []indexGeneration
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, "bleve") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimPrefix(name, indexDirPrefix))
		if err != nil || !strings.HasPrefix(name, indexDirPrefix) {
			n = -1 // an earlier layout
		}
		out = append(out, indexGeneration{dir: filepath.Join(viewDir, name), gen: n})
	}
	slices.SortFunc(out, func(a, b indexGeneration) int { return b.gen - a.gen })
	return out, nil
}

// openClean opens the newest generation under viewDir if each of its
// shards was closed cleanly (the mark is cleared until the next clean
// close) and removes every other generation; g is nil, with every
// generation removed, when there is none to trust. next numbers the next
// generation.
func openClean(viewDir string) (g *indexGeneration, next int, err error) {
	gens, err := generations(viewDir)
	if err != nil {
		return nil, 0, err
	}
	if len(gens) > 0 {
		next = max(gens[0].gen+1, 0)
	}
	for i := range gens {
		if g == nil && gens[i].gen >= 0 {
			if shards, ok := openShards(gens[i].dir); ok {
				gens[i].shards = shards
				g = &gens[i]
				continue
			}
		}
		if err := os.RemoveAll(gens[i].dir); err != nil {
			return nil, 0, fmt.Errorf("leadsview: remove index %s: %w", gens[i].dir, err)
		}
	}
	return g, next, nil
}

// openShards opens the shards in dir if every one was closed cleanly.
func openShards(dir string) ([]bleve.Index, bool) {
	var shards []bleve.Index
	for i := range shardCount {
		idx, err := bleve.OpenUsing(shardDir(dir, i), indexConfig())
		if err != nil {
			break
		}
		shards = append(shards, idx)
		if mark, err := idx.GetInternal(cleanMark); err != nil || string(mark) != "1" {
			break
		}
	}
	if len(shards) == shardCount {
		var errs []error
		for _, s := range shards {
			errs = append(errs, s.DeleteInternal(cleanMark))
		}
		if errors.Join(errs...) == nil {
			return shards, true
		}
	}
	for _, s := range shards {
		_ = s.Close()
	}
	return nil, false
}

// buildShards builds a generation in dir from the leads scan yields
// (each lead id at most once) and opens it.
func buildShards(dir string, scan func(yield func(*indexDoc) error) error) ([]bleve.Index, error) {
	b, err := newShardBuilder(dir)
	if err != nil {
		return nil, err
	}
	if err := scan(func(x *indexDoc) error { b.add(x); return nil }); err != nil {
		b.abort()
		return nil, err
	}
	return b.finish()
}

// shardBuilder builds a generation of the index with one offline builder
// per shard, each in its own goroutine.
type shardBuilder struct {
	dir     string
	feeds   []chan []*indexDoc
	pending [][]*indexDoc
	errs    []error
	wg      sync.WaitGroup
	done    bool
}

// builderChunk is how many leads go to a shard's goroutine at a time.
const builderChunk = 500

func newShardBuilder(dir string) (*shardBuilder, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("leadsview: %w", err)
	}
	b := &shardBuilder{dir: dir, feeds: make([]chan []*indexDoc, shardCount),
		pending: make([][]*indexDoc, shardCount), errs: make([]error, shardCount)}
	for i := range shardCount {
		b.feeds[i] = make(chan []*indexDoc, 2)
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.errs[i] = buildShard(shardDir(dir, i), dir, b.feeds[i])
		}()
	}
	return b, nil
}

// add gives a lead to its shard's builder; each lead id at most once.
func (b *shardBuilder) add(x *indexDoc) {
	s := shardOf(x.ID)
	b.pending[s] = append(b.pending[s], x)
	if len(b.pending[s]) >= builderChunk {
		b.feeds[s] <- b.pending[s]
		b.pending[s] = make([]*indexDoc, 0, builderChunk)
	}
}

// stop ends the builders' input and waits for them.
func (b *shardBuilder) stop() error {
	if !b.done {
		b.done = true
		for i, f := range b.feeds {
			if len(b.pending[i]) > 0 {
				f <- b.pending[i]
			}
			close(f)
		}
		b.wg.Wait()
	}
	return errors.Join(b.errs...)
}

// abort stops the builders and removes what they built.
func (b *shardBuilder) abort() {
	_ = b.stop()
	_ = os.RemoveAll(b.dir)
}

// finish merges each shard and opens them.
func (b *shardBuilder) finish() ([]bleve.Index, error) {
	if err := b.stop(); err != nil {
		_ = os.RemoveAll(b.dir)
		return nil, fmt.Errorf("leadsview: build index: %w", err)
	}
	var shards []bleve.Index
	for i := range shardCount {
		idx, err := bleve.OpenUsing(shardDir(b.dir, i), indexConfig())
		if err != nil {
			for _, s := range shards {
				_ = s.Close()
			}
			_ = os.RemoveAll(b.dir)
			return nil, fmt.Errorf("leadsview: open built index: %w", err)
		}
		shards = append(shards, idx)
	}
	return shards, nil
}

// buildShard builds one shard in dir from the leads on feed; the builder
// keeps its temporary segments under tmp. It drains feed even after an
// error.
func buildShard(dir, tmp string, feed <-chan []*indexDoc) error {
	m := builderMapping{indexMapping()} // a mapping is not safe for concurrent use
	var b bleve.Builder
	var err error
	for docs := range feed {
		if b == nil && err == nil {
			b, err = bleve.NewBuilder(dir, m, map[string]any{
				"buildPathPrefix": tmp, "batchSize": builderBatch, "mergeMax": builderMergeMax,
			})
		}
		for _, x := range docs {
			if err == nil {
				err = b.Index(x.ID, x)
			}
		}
	}
	if b != nil {
		if cerr := b.Close(); err == nil {
			err = cerr
		}
		return err
	}
	if err != nil {
		return err
	}
	// No leads: Bleve's builder cannot make an empty index. Without
	// unsafe_batch, the mapping is on disk when NewUsing returns.
	idx, err := bleve.NewUsing(dir, m.IndexMappingImpl, scorch.Name, scorch.Name, nil)
	if err != nil {
		return err
	}
	return idx.Close()
}

// markClean writes the clean mark into a shard and waits until Bleve has
// persisted it, and with it every batch before it (with unsafe_batch,
// Close does not wait for them).
func markClean(shard bleve.Index) error {
	persisted := make(chan error, 1)
	b := shard.NewBatch()
	b.SetInternal(cleanMark, []byte("1"))
	b.SetPersistedCallback(func(err error) { persisted <- err })
	if err := shard.Batch(b); err != nil {
		return fmt.Errorf("leadsview: mark the index clean: %w", err)
	}
	select {
	case err := <-persisted:
		if err != nil {
			return fmt.Errorf("leadsview: mark the index clean: %w", err)
		}
		return nil
	case <-time.After(time.Minute):
		return errors.New("leadsview: the index was not persisted within a minute; it is rebuilt on the next start")
	}
}
