package system

import (
	"math"
	"os"
	"runtime/debug"

	"github.com/leadstream/leadstream/stages/dedupe"
)

// DefaultMemoryLimit is the memory limit of a process that sets none
// (neither --memory-limit nor GOMEMLIMIT): 1 GiB.
const DefaultMemoryLimit = 1 << 30

// GCPercentUnderLimit is the garbage collector's target (GOGC) while a
// memory limit holds and GOGC is not set: the heap may grow to five times
// the live data before a collection, the limit bounding it. The Go
// default of 100 made the collector about a tenth of the pipeline's CPU
// (BenchmarkRawToSynced's profile); the limit, not the percentage, is what
// keeps the process's memory in bounds.
const GCPercentUnderLimit = 400

// SetMemoryLimit makes limit bytes the Go runtime's memory limit and,
// unless the environment sets GOGC, raises the collector's target to
// GCPercentUnderLimit: with a limit in force, collecting at twice the
// live heap spends CPU on memory the process may use anyway.
// `leadstream run` calls it with --memory-limit (default
// DefaultMemoryLimit).
func SetMemoryLimit(limit int64) {
	debug.SetMemoryLimit(limit)
	RelaxGCUnderLimit()
}

// RelaxGCUnderLimit raises the collector's target to GCPercentUnderLimit
// unless the environment sets GOGC. SetMemoryLimit calls it; a process
// whose limit comes from GOMEMLIMIT (which the runtime applies itself)
// calls it alone.
func RelaxGCUnderLimit() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercentUnderLimit)
	}
}

// memoryBudget shares a process's memory limit among the parts whose size
// is a setting rather than a consequence of history: each partition's
// Badger store, dedupe's caches and Bloom filters, and the records each
// consumer fetches ahead. What is left (about half) is working memory:
// batches in flight, Bleve's segments being built, producer buffers and
// the garbage collector's headroom.
type memoryBudget struct {
	limit      int64
	partitions int64
}

// newMemoryBudget returns the budget of limit bytes (0: the Go runtime's
// limit, else DefaultMemoryLimit) over partitions per topic.
func newMemoryBudget(limit int64, partitions int32) memoryBudget {
	if limit <= 0 {
		limit = debug.SetMemoryLimit(-1)
	}
	if limit <= 0 || limit == math.MaxInt64 {
		limit = DefaultMemoryLimit
	}
	return memoryBudget{limit: limit, partitions: int64(max(partitions, 1))}
}

// Shares of the limit.
const (
	// storeShare per stateful stage, over its partitions: dedupe's store is
	// read for every record, the sink's for every lead, the others rarely.
	dedupeStoreShare = 0.08
	sinkStoreShare   = 0.04
	otherStoreShare  = 0.01
	// dedupeCacheShare is dedupe's block and match-record caches, 40 %
	// blocks and 60 % records, over its partitions.
	dedupeCacheShare = 0.25
	// bloomShare is dedupe's Bloom filters of blocking keys.
	bloomShare = 0.03
	// fetchShare is what one consumer may fetch ahead (about ten run in
	// `leadstream run`).
	fetchShare = 1.0 / 512
)

// Estimated memory of one cache entry, from heap profiles of a run.
const (
	blockEntryBytes  = 160  // a blocking key and its lead handles, in a map
	recordEntryBytes = 3000 // a lead's prepared match records (up to 4)
)

// storeBytes is what one partition's store of stage may hold in memory.
func (b memoryBudget) storeBytes(stage string) int64 {
	share := otherStoreShare
	switch stage {
	case "dedupe":
		share = dedupeStoreShare
	case "sink":
		share = sinkStoreShare
	}
	return max(int64(share*float64(b.limit))/b.partitions, 2<<20)
}

// fileRSS is what pages of mapped state files may hold of the resident
// set (keepFileRSS).
func (b memoryBudget) fileRSS() int64 {
	return max(int64(fileRSSShare*float64(b.limit)), 64<<20)
}

// fetchBytes bounds one consumer's fetch.
func (b memoryBudget) fetchBytes() int32 {
	return int32(min(max(int64(fetchShare*float64(b.limit)), 1<<20), 16<<20))
}

// dedupeView sizes dedupe's shared candidate view (dedupe.Global): the
// blocks and leads it caches in memory, the rest being in its store, and
// its Bloom filter of blocking keys. With the view a partition keeps no
// caches or filter of its own, so the view takes dedupe's cache and Bloom
// shares of the whole process: 40 % of the cache share blocks and 60 %
// leads, in two generations each.
func (b memoryBudget) dedupeView() (blocks, leads, bloomBytes int) {
	all := dedupeCacheShare * float64(b.limit)
	return max(int(0.4*all/blockEntryBytes/2), 16<<10), max(int(0.6*all/recordEntryBytes/2), 4<<10),
		max(int(bloomShare*float64(b.limit)), 1<<20)
}

// dedupe sizes the dedupe stage's caches and Bloom filter per partition.
func (b memoryBudget) dedupe(s dedupe.Stage) dedupe.Stage {
	perPart := dedupeCacheShare * float64(b.limit) / float64(b.partitions)
	// Two generations of each cache.
	if s.BlockCacheKeys <= 0 {
		s.BlockCacheKeys = max(int(0.4*perPart/blockEntryBytes/2), 16<<10)
	}
	if s.RecordCacheLeads <= 0 {
		s.RecordCacheLeads = max(int(0.6*perPart/recordEntryBytes/2), 4<<10)
	}
	if s.BloomBytes <= 0 {
		s.BloomBytes = max(int(bloomShare*float64(b.limit)/float64(b.partitions)), 1<<20)
	}
	return s
}
