package dedupe

import (
	"testing"

	"github.com/leadstream/leadstream/internal/lead"
)

// Reconciliation (issue 12): a record that matches two leads at the
// auto-merge threshold with only G3 failing folds them, even when they do
// not match each other (here a first name alone at an address, and the
// person's name at a garbled form of it: febrl2 entity ea97e2d01aa in one
// of its orders); a thin record (a name and a city) folds nothing.
func TestReconcileFoldsLeadsARecordJoins(t *testing.T) {
	atAddress := lead.Lead{FirstName: "Harroet", Street: "17 reuther street, blue hills", City: "parramatta", Postcode: "3300", Country: "AU"}
	byName := lead.Lead{FirstName: "Imogen", LastName: "Muehlbserg", Street: "17, bluehills", City: "parramatta", Postcode: "3300", Country: "AU"}
	both := lead.Lead{FirstName: "Imogen", LastName: "Muehlberg", Street: "17 reuther street, blueh ills", City: "parramatta", Postcode: "3300", Country: "AU"}
	thin := lead.Lead{FirstName: "Imogen", LastName: "Muehlberg", City: "parramatta", Country: "AU"}
	for _, tc := range []struct {
		name     string
		third    lead.Lead
		absorbed bool // the record folds the second lead into the first
	}{
		{"a record with the name and the address", both, true},
		{"a thin record", thin, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newTestGlobal(t)
			p0, p1 := openShared(t, g, 0, newMapState()), openShared(t, g, 1, newMapState())
			a, b := envelope("a", atAddress), envelope("b", byName)
			run(t, p0, a)
			run(t, p1, b)
			if a.Decision != DecisionNew || b.Decision != DecisionNew {
				t.Fatalf("the two first records: %q, %q; want two new leads", a.Decision, b.Decision)
			}
			c := envelope("c", tc.third)
			run(t, p0, c)
			for hops := 0; c.Decision == DecisionRouted && hops < 2; hops++ {
				run(t, p1, c)
			}
			if !tc.absorbed {
				if len(c.Absorbed) != 0 {
					t.Fatalf("thin record: %s → %s absorbed %v, want nothing folded", c.Decision, c.LeadID, c.Absorbed)
				}
				return
			}
			first, second := min(a.LeadID, b.LeadID), max(a.LeadID, b.LeadID)
			if c.Decision != DecisionMerge || c.LeadID != first || len(c.Absorbed) != 1 || c.Absorbed[0] != second {
				t.Fatalf("joining record: %s → %s absorbed %v, want merge → %s absorbing %s", c.Decision, c.LeadID, c.Absorbed, first, second)
			}
		})
	}
}

// Two replicas (two processes, each its own view) make a lead each for
// one site of one organisation at the same moment; once one view has
// the other's lead (from the changelog), the next record of that site
// folds them, as it does for persons.
func TestReconcileFoldsSitesOfTwoReplicas(t *testing.T) {
	g0, g1 := newTestGlobal(t), newTestGlobal(t)
	st1 := newMapState()
	p0, p1 := openShared(t, g0, 0, newMapState()), openShared(t, g1, 1, st1)
	a := envelope("a", lead.Lead{Company: "Koninklijke Philips Electronics N.V.", Country: "NL"})
	b := envelope("b", lead.Lead{Company: "PHILIPS ELECTRONICS NV", Country: "NL"})
	run(t, p0, a)
	run(t, p1, b)
	if a.Decision != DecisionNew || b.Decision != DecisionNew {
		t.Fatalf("concurrent first records: %s, %s; want a lead each", a.Decision, b.Decision)
	}
	// Replica 0's view follows partition 1's changelog.
	g0.mu.Lock()
	err := g0.load(1, st1)
	g0.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	c := envelope("c", lead.Lead{Company: "Philips Electronics", Country: "NL"})
	run(t, p0, c)
	first, second := min(a.LeadID, b.LeadID), max(a.LeadID, b.LeadID)
	if c.LeadID != first || len(c.Absorbed) != 1 || c.Absorbed[0] != second {
		t.Fatalf("third record: %s → %s absorbed %v, want → %s absorbing %s", c.Decision, c.LeadID, c.Absorbed, first, second)
	}
}
