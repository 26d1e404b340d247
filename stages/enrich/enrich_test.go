package enrich

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/enrich/ledger"
	"github.com/leadstream/leadstream/stages/enrich/waterfall"
)

// memTable is a state table whose Commit counts how often it was called.
type memTable struct {
	m       map[string][]byte
	commits int
}

func (t *memTable) Get(k string) ([]byte, bool, error) { v, ok := t.m[k]; return v, ok, nil }
func (t *memTable) Put(k string, v []byte)             { t.m[k] = v }
func (t *memTable) Commit(context.Context) error       { t.commits++; return nil }

// fakeProvider answers from a map of last name → result.
type fakeProvider struct {
	name  string
	batch int
	known map[string]enrich.Result
	err   error

	mu    sync.Mutex
	calls int
	asked []string
}

func (f *fakeProvider) Name() string                    { return f.name }
func (f *fakeProvider) Fills() []enrich.Attribute       { return enrich.Attributes }
func (f *fakeProvider) BatchSize() int                  { return f.batch }
func (f *fakeProvider) Cost([]enrich.Attribute) float64 { return 1 }
func (f *fakeProvider) Enrich(_ context.Context, people []enrich.Person, _ []enrich.Attribute) ([]enrich.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	out := make([]enrich.Result, len(people))
	for i, p := range people {
		f.asked = append(f.asked, p.LastName)
		if r, ok := f.known[p.LastName]; ok {
			r.Ref = p.Ref
			out[i] = r
		}
	}
	return out, nil
}

var clock = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

func newTestStage(t *testing.T, cfgJSON string, provs ...*fakeProvider) *Stage {
	t.Helper()
	cfg, err := waterfall.Parse([]byte(cfgJSON))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]enrich.Provider{}
	for _, p := range provs {
		m[p.name] = p
	}
	return New(Options{Waterfall: &cfg, Providers: m, Now: func() time.Time { return clock }})
}

func envelope(id string, l lead.Lead) *pipeline.Envelope {
	return &pipeline.Envelope{LeadID: id, Key: "k", Lead: &l}
}

func run(t *testing.T, p *processor, envs ...*pipeline.Envelope) {
	t.Helper()
	outs := make([]*pipeline.Emitter, len(envs))
	for i := range outs {
		outs[i] = &pipeline.Emitter{}
	}
	errs, err := p.ProcessBatch(context.Background(), envs, outs)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs {
		if e != nil {
			t.Fatalf("record %d: %v", i, e)
		}
	}
}

const emailWaterfall = `{"attributes": {"email": {"providers": ["first", "second"], "when": {"missing": true}}},
	"providers": %s}`

func cfg(budgets string) string {
	if budgets == "" {
		budgets = "{}"
	}
	return strings.Replace(emailWaterfall, "%s", budgets, 1)
}

func person(last string) lead.Lead {
	return lead.Lead{FirstName: "Jane", LastName: last, Company: "Example Co", Domain: "example.com", Country: "US"}
}

func TestWaterfallFillsWithProvenanceAndStopsAtTheFirstHit(t *testing.T) {
	first := &fakeProvider{name: "first", batch: 10, known: map[string]enrich.Result{
		"Doe": {Found: true, Email: "Jane.Doe@Example.com", EmailStatus: "valid", Confidence: 94, Credits: 1}}}
	second := &fakeProvider{name: "second", batch: 1, known: map[string]enrich.Result{
		"Roe": {Found: true, Email: "jane.roe@example.com", EmailStatus: "verified", Confidence: 90, Credits: 1}}}
	s := newTestStage(t, cfg(""), first, second)
	tbl := &memTable{m: map[string][]byte{}}
	p := s.open(0, tbl)
	doe, roe, kept := envelope("l1", person("Doe")), envelope("l2", person("Roe")), envelope("l3", person("Poe"))
	kept.Lead.Email = "own@example.com"
	kept.Lead.Emails = []lead.Email{{Address: "own@example.com", Valid: true, Primary: true, Status: lead.EmailNone}}
	run(t, p, doe, roe, kept)

	if doe.Lead.Email != "jane.doe@example.com" || roe.Lead.Email != "jane.roe@example.com" {
		t.Fatalf("emails = %q, %q", doe.Lead.Email, roe.Lead.Email)
	}
	obs := doe.Lead.Provenance["email"]
	if len(obs) != 1 || obs[0].Source != "first" || obs[0].Confidence != 94 || !obs[0].ObservedAt.Equal(clock) {
		t.Errorf("provenance = %+v, want source first, confidence 94, enriched now", obs)
	}
	if e, _ := doe.Lead.PrimaryEmail(); e.Status != lead.EmailVerified {
		t.Errorf("status = %q, want verified", e.Status)
	}
	if slices.Contains(second.asked, "Doe") {
		t.Error("the second provider was asked for a lead the first filled")
	}
	if kept.Lead.Email != "own@example.com" || slices.Contains(first.asked, "Poe") {
		t.Error("a lead with an e-mail was looked up or changed")
	}
	if tot := s.Metrics().Totals(); tot.Filled != 2 || tot.Credits != 2 {
		t.Errorf("totals = %+v, want 2 filled for 2 credits", tot)
	}
	if tbl.commits == 0 {
		t.Error("the ledger was never made durable before the calls")
	}

	// The same leads again: the cache answers, nobody is paid.
	calls := first.calls + second.calls
	again := envelope("l1", person("Doe"))
	run(t, p, again)
	if again.Lead.Email != "jane.doe@example.com" || first.calls+second.calls != calls {
		t.Errorf("a repeat was not served from the cache (email %q, calls %d→%d)", again.Lead.Email, calls, first.calls+second.calls)
	}
}

func TestZeroBudgetMovesOnAndDownProviderPassesLeadsOn(t *testing.T) {
	first := &fakeProvider{name: "first", batch: 1, known: map[string]enrich.Result{"Doe": {Found: true, Email: "a@example.com", Credits: 1}}}
	second := &fakeProvider{name: "second", batch: 1, known: map[string]enrich.Result{"Doe": {Found: true, Email: "b@example.com", Credits: 1}}}
	s := newTestStage(t, cfg(`{"first": {"budget": {"day": 0}}}`), first, second)
	p := s.open(0, &memTable{m: map[string][]byte{}})
	e := envelope("l1", person("Doe"))
	run(t, p, e)
	if first.calls != 0 || e.Lead.Email != "b@example.com" {
		t.Errorf("budget 0: first called %d times, email %q; want the second provider's", first.calls, e.Lead.Email)
	}

	down := &fakeProvider{name: "first", batch: 1, err: enrich.ErrUnavailable}
	down2 := &fakeProvider{name: "second", batch: 1, err: enrich.ErrQuota}
	s = newTestStage(t, cfg(""), down, down2)
	p = s.open(0, &memTable{m: map[string][]byte{}})
	e1, e2 := envelope("l1", person("Doe")), envelope("l2", person("Roe"))
	run(t, p, e1, e2)
	if e1.Lead.Email != "" {
		t.Fatal("filled from a provider that is down")
	}
	if !slices.ContainsFunc(e1.Lead.Issues, func(i lead.Issue) bool { return i.Field == "email" && i.Code == "enrich_quota" }) {
		t.Errorf("issues = %v, want the reason the e-mail stayed empty", e1.Lead.Issues)
	}
	calls := down.calls
	run(t, p, envelope("l3", person("Poe")))
	if down.calls != calls {
		t.Error("a provider that just failed was called again at once")
	}
}

func TestOpenLedgerEntryIsNeverPaidAgain(t *testing.T) {
	first := &fakeProvider{name: "first", batch: 1, known: map[string]enrich.Result{"Doe": {Found: true, Email: "a@example.com", Credits: 1}}}
	second := &fakeProvider{name: "second", batch: 1}
	s := newTestStage(t, cfg(""), first, second)
	tbl := &memTable{m: map[string][]byte{}}
	// A crash after the call to "first" was entered and made, before its
	// answer was stored.
	e := envelope("l1", person("Doe"))
	lg := &ledger.Ledger{T: tbl, TTL: time.Hour}
	if err := lg.Begin("first", ledger.PersonKeys("l1", e.Lead)[0], 1, clock.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	run(t, s.open(0, tbl), e)
	if first.calls != 0 {
		t.Errorf("the provider was paid again for a call whose answer was lost")
	}
	if second.calls != 1 {
		t.Errorf("the waterfall did not move on (second called %d times)", second.calls)
	}
}

func TestSameLeadTwiceInABatchIsOneCall(t *testing.T) {
	first := &fakeProvider{name: "first", batch: 10, known: map[string]enrich.Result{"Doe": {Found: true, Email: "a@example.com", Credits: 1}}}
	s := newTestStage(t, cfg(""), first)
	a, b := envelope("l1", person("Doe")), envelope("l1", person("Doe"))
	run(t, s.open(0, &memTable{m: map[string][]byte{}}), a, b)
	if len(first.asked) != 1 || a.Lead.Email == "" || b.Lead.Email == "" {
		t.Errorf("asked %v; emails %q %q", first.asked, a.Lead.Email, b.Lead.Email)
	}
}

// freeRepeater is a provider that never charges a record twice.
type freeRepeater struct{ *fakeProvider }

func (freeRepeater) RepeatsFree() bool { return true }

func TestOpenLedgerEntryIsAskedAgainWhereARepeatIsFree(t *testing.T) {
	first := &fakeProvider{name: "first", batch: 1, known: map[string]enrich.Result{"Doe": {Found: true, Email: "a@example.com", Credits: 1}}}
	cfg, _ := waterfall.Parse([]byte(cfg("")))
	s := New(Options{Waterfall: &cfg, Providers: map[string]enrich.Provider{"first": freeRepeater{first}}, Now: func() time.Time { return clock }})
	tbl := &memTable{m: map[string][]byte{}}
	e := envelope("l1", person("Doe"))
	lg := &ledger.Ledger{T: tbl, TTL: time.Hour}
	if err := lg.Begin("first", ledger.PersonKeys("l1", e.Lead)[0], 1, clock.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	run(t, s.open(0, tbl), e)
	if first.calls != 1 || e.Lead.Email != "a@example.com" {
		t.Errorf("calls %d, email %q: want the lost answer fetched again", first.calls, e.Lead.Email)
	}
}
