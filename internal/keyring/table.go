package keyring

import "hash/maphash"

// keyTable holds the keyring's keys in memory the garbage collector does
// not trace: a process holds one key per lead and per source record (a
// million leads are two million keys or more), and as a map of strings to
// entries they were millions of pointers that every collection marked
// again. Here a key is a fixed-size slot, its subject and lead are spans
// of one byte arena, and the index maps a subject's hash to its slot; a
// subject whose hash an earlier subject holds goes to a small map of
// strings (clash). Deleted slots are reused; the arena is compacted when
// most of it is dead. It is not safe for concurrent use (the Keyring's mu
// guards it).
type keyTable struct {
	seed  maphash.Seed
	index map[uint64]uint32 // hash of subject → slot
	clash map[string]uint32 // subjects whose hash another subject holds
	slots []keySlot
	free  []uint32 // deleted slots
	arena []byte
	dead  int // arena bytes no slot refers to
}

// keySlot is one subject's key.
type keySlot struct {
	key  [keySize]byte
	subj span
	lead span // empty when the lead is unknown
	used bool
}

// span is a string in the arena.
type span struct{ off, n uint32 }

const keySize = 32

// minCompact is the dead arena size below which the arena is not
// compacted.
const minCompact = 1 << 20

func newKeyTable() *keyTable {
	return &keyTable{seed: maphash.MakeSeed(), index: map[uint64]uint32{}, clash: map[string]uint32{}}
}

func (t *keyTable) str(s span) []byte { return t.arena[s.off : s.off+s.n] }

func (t *keyTable) add(s string) span {
	sp := span{off: uint32(len(t.arena)), n: uint32(len(s))}
	t.arena = append(t.arena, s...)
	return sp
}

// find returns subject's slot.
func (t *keyTable) find(subject string) (uint32, bool) {
	if i, ok := t.index[maphash.String(t.seed, subject)]; ok && string(t.str(t.slots[i].subj)) == subject {
		return i, true
	}
	i, ok := t.clash[subject]
	return i, ok
}

// get returns subject's key.
func (t *keyTable) get(subject string) (key [keySize]byte, ok bool) {
	i, ok := t.find(subject)
	if !ok {
		return key, false
	}
	return t.slots[i].key, true
}

// linkedTo reports whether slot i is linked to lead ("": to none).
func (t *keyTable) linkedTo(i uint32, lead string) bool {
	return string(t.str(t.slots[i].lead)) == lead
}

// put sets subject's key and lead, replacing what it had.
func (t *keyTable) put(subject string, key [keySize]byte, lead string) {
	if i, ok := t.find(subject); ok {
		t.slots[i].key = key
		t.setLead(i, lead)
		return
	}
	var i uint32
	if n := len(t.free); n > 0 {
		i, t.free = t.free[n-1], t.free[:n-1]
	} else {
		i = uint32(len(t.slots))
		t.slots = append(t.slots, keySlot{})
	}
	t.slots[i] = keySlot{key: key, subj: t.add(subject), used: true}
	if lead != "" {
		t.slots[i].lead = t.add(lead)
	}
	h := maphash.String(t.seed, subject)
	if _, taken := t.index[h]; taken {
		t.clash[subject] = i
	} else {
		t.index[h] = i
	}
}

// setLead links slot i to lead.
func (t *keyTable) setLead(i uint32, lead string) {
	if t.linkedTo(i, lead) {
		return
	}
	s := &t.slots[i]
	t.dead += int(s.lead.n)
	s.lead = span{}
	if lead != "" {
		s.lead = t.add(lead)
	}
	t.maybeCompact()
}

// del deletes subject's key, returning it.
func (t *keyTable) del(subject string) (key [keySize]byte, ok bool) {
	i, ok := t.find(subject)
	if !ok {
		return key, false
	}
	if _, clashed := t.clash[subject]; clashed {
		delete(t.clash, subject)
	} else {
		delete(t.index, maphash.String(t.seed, subject))
	}
	s := &t.slots[i]
	key = s.key
	t.dead += int(s.subj.n + s.lead.n)
	*s = keySlot{}
	t.free = append(t.free, i)
	t.maybeCompact()
	return key, true
}

// subjectsOf returns the subjects whose keys are linked to lead.
func (t *keyTable) subjectsOf(lead string) []string {
	var out []string
	for i := range t.slots {
		s := &t.slots[i]
		if s.used && s.lead.n > 0 && t.linkedTo(uint32(i), lead) {
			out = append(out, string(t.str(s.subj)))
		}
	}
	return out
}

func (t *keyTable) len() int { return len(t.slots) - len(t.free) }

// maybeCompact rewrites the arena once most of it is dead.
func (t *keyTable) maybeCompact() {
	if t.dead < minCompact || t.dead < len(t.arena)/2 {
		return
	}
	arena := make([]byte, 0, len(t.arena)-t.dead)
	move := func(s span) span {
		if s.n == 0 {
			return span{}
		}
		out := span{off: uint32(len(arena)), n: s.n}
		arena = append(arena, t.str(s)...)
		return out
	}
	for i := range t.slots {
		if s := &t.slots[i]; s.used {
			s.subj, s.lead = move(s.subj), move(s.lead)
		}
	}
	t.arena, t.dead = arena, 0
}
