package dedupe

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/leadstream/leadstream/index"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/dedupe/match"
)

// viewSealer is a stand-in keyring: it "seals" by flipping bits, holds a
// key for the subjects in keys and none for those erased.
type viewSealer struct{ keys, erased map[string]bool }

func flip(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = c ^ 0x5a
	}
	return out
}

func (s *viewSealer) Seal(subject string, pt, _ []byte) ([]byte, error) {
	if s.erased[subject] {
		return nil, pipeline.ErrErased
	}
	s.keys[subject] = true
	return flip(pt), nil
}

func (s *viewSealer) Open(_ context.Context, subject string, ct, _ []byte) ([]byte, error) {
	if s.erased[subject] {
		return nil, pipeline.ErrErased
	}
	return flip(ct), nil
}

func (s *viewSealer) Link(string, string)        {}
func (s *viewSealer) Erased(subject string) bool { return s.erased[subject] }
func (s *viewSealer) Has(subject string) bool    { return s.keys[subject] }

// filesContain reports whether any file under dir holds s.
func filesContain(t *testing.T, dir, s string) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		found = found || bytes.Contains(b, []byte(s))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestViewStoreKeepsNoPersonalDataInClear files leads through the view's
// store and checks what reaches the disk, what reads back, and that an
// erased lead reads as empty.
func TestViewStoreKeepsNoPersonalDataInClear(t *testing.T) {
	rec := match.Record{FirstName: "Zebulon", LastName: "Quixotez", Email: "zebulon.quixotez@example.org", Phone: "+4915112345678", City: "Wuppertal"}
	for _, tc := range []struct {
		name   string
		clear  bool // no keyring: the lead's entry is in clear (as mrec/ is)
		held   bool // the sealer holds the lead's key
		erase  bool // the lead is erased after it was written
		stored bool // its entry is in the store
		recs   int  // match records read back once the caches are empty
	}{
		{"sealed and read back", false, true, false, true, 1},
		{"erased: reads as empty", false, true, true, true, 0},
		{"no key here yet: kept in memory", false, false, false, false, 1},
		{"no keyring: in clear", true, true, false, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &viewSealer{keys: map[string]bool{}, erased: map[string]bool{}}
			g := newTestGlobal(t)
			if !tc.clear {
				g.Sealer = s
			}
			g.mu.Lock()
			defer g.mu.Unlock()
			if err := g.ready(); err != nil {
				t.Fatal(err)
			}
			if tc.held {
				s.keys[pipeline.LeadSubject("ld_a")] = true
			}
			prep := match.Prepare(rec)
			g.file(0, "k:a", "ld_a", "src/a", prep, prep.Keys())
			if err := g.store.flush(); err != nil {
				t.Fatal(err)
			}
			for _, pd := range []string{rec.Email, rec.LastName, rec.Phone, rec.City} {
				if filesContain(t, g.store.dir, pd) != tc.clear {
					t.Errorf("%q readable in the view's store: %v, want %v", pd, !tc.clear, tc.clear)
				}
			}
			h := g.ids.intern("ld_a")
			if _, err := g.store.db.Get(leadKey(h)); (err == nil) != tc.stored {
				t.Errorf("stored: %v, want %v", err, tc.stored)
			} else if err != nil && !errors.Is(err, index.ErrNotFound) {
				t.Fatal(err)
			}
			if tc.erase {
				s.erased[pipeline.LeadSubject("ld_a")] = true
			}
			g.store.leads.reset()
			g.store.blocks.reset()
			recs, err := g.records(h, "ld_a")
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != tc.recs {
				t.Fatalf("%d records read back, want %d", len(recs), tc.recs)
			}
			if tc.recs > 0 && recs[0].Record() != rec {
				t.Errorf("read back %+v, want %+v", recs[0].Record(), rec)
			}
			// The blocks survive the caches too.
			for _, k := range prep.Keys() {
				if hs, err := g.block(k); err != nil || len(hs) != 1 || hs[0] != h {
					t.Errorf("block %q: %v, %v", k, hs, err)
				}
			}
		})
	}
}
