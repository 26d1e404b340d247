package keyring

import (
	"fmt"
	"hash/maphash"
	"slices"
	"testing"
)

func keyOf(b byte) (k [keySize]byte) {
	k[0] = b
	return k
}

func TestKeyTable(t *testing.T) {
	// clash: the subjects whose hash is made to collide with the one
	// before them (the table cannot tell a real collision from this).
	cases := []struct {
		name  string
		clash bool
	}{{"distinct hashes", false}, {"colliding hashes", true}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := newKeyTable()
			put := func(subject string, key [keySize]byte, lead string) {
				if c.clash && len(tb.slots) > 0 {
					// Occupy subject's hash with another slot first.
					if _, ok := tb.find(subject); !ok {
						tb.index[maphash.String(tb.seed, subject)] = 0
					}
				}
				tb.put(subject, key, lead)
			}
			put("lead/a", keyOf(1), "")
			put("src/x:1", keyOf(2), "a")
			put("src/x:2", keyOf(3), "a")
			put("src/x:3", keyOf(4), "b")
			if got, ok := tb.get("src/x:2"); !ok || got != keyOf(3) {
				t.Fatalf("get src/x:2 = %v, %v", got[0], ok)
			}
			if _, ok := tb.get("src/x:9"); ok {
				t.Fatal("a subject never put is found")
			}
			if i, ok := tb.find("src/x:1"); !ok || !tb.linkedTo(i, "a") || tb.linkedTo(i, "b") {
				t.Fatalf("src/x:1 found %v, not linked to a alone", ok)
			}
			got := tb.subjectsOf("a")
			slices.Sort(got)
			if !slices.Equal(got, []string{"src/x:1", "src/x:2"}) {
				t.Fatalf("subjectsOf(a) = %v", got)
			}
			i, _ := tb.find("src/x:3")
			tb.setLead(i, "a")
			if len(tb.subjectsOf("a")) != 3 || len(tb.subjectsOf("b")) != 0 {
				t.Fatal("setLead did not move the link")
			}
			if k, ok := tb.del("lead/a"); !ok || k != keyOf(1) {
				t.Fatal("del lead/a")
			}
			if _, ok := tb.del("lead/a"); ok {
				t.Fatal("deleted twice")
			}
			for _, s := range []string{"src/x:1", "src/x:2", "src/x:3"} {
				if _, ok := tb.get(s); !ok {
					t.Fatalf("%s lost when another subject was deleted", s)
				}
			}
			put("lead/b", keyOf(5), "") // reuses the freed slot
			if tb.len() != 4 || len(tb.slots) != 4 {
				t.Fatalf("len %d, slots %d", tb.len(), len(tb.slots))
			}
			put("src/x:1", keyOf(6), "") // replaced
			if k, _ := tb.get("src/x:1"); k != keyOf(6) || len(tb.subjectsOf("a")) != 2 {
				t.Fatal("put did not replace the key and lead")
			}
		})
	}
}

func TestKeyTableCompacts(t *testing.T) {
	tb := newKeyTable()
	const n = 40000
	lead := fmt.Sprintf("%064d", 0)
	for i := range n {
		tb.put(fmt.Sprintf("src/provider:%060d", i), keyOf(byte(i)), lead)
	}
	for i := range n {
		if i%10 != 0 {
			tb.del(fmt.Sprintf("src/provider:%060d", i))
		}
	}
	if tb.dead > len(tb.arena)/2+minCompact {
		t.Fatalf("arena not compacted: %d of %d bytes dead", tb.dead, len(tb.arena))
	}
	for i := 0; i < n; i += 10 {
		s := fmt.Sprintf("src/provider:%060d", i)
		if k, ok := tb.get(s); !ok || k != keyOf(byte(i)) {
			t.Fatalf("%s lost in compaction", s)
		}
	}
	if got := len(tb.subjectsOf(lead)); got != n/10 {
		t.Fatalf("%d subjects linked after compaction, want %d", got, n/10)
	}
}
