package dedupe

import (
	"context"
	"testing"
	"time"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// openShared opens partition part over st with the shared view g.
func openShared(t *testing.T, g *Global, part int32, st State) *Processor {
	t.Helper()
	p, err := Stage{Global: g, NoFuzzy: true}.OpenState(context.Background(), part, st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func envelope(id string, l lead.Lead) *pipeline.Envelope {
	return &pipeline.Envelope{TraceID: id, Source: pipeline.Source{Provider: "test", RecordID: id},
		FirstSeen: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), Lead: &l}
}

func run(t *testing.T, p *Processor, in *pipeline.Envelope) {
	t.Helper()
	if err := p.Process(context.Background(), in, &pipeline.Emitter{}); err != nil {
		t.Fatal(err)
	}
}

// A duplicate that arrives on another partition is matched through the
// shared view, routed to the partition that owns the lead, and merged
// there; the same record replayed is routed again, and the owner repeats
// its decision (issue 12).
func TestGlobalViewRoutesToOwner(t *testing.T) {
	g := newTestGlobal(t)
	st0, st1 := newMapState(), newMapState()
	p0, p1 := openShared(t, g, 0, st0), openShared(t, g, 1, st1)
	ann := lead.Lead{FirstName: "Ann", LastName: "Lee", Email: "ann.lee@acme.com", Company: "Acme", Domain: "acme.com"}

	first := envelope("a", ann)
	run(t, p0, first)
	if first.Decision != DecisionNew {
		t.Fatalf("first record: %s, want new", first.Decision)
	}
	dup := envelope("b", ann)
	run(t, p1, dup)
	if dup.Decision != DecisionRouted || dup.LeadID != first.LeadID {
		t.Fatalf("duplicate on partition 1: %s → %s, want routed → %s", dup.Decision, dup.LeadID, first.LeadID)
	}
	if g.Routed() != 1 {
		t.Errorf("routed %d, want 1", g.Routed())
	}
	run(t, p0, dup) // the runner delivers it to the owner
	if dup.Decision != DecisionMerge || dup.LeadID != first.LeadID {
		t.Fatalf("at the owner: %s → %s, want merge → %s", dup.Decision, dup.LeadID, first.LeadID)
	}
	// A replay at partition 1 routes again; the owner repeats its merge.
	again := envelope("b", ann)
	run(t, p1, again)
	run(t, p0, again)
	if again.Decision != DecisionMerge || again.LeadID != first.LeadID {
		t.Fatalf("replay: %s → %s", again.Decision, again.LeadID)
	}
}

// A routed record that comes back to the partition that routed it (the
// lead's key led there) is decided there instead of going round again.
func TestRoutedRecordBackAtRouterIsDecided(t *testing.T) {
	g := newTestGlobal(t)
	p0, p1 := openShared(t, g, 0, newMapState()), openShared(t, g, 1, newMapState())
	ann := lead.Lead{FirstName: "Ann", LastName: "Lee", Email: "ann.lee@acme.com", Company: "Acme", Domain: "acme.com"}
	run(t, p0, envelope("a", ann))
	dup := envelope("b", ann)
	run(t, p1, dup)
	if dup.Decision != DecisionRouted {
		t.Fatalf("want routed, got %s", dup.Decision)
	}
	run(t, p1, dup) // back where it was routed from
	if dup.Decision == DecisionRouted || dup.LeadID == "" {
		t.Fatalf("routed again (%s → %s): it would never reach an outcome", dup.Decision, dup.LeadID)
	}
}

// Organisation records: one site of an organisation merges; another
// address of it is a new site (lead) of the same organisation; a person
// never merges into an organisation lead.
func TestOrganisationSites(t *testing.T) {
	g := newTestGlobal(t)
	p := openShared(t, g, 0, newMapState())
	hq := lead.Lead{Company: "Koninklijke Philips N.V.", Domain: "philips.com", Street: "1 Amstelplein", City: "Amsterdam", Postcode: "1096 BC", Country: "NL"}
	a := envelope("hq", hq)
	run(t, p, a)
	again := hq
	again.Company = "PHILIPS KONINK NV"
	b := envelope("hq2", again)
	run(t, p, b)
	if b.Decision != DecisionMerge || b.LeadID != a.LeadID {
		t.Fatalf("same site: %s → %s, want merge → %s", b.Decision, b.LeadID, a.LeadID)
	}
	plant := hq
	plant.Street, plant.City, plant.Postcode = "High Tech Campus 5", "Eindhoven", "5656 AE"
	c := envelope("plant", plant)
	run(t, p, c)
	if c.Decision != DecisionNew {
		t.Fatalf("second site: %s, want a new lead", c.Decision)
	}
	if c.Lead.OrganisationID == "" || c.Lead.OrganisationID != a.Lead.OrganisationID {
		t.Errorf("second site's organisation %q, want the first's %q", c.Lead.OrganisationID, a.Lead.OrganisationID)
	}
	person := lead.Lead{FirstName: "Ann", LastName: "Lee", Company: "Philips", Domain: "philips.com", Street: "1 Amstelplein", City: "Amsterdam", Postcode: "1096 BC", Country: "NL"}
	d := envelope("person", person)
	run(t, p, d)
	if d.LeadID == a.LeadID || d.LeadID == c.LeadID {
		t.Errorf("a person merged into an organisation lead (%s)", d.LeadID)
	}
}

// A new site of a known organisation decided on another partition (its
// record has no domain, so another key) names the organisation's key, so
// the sink writes every site of one organisation on one partition.
func TestOrganisationSiteNamesItsOrganisationsKey(t *testing.T) {
	g := newTestGlobal(t)
	p0, p1 := openShared(t, g, 0, newMapState()), openShared(t, g, 1, newMapState())
	hq := lead.Lead{Company: "Koninklijke Philips N.V.", Domain: "philips.com", Street: "1 Amstelplein", City: "Amsterdam", Postcode: "1096 BC", Country: "NL"}
	a := envelope("hq", hq)
	run(t, p0, a)
	plant := lead.Lead{Company: "Philips", Street: "High Tech Campus 5", City: "Eindhoven", Postcode: "5656 AE", Country: "NL"}
	c := envelope("plant", plant)
	run(t, p1, c)
	if c.Decision != DecisionNew || c.Lead.OrganisationID != a.Lead.OrganisationID {
		t.Fatalf("second site: %s, organisation %q; want a new lead of %q", c.Decision, c.Lead.OrganisationID, a.Lead.OrganisationID)
	}
	if a.OrganisationKey != "" {
		t.Errorf("the first site names an organisation key %q", a.OrganisationKey)
	}
	if want := hq.PartitionKey(); c.OrganisationKey != want {
		t.Errorf("second site's organisation key %q, want the first site's %q", c.OrganisationKey, want)
	}
}

// newTestGlobal returns a view whose caches hold a few entries and whose
// store writes every few changes, so that the tests' lookups go through
// the store (and its sealing) as a large run's do; t closes it.
func newTestGlobal(t testing.TB) *Global {
	g := NewGlobal()
	g.CacheBlocks, g.CacheLeads, g.BloomBytes, g.flushEvery = 64, 16, 8192, 32
	t.Cleanup(func() {
		if err := g.Close(); err != nil {
			t.Error(err)
		}
	})
	return g
}
