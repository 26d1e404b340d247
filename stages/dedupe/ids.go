package dedupe

import (
	"bytes"
	"hash/maphash"
)

// leadIDs interns lead ids as dense handles so that the block cache holds
// []uint32 rather than one string per lead and key: a lead sits in about
// 15 blocks, and pointer-free slices cost the garbage collector nothing to
// scan. The ids live in one byte arena, indexed by a map from their hash
// (collisions probe the next hash), so the table itself holds no pointers
// either. It is not safe for concurrent use.
type leadIDs struct {
	seed  maphash.Seed
	slots map[uint64]uint32 // hash (+ probe) → handle
	arena []byte
	ends  []uint32 // ends[h] is the end of handle h's id in arena
}

// maxInternedBytes bounds the arena; past it the processor starts its
// caches afresh (see Processor.reset).
const maxInternedBytes = 64 << 20

func newLeadIDs() *leadIDs {
	return &leadIDs{seed: maphash.MakeSeed(), slots: make(map[uint64]uint32)}
}

func (x *leadIDs) bytes(h uint32) []byte {
	start := uint32(0)
	if h > 0 {
		start = x.ends[h-1]
	}
	return x.arena[start:x.ends[h]]
}

// name returns the id of handle h.
func (x *leadIDs) name(h uint32) string { return string(x.bytes(h)) }

// compare orders two handles by their ids.
func (x *leadIDs) compare(a, b uint32) int { return bytes.Compare(x.bytes(a), x.bytes(b)) }

// intern returns the handle of id, adding it if new.
func (x *leadIDs) intern(id string) uint32 {
	s := maphash.String(x.seed, id)
	for {
		h, ok := x.slots[s]
		if !ok {
			break
		}
		if string(x.bytes(h)) == id { // no allocation: compared in place
			return h
		}
		s++
	}
	h := uint32(len(x.ends))
	x.arena = append(x.arena, id...)
	x.ends = append(x.ends, uint32(len(x.arena)))
	x.slots[s] = h
	return h
}

// full reports whether the arena has reached its bound.
func (x *leadIDs) full() bool { return len(x.arena) >= maxInternedBytes }

func (x *leadIDs) reset() {
	clear(x.slots)
	x.arena = x.arena[:0]
	x.ends = x.ends[:0]
}
