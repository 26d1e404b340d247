package dedupe

import (
	"slices"
	"testing"
)

func TestHeldSet(t *testing.T) {
	type op struct {
		add    string   // source key to add with keys
		keys   []string // its blocking keys
		remove string   // source key to remove
	}
	tests := []struct {
		name  string
		ops   []op
		query []string
		want  []string
	}{
		{"none", nil, []string{"a"}, nil},
		{"one key", []op{{add: "s1", keys: []string{"a", "b"}}}, []string{"b"}, []string{"s1"}},
		{"each once", []op{{add: "s1", keys: []string{"a", "b"}}, {add: "s2", keys: []string{"b"}}}, []string{"a", "b"}, []string{"s1", "s2"}},
		{"removed", []op{{add: "s1", keys: []string{"a"}}, {add: "s2", keys: []string{"a"}}, {remove: "s1"}}, []string{"a"}, []string{"s2"}},
		{"added again with other keys", []op{{add: "s1", keys: []string{"a"}}, {add: "s1", keys: []string{"c"}}}, []string{"a", "c"}, []string{"s1"}},
		{"no shared key", []op{{add: "s1", keys: []string{"a"}}}, []string{"z"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newHeldSet()
			for _, o := range tt.ops {
				if o.add != "" {
					s.add(o.add, &heldRecord{trace: o.add, keys: o.keys})
				}
				if o.remove != "" {
					s.remove(o.remove)
				}
			}
			if got := s.sharing(tt.query); !slices.Equal(got, tt.want) {
				t.Errorf("sharing(%v) = %v, want %v", tt.query, got, tt.want)
			}
			for k, srcs := range s.byKey {
				if len(srcs) == 0 {
					t.Errorf("empty block %q left behind", k)
				}
			}
		})
	}
}

// A full set forgets its oldest record first; a record held again counts
// from its new place.
func TestHeldSetForgetsOldest(t *testing.T) {
	s := newHeldSet()
	s.max = 3
	for _, src := range []string{"a", "b", "c", "a", "d"} {
		s.add(src, &heldRecord{trace: src, keys: []string{"k"}})
	}
	if got := s.sharing([]string{"k"}); !slices.Equal(got, []string{"c", "a", "d"}) {
		t.Fatalf("held %v, want [c a d]", got)
	}
	for range 200 {
		s.add("e", &heldRecord{trace: "e", keys: []string{"k"}})
	}
	if len(s.order) > 2*len(s.recs)+64 {
		t.Fatalf("order grew to %d for %d records", len(s.order), len(s.recs))
	}
}
