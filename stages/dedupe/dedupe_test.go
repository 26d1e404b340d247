package dedupe

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/dedupe/match"
	"github.com/leadstream/leadstream/stages/review"
)

// mapState is an in-memory State; Scan sees every write (the tests flush
// after each record, as a runner batch of one would). The key filter and
// the fuzzy rebuild scan it from their own goroutines, hence the lock.
type mapState struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newMapState() *mapState { return &mapState{m: map[string][]byte{}} }

func (s *mapState) Get(k string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	return v, ok, nil
}

func (s *mapState) Put(k string, v []byte) { s.mu.Lock(); s.m[k] = v; s.mu.Unlock() }
func (s *mapState) Delete(k string)        { s.mu.Lock(); delete(s.m, k); s.mu.Unlock() }

func (s *mapState) Scan(prefix string, fn func(string, []byte) (bool, error)) error {
	s.mu.Lock()
	var keys []string
	for k := range s.m {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	s.mu.Unlock()
	sort.Strings(keys)
	for _, k := range keys {
		v, ok, _ := s.Get(k)
		if !ok {
			continue
		}
		if more, err := fn(k, v); err != nil || !more {
			return err
		}
	}
	return nil
}

func process(t *testing.T, p *Processor, id string, l lead.Lead) *pipeline.Envelope {
	t.Helper()
	in := &pipeline.Envelope{TraceID: id, Source: pipeline.Source{Provider: "test", RecordID: id},
		FirstSeen: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), Lead: &l}
	if err := p.Process(context.Background(), in, &pipeline.Emitter{}); err != nil {
		t.Fatal(err)
	}
	return in
}

func open(t *testing.T, st State, dir string) *Processor {
	t.Helper()
	p, err := Stage{FuzzyDir: dir}.OpenState(context.Background(), 0, st)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A record whose blocking keys find no lead is offered the leads the
// fuzzy index finds, so a look-alike goes to review instead of becoming a
// second lead; the fuzzy index is not asked when blocking finds leads.
func TestFuzzyFallback(t *testing.T) {
	st := newMapState()
	p := open(t, st, filepath.Join(t.TempDir(), "fz"))
	defer p.Close()
	first := process(t, p, "r1", lead.Lead{FirstName: "Jonathan", LastName: "Pike", Email: "jonathan.pike@acme.example",
		Company: "Acme Solutions GmbH", City: "Berlin", Country: "DE"})
	if first.Decision != DecisionNew {
		t.Fatalf("first record: %s", first.Decision)
	}
	p.SyncFuzzy()
	n0 := p.FuzzySearches() // the first record found no lead either

	// Another first letter and no e-mail: no blocking key is shared.
	look := lead.Lead{FirstName: "Konathan", LastName: "Pike", Company: "ACME IT Services", City: "Hamburg", Country: "DE"}
	if c, _ := p.candidates(recAndKeys(&look)); len(c) == 0 || c[0].LeadID != first.LeadID {
		t.Fatalf("candidates %+v, want lead %s", c, first.LeadID)
	}
	if n := p.FuzzySearches() - n0; n != 1 {
		t.Errorf("fuzzy searches %d, want 1", n)
	}
	// The same name with the e-mail: blocking finds the lead, no search.
	same := lead.Lead{FirstName: "Jonathan", LastName: "Pike", Email: "jonathan.pike@acme.example"}
	if c, _ := p.candidates(recAndKeys(&same)); len(c) == 0 {
		t.Fatal("no candidates for the same e-mail")
	}
	if n := p.FuzzySearches() - n0; n != 1 {
		t.Errorf("fuzzy searches %d after a blocking hit, want 1", n)
	}
	// Someone else entirely: nothing.
	other := lead.Lead{FirstName: "Otto", LastName: "Lund", City: "Oslo", Country: "NO"}
	if c, _ := p.candidates(recAndKeys(&other)); len(c) != 0 {
		t.Errorf("candidates for another person: %+v", c)
	}
}

// A partition whose fuzzy index is missing (a state restored from the
// changelog on a new machine) rebuilds it from the match records.
func TestFuzzyRebuild(t *testing.T) {
	st := newMapState()
	p := open(t, st, filepath.Join(t.TempDir(), "a"))
	first := process(t, p, "r1", lead.Lead{FirstName: "Jonathan", LastName: "Pike", Email: "jonathan.pike@acme.example",
		Company: "Acme Solutions GmbH", City: "Berlin", Country: "DE"})
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{filepath.Join(t.TempDir(), "b"), ""} {
		p = open(t, st, dir)
		p.SyncFuzzy()
		look := lead.Lead{FirstName: "Konathan", LastName: "Pike", City: "Hamburg", Country: "DE"}
		if c, _ := p.candidates(recAndKeys(&look)); len(c) == 0 || c[0].LeadID != first.LeadID {
			t.Errorf("dir %q: candidates after rebuild %+v, want lead %s", dir, c, first.LeadID)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// The blocking-key filter is built from the blk/ entries of the state,
// never hides a key that is there, and answers most absent keys.
func TestBlockingKeyFilter(t *testing.T) {
	st := newMapState()
	p := open(t, st, "")
	process(t, p, "r1", lead.Lead{FirstName: "Jonathan", LastName: "Pike", Email: "jonathan.pike@acme.example",
		Company: "Acme Solutions GmbH", City: "Berlin", Country: "DE"})
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	p, err := Stage{NoFuzzy: true}.OpenState(context.Background(), 0, st)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !p.KeysReady() {
		t.Fatal("filter not built")
	}
	n := 0
	for k := range st.m {
		if rest, ok := strings.CutPrefix(k, keyBlock); ok {
			n++
			if p.keys.absent(rest[:strings.LastIndexByte(rest, blockSep[0])]) {
				t.Errorf("key of %q reported absent", k)
			}
		}
	}
	if n == 0 {
		t.Fatal("no blk/ entries")
	}
	absent := 0
	for i := range 1000 {
		if p.keys.absent(fmt.Sprintf("e|nobody%d@example.org", i)) {
			absent++
		}
	}
	if absent < 990 {
		t.Errorf("%d of 1000 unknown keys answered absent", absent)
	}
	// A new record's keys are looked up, the record filed and its keys
	// found again.
	in := process(t, p, "r2", lead.Lead{FirstName: "Otto", LastName: "Lund", Email: "otto@lund.example", City: "Oslo", Country: "NO"})
	ids, err := p.block("e|otto@lund.example")
	if err != nil || len(ids) != 1 || p.ids.name(ids[0]) != in.LeadID {
		t.Errorf("block after filing: %v %v", ids, err)
	}
}

// The quality gate (crm.md §3.2 gate 3): a record validate marked
// low_quality is held for review only when it would create a new lead; a
// thin record of a known person merges, and an approved one becomes a lead.
func TestQualityGateHoldsOnlyNewLeads(t *testing.T) {
	st := newMapState()
	p := open(t, st, "")
	defer p.Close()
	known := process(t, p, "r1", lead.Lead{FirstName: "Martha", LastName: "Brown", Email: "martha.brown@jones-stuart.example",
		City: "Southend-on-Sea"})
	if known.Decision != DecisionNew {
		t.Fatalf("first record: %s", known.Decision)
	}
	low := []string{pipeline.ReasonLowQuality, "no_email"}
	for _, tc := range []struct {
		name     string
		l        lead.Lead
		decision string
		outcome  pipeline.Outcome
	}{
		{"thin record of a known person merges", lead.Lead{FirstName: "Martha", LastName: "Brown", City: "Southend-on-Sea"}, DecisionMerge, ""},
		{"thin record of a new person is held", lead.Lead{FirstName: "Otto", LastName: "Lund", City: "Oslo"}, "", pipeline.OutcomeReview},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &pipeline.Envelope{TraceID: tc.name, Source: pipeline.Source{Provider: "test", RecordID: tc.name},
				FirstSeen: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), Lead: &tc.l, Reasons: low}
			if err := p.Process(context.Background(), in, &pipeline.Emitter{}); err != nil {
				t.Fatal(err)
			}
			if in.Decision != tc.decision || in.Outcome != tc.outcome {
				t.Fatalf("decision %q outcome %q (%v), want %q %q", in.Decision, in.Outcome, in.Reasons, tc.decision, tc.outcome)
			}
			if tc.outcome == pipeline.OutcomeReview && !lowQuality(in.Reasons) {
				t.Errorf("held without the low_quality reason: %v", in.Reasons)
			}
		})
	}
	// A person approves the held record: a lead of its own.
	approved := &pipeline.Envelope{TraceID: "thin record of a new person is held",
		Source:    pipeline.Source{Provider: "test", RecordID: "thin record of a new person is held"},
		FirstSeen: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), Decision: DecisionApproved,
		Lead: &lead.Lead{FirstName: "Otto", LastName: "Lund", City: "Oslo"}}
	if err := p.Process(context.Background(), approved, &pipeline.Emitter{}); err != nil {
		t.Fatal(err)
	}
	if approved.Decision != DecisionNew || approved.Outcome != "" {
		t.Errorf("approved: decision %q outcome %q", approved.Decision, approved.Outcome)
	}
}

// recAndKeys is the match record of l and its blocking keys, the
// arguments of Processor.candidates.
func recAndKeys(l *lead.Lead) (match.Record, []string) {
	r := Record(l)
	return r, match.Keys(r)
}

// Leads are stored compressed; a lead stored as plain JSON (state from
// before compression) is still read.
func TestLeadEncoding(t *testing.T) {
	st := newMapState()
	p := open(t, st, filepath.Join(t.TempDir(), "fz"))
	defer p.Close()
	in := process(t, p, "r1", lead.Lead{FirstName: "Ada", LastName: "Lovelace", Email: "ada@analytical.example", Country: "GB"})
	v, ok, _ := st.Get(keyLead + in.LeadID)
	if !ok || len(v) == 0 || v[0] != compressedLead {
		t.Fatalf("stored lead %q: want it compressed", v)
	}
	st.Put(keyLead+"ld_plain", []byte(`{"key":"k","lead":{"first_name":"Grace","email":"grace@navy.example"}}`))
	var got leadState
	if ok, err := p.getLead("ld_plain", &got); err != nil || !ok || got.Lead.FirstName != "Grace" || got.Key != "k" {
		t.Fatalf("plain lead: %+v %v %v", got, ok, err)
	}
	if ok, err := p.getLead(in.LeadID, &got); err != nil || !ok || got.Lead.LastName != "Lovelace" {
		t.Fatalf("compressed lead: %+v %v %v", got, ok, err)
	}
}

// A person's merge decision (review) folds a held record into the lead it
// names.
func TestReviewMergeDecision(t *testing.T) {
	st := newMapState()
	p := open(t, st, "")
	defer p.Close()
	known := process(t, p, "r1", lead.Lead{FirstName: "Martha", LastName: "Brown", Email: "martha.brown@jones-stuart.example"})
	held := &pipeline.Envelope{TraceID: "held", Source: pipeline.Source{Provider: "test", RecordID: "held"},
		FirstSeen: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), Lead: &lead.Lead{FirstName: "Otto", LastName: "Lund", City: "Oslo"},
		Reasons: []string{pipeline.ReasonLowQuality}}
	if err := p.Process(context.Background(), held, &pipeline.Emitter{}); err != nil || held.Outcome != pipeline.OutcomeReview {
		t.Fatalf("held: %q %v", held.Outcome, err)
	}
	decided := &pipeline.Envelope{TraceID: "held", Source: held.Source, FirstSeen: held.FirstSeen,
		Lead: &lead.Lead{FirstName: "Otto", LastName: "Lund", City: "Oslo"}, Decision: review.DecisionMergePrefix + known.LeadID}
	if err := p.Process(context.Background(), decided, &pipeline.Emitter{}); err != nil {
		t.Fatal(err)
	}
	if decided.Decision != DecisionMerge || decided.LeadID != known.LeadID || decided.Lead.City != "Oslo" {
		t.Fatalf("merged: decision %q lead %s city %q", decided.Decision, decided.LeadID, decided.Lead.City)
	}
	// Replayed, the record keeps its decision.
	again := &pipeline.Envelope{TraceID: "held", Source: held.Source, FirstSeen: held.FirstSeen, Lead: &lead.Lead{FirstName: "Otto"}}
	if err := p.Process(context.Background(), again, &pipeline.Emitter{}); err != nil || again.LeadID != known.LeadID {
		t.Fatalf("replay: %s %v", again.LeadID, err)
	}
}
