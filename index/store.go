package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// ErrNotFound is returned by Get for a key the store does not hold.
var ErrNotFound = errors.New("index: key not found")

// metaCheckpoint holds the last changelog offset applied to the store. The
// leading zero byte keeps it apart from every stage key.
var metaCheckpoint = []byte("\x00meta/changelog-offset")

// Options configures a Store, in the manner of badger.Options.
type Options struct {
	// Dir is where the Badger files live. Required.
	Dir string
	// EncryptionKey, when 16, 24 or 32 bytes long, encrypts the store at rest
	// with AES.
	EncryptionKey []byte
	// MemTableSize bounds each memtable; several stores run in one process,
	// so the default is far below Badger's.
	MemTableSize int64
	// BaseTableSize is the size of a table at every level (0: Badger's
	// 2 MB). Larger tables mean fewer files for a compaction to write.
	BaseTableSize int64
	// BaseLevelSize is the target size of the first level under level 0
	// (0: Badger's 10 MB); each level below is ten times the one above.
	// A store written in bulk with its values in the tree (ValueThreshold
	// 0) rewrites every value once per level it passes, so a larger base
	// level means fewer rewrites.
	BaseLevelSize int64
	// LevelZeroTables is how many flushed memtables wait at level 0 before
	// they are compacted into the level below (0: 2); writes stall at four
	// times as many.
	LevelZeroTables int
	// BlockCacheSize is the read cache in bytes (unused for a store
	// neither compressed nor encrypted: its blocks are read in place).
	BlockCacheSize int64
	// IndexCacheSize, when not 0, bounds the memory the tables' indexes
	// and Bloom filters take (Badger then caches them); 0 keeps every
	// table's index in memory, which grows with the store (an encrypted
	// store takes 8 MiB when 0).
	IndexCacheSize int64
	// Logger receives Badger's warnings and errors; nil discards them.
	Logger *slog.Logger
	// Compression of the table blocks. Every read of a block that is not
	// in the block cache decompresses it, and the dedupe stage's blocking
	// lookups read many blocks, so the default is Snappy: several times
	// cheaper to decompress than ZSTD for somewhat larger files. Tables
	// written with another compression stay readable.
	Compression options.CompressionType
	// ValueThreshold: values this long or longer live in Badger's value
	// log instead of the LSM tree (0: Badger's default, 1 MB, so every
	// value is in the tree and every compaction rewrites it).
	ValueThreshold int64
	// ValueLogGCInterval is how often the value log is garbage-collected
	// (values rewritten by later writes leave garbage there); 0: never.
	ValueLogGCInterval time.Duration
}

// DefaultOptions returns options sized for a dozen stores in one process.
func DefaultOptions(dir string) Options {
	return Options{Dir: dir, MemTableSize: 8 << 20, BlockCacheSize: 16 << 20, Compression: options.Snappy,
		ValueThreshold: 512, ValueLogGCInterval: 5 * time.Minute}
}

// Change is one state write: a nil Value deletes Key.
type Change struct {
	Key   []byte
	Value []byte
}

// Store is one partition's Badger database.
type Store struct {
	db     *badger.DB
	stopGC chan struct{}
	gcDone chan struct{}
}

// Open opens (creating if needed) the store in opts.Dir.
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, errors.New("index: Options.Dir is required")
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("index: create %s: %w", opts.Dir, err)
	}
	// Badger charges a cached block of a table neither compressed nor
	// encrypted at the capacity of its slice of the memory-mapped file,
	// which runs to the file's end: such a cache holds a handful of blocks
	// and evicts at every read (a hit ratio of 1 %). Those blocks are read
	// from the mapping in place, so those tables go without one.
	blockCache := opts.BlockCacheSize
	if opts.Compression == options.None && len(opts.EncryptionKey) == 0 {
		blockCache = 0
	}
	bo := badger.DefaultOptions(opts.Dir).
		WithLogger(badgerLogger{opts.Logger}).
		WithNumVersionsToKeep(1).
		WithMemTableSize(opts.MemTableSize).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithBlockCacheSize(blockCache).
		WithValueLogFileSize(64 << 20).
		WithCompression(opts.Compression).
		WithNumCompactors(2)
	// Tables of one size at every level: a compaction's table builders
	// hold about twice their table size each, and the default doubling per
	// level made them the largest part of a big store's memory.
	bo.TableSizeMultiplier = 1
	if opts.BaseTableSize > 0 {
		bo = bo.WithBaseTableSize(opts.BaseTableSize)
	}
	if opts.BaseLevelSize > 0 {
		bo = bo.WithBaseLevelSize(opts.BaseLevelSize)
	}
	if opts.LevelZeroTables > 0 {
		bo = bo.WithNumLevelZeroTables(opts.LevelZeroTables).WithNumLevelZeroTablesStall(4 * opts.LevelZeroTables)
	}
	if opts.ValueThreshold > 0 {
		bo = bo.WithValueThreshold(opts.ValueThreshold)
	}
	if len(opts.EncryptionKey) > 0 {
		bo = bo.WithEncryptionKey(opts.EncryptionKey).WithIndexCacheSize(8 << 20)
	}
	if opts.IndexCacheSize > 0 {
		bo = bo.WithIndexCacheSize(opts.IndexCacheSize)
	}
	db, err := badger.Open(bo)
	if err != nil {
		return nil, fmt.Errorf("index: open badger at %s: %w", opts.Dir, err)
	}
	s := &Store{db: db}
	if opts.ValueLogGCInterval > 0 {
		s.stopGC, s.gcDone = make(chan struct{}), make(chan struct{})
		go s.valueLogGC(opts.ValueLogGCInterval)
	}
	return s, nil
}

// valueLogGC rewrites value-log files that are at least half garbage,
// every interval, until Close.
func (s *Store) valueLogGC(interval time.Duration) {
	defer close(s.gcDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stopGC:
			return
		case <-t.C:
			for range 8 { // one file per call; a few per round
				if s.db.RunValueLogGC(0.5) != nil {
					break
				}
			}
		}
	}
}

// Get returns the value of key, or ErrNotFound.
func (s *Store) Get(key []byte) ([]byte, error) {
	var out []byte
	err := s.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get(key)
		if err != nil {
			return err
		}
		out, err = it.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("index: get: %w", err)
	}
	return out, nil
}

// Scan calls fn for every key with prefix, in key order, until fn returns
// false or an error.
func (s *Store) Scan(prefix []byte, fn func(key, value []byte) (bool, error)) error {
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 64, Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			v, err := item.ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("index: scan: %w", err)
			}
			more, err := fn(item.KeyCopy(nil), v)
			if err != nil || !more {
				return err
			}
		}
		return nil
	})
}

// Apply writes changes atomically together with the changelog offset they
// reach (-1 to leave the checkpoint alone).
func (s *Store) Apply(changes []Change, checkpoint int64) error {
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, c := range changes {
		var err error
		if c.Value == nil {
			err = wb.Delete(c.Key)
		} else {
			err = wb.Set(c.Key, c.Value)
		}
		if err != nil {
			return fmt.Errorf("index: apply: %w", err)
		}
	}
	if checkpoint >= 0 {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(checkpoint))
		if err := wb.Set(metaCheckpoint, b[:]); err != nil {
			return fmt.Errorf("index: apply checkpoint: %w", err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("index: apply flush: %w", err)
	}
	return nil
}

// Checkpoint returns the last changelog offset applied, or -1 for none.
func (s *Store) Checkpoint() (int64, error) {
	v, err := s.Get(metaCheckpoint)
	if errors.Is(err, ErrNotFound) {
		return -1, nil
	}
	if err != nil {
		return -1, err
	}
	if len(v) != 8 {
		return -1, fmt.Errorf("index: corrupt checkpoint (%d bytes)", len(v))
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// DropPrefix removes every key with prefix physically: Badger flushes its
// memtables and rewrites the tables that hold such keys, so no old version
// is left on disk (values kept in the value log, above ValueThreshold, stay
// there until value-log GC). Erasure uses it.
func (s *Store) DropPrefix(prefix []byte) error {
	if err := s.db.DropPrefix(prefix); err != nil {
		return fmt.Errorf("index: drop prefix: %w", err)
	}
	return nil
}

// Reset deletes everything in the store, checkpoint included.
func (s *Store) Reset() error {
	if err := s.db.DropAll(); err != nil {
		return fmt.Errorf("index: reset: %w", err)
	}
	return nil
}

// Close flushes and closes the store.
func (s *Store) Close() error {
	if s.stopGC != nil {
		close(s.stopGC)
		<-s.gcDone
		s.stopGC = nil
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("index: close: %w", err)
	}
	return nil
}

// badgerLogger routes Badger's logging to slog, dropping info and debug.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) {
	if b.l != nil {
		b.l.Error("badger: " + fmt.Sprintf(f, a...))
	}
}

func (b badgerLogger) Warningf(f string, a ...any) {
	if b.l != nil {
		b.l.Warn("badger: " + fmt.Sprintf(f, a...))
	}
}
func (badgerLogger) Infof(string, ...any)  {}
func (badgerLogger) Debugf(string, ...any) {}
