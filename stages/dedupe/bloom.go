package dedupe

import (
	"context"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
)

// Most blocking keys of a new person (their e-mail, phone and mailbox keys,
// and the rarer name keys) are in no block yet, and proving that costs a
// Badger prefix seek per key. A Bloom filter of the partition's blocking
// keys answers "no such block" from memory. It is built from the blk/
// keys in the background when the partition opens, and kept current by
// file; until it is built every lookup goes to Badger.
const (
	bloomBits   = 1 << 27 // 16 MiB (the default): about 1.5 % false positives at 15 M keys (1 M leads)
	bloomHashes = 5
)

type bloom struct {
	seed   maphash.Seed
	bits   []atomic.Uint64
	nbits  uint64
	ready  atomic.Bool
	cancel context.CancelFunc
	done   sync.WaitGroup
	// Skipped counts lookups the filter answered (for benchmarks).
	Skipped atomic.Int64
}

// newBloom returns an empty filter of about size bytes (0: 16 MiB).
func newBloom(size int) *bloom {
	words := uint64(size) / 8
	if size <= 0 {
		words = bloomBits / 64
	}
	words = max(words, 1024)
	return &bloom{seed: maphash.MakeSeed(), bits: make([]atomic.Uint64, words), nbits: words * 64}
}

func (f *bloom) hashes(k string) (uint64, uint64) {
	h := maphash.String(f.seed, k)
	return h, h>>33 | h<<31 | 1
}

func (f *bloom) add(k string) {
	h1, h2 := f.hashes(k)
	for i := range uint64(bloomHashes) {
		b := (h1 + i*h2) % f.nbits
		f.bits[b/64].Or(1 << (b % 64))
	}
}

// absent reports whether k is certainly in no block (false until built).
func (f *bloom) absent(k string) bool {
	if !f.ready.Load() {
		return false
	}
	h1, h2 := f.hashes(k)
	for i := range uint64(bloomHashes) {
		b := (h1 + i*h2) % f.nbits
		if f.bits[b/64].Load()&(1<<(b%64)) == 0 {
			f.Skipped.Add(1)
			return true
		}
	}
	return false
}

// readyBloom returns a small, empty filter marked built: for a processor
// that keeps no blk/ entries (one with the shared view).
func readyBloom() *bloom {
	f := newBloom(8192)
	f.ready.Store(true)
	return f
}

// buildBloom returns a filter that fills itself from st's blk/ entries in
// the background (close stops it).
func buildBloom(st State, size int) *bloom {
	f := newBloom(size)
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.done.Add(1)
	go f.build(ctx, st)
	return f
}

// build adds the blocking key of every blk/ entry in st, then marks the
// filter ready.
func (f *bloom) build(ctx context.Context, st State) {
	defer f.done.Done()
	err := st.Scan(keyBlock, func(key string, _ []byte) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		k := key[len(keyBlock):]
		if i := strings.LastIndexByte(k, blockSep[0]); i >= 0 {
			f.add(k[:i])
		}
		return true, nil
	})
	if err == nil {
		f.ready.Store(true)
	}
}

func (f *bloom) close() {
	if f.cancel != nil {
		f.cancel()
	}
	f.done.Wait()
}
