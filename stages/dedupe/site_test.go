package dedupe

import (
	"strings"
	"testing"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// Sites of person records (issue 12): each case runs its records in order
// through one partition with the shared view, then checks each record's
// site (Envelope.Site) against the lead or site of an earlier record.
func TestPersonRecordSite(t *testing.T) {
	hq := lead.Lead{Company: "Zorvik Networks Ltd", Domain: "zorvik.co.uk", Street: "27 Kelly Street", City: "London",
		Postcode: "63200", Country: "GB", Phone: "+442079460123"}
	branch := hq
	branch.Street, branch.City, branch.Postcode, branch.Phone = "4 Quay Road", "Leeds", "11500", "+441134960000"
	with := func(l lead.Lead, first, last string) lead.Lead {
		l.FirstName, l.LastName = first, last
		return l
	}
	// site names what a record's site must be: the lead of record "lead:<id>",
	// the site of record "site:<id>", a new site "new", or none "".
	type rec struct {
		id   string
		l    lead.Lead
		site string
		org  string // like site, for the site's organisation ("" : not checked)
	}
	cases := []struct {
		name string
		recs []rec
		// check runs after the records, with the envelopes by id.
		check func(t *testing.T, p *Processor, env map[string]*pipeline.Envelope)
	}{
		{name: "a person at a known site takes it and its organisation", recs: []rec{
			{id: "hq", l: hq},
			{id: "ann", l: with(hq, "Ann", "Lee"), site: "lead:hq", org: "lead:hq"},
		}},
		{name: "a person with the company's name in another spelling and no phone", recs: []rec{
			{id: "hq", l: hq},
			{id: "ann", l: func() lead.Lead {
				l := with(hq, "Ann", "Lee")
				l.Company, l.Phone = "ZORVIK NETWORKS LIMITED", ""
				return l
			}(), site: "lead:hq"},
		}},
		{name: "a person at a new address of a known organisation makes a site of it", recs: []rec{
			{id: "hq", l: hq},
			{id: "bob", l: with(branch, "Bob", "Ng"), site: "new", org: "lead:hq"},
			{id: "branch", l: branch}, // the organisation record of that site joins it
		}, check: func(t *testing.T, p *Processor, env map[string]*pipeline.Envelope) {
			if b := env["branch"]; b.Decision != DecisionMerge || b.LeadID != env["bob"].Site.LeadID {
				t.Errorf("organisation record of the new site: %s → %s, want merge → %s", b.Decision, b.LeadID, env["bob"].Site.LeadID)
			}
			var st leadState
			if ok, err := p.getLead(env["bob"].Site.LeadID, &st); !ok || err != nil {
				t.Fatalf("the new site is not in the state: %v", err)
			}
			if !st.Lead.IsOrganisation() || st.Lead.Street != branch.Street || st.Lead.OrganisationID != env["hq"].LeadID {
				t.Errorf("new site lead %+v", st.Lead)
			}
			if _, ok := st.Lead.Provenance["first_name"]; ok || st.Lead.Email != "" {
				t.Errorf("the site lead took the person: %+v", st.Lead)
			}
		}},
		{name: "the first record of an organisation is a person: its site is its own organisation", recs: []rec{
			{id: "ann", l: with(hq, "Ann", "Lee"), site: "new", org: "site:ann"},
			{id: "hq", l: hq},
			{id: "cy", l: with(hq, "Cy", "Park"), site: "site:ann", org: "site:ann"},
		}, check: func(t *testing.T, p *Processor, env map[string]*pipeline.Envelope) {
			if h := env["hq"]; h.Decision != DecisionMerge || h.LeadID != env["ann"].Site.LeadID {
				t.Errorf("organisation record: %s → %s, want merge into the site %s", h.Decision, h.LeadID, env["ann"].Site.LeadID)
			}
			if env["cy"].LeadID == env["ann"].LeadID {
				t.Error("two persons of one site merged")
			}
		}},
		{name: "one person at two sites is one lead that keeps both; the sites stay two", recs: []rec{
			{id: "hq", l: hq},
			{id: "ann1", l: with(hq, "Ann", "Lee"), site: "lead:hq"},
			{id: "ann2", l: func() lead.Lead {
				l := with(branch, "Ann", "Lee")
				l.Email = "ann.lee@zorvik.co.uk"
				return l
			}(), site: "new", org: "lead:hq"},
			{id: "ann3", l: func() lead.Lead {
				l := with(hq, "Ann", "Lee")
				l.Email = "ann.lee@zorvik.co.uk"
				return l
			}(), site: "lead:hq"},
		}, check: func(t *testing.T, p *Processor, env map[string]*pipeline.Envelope) {
			a2, a3 := env["ann2"], env["ann3"]
			if a3.LeadID != a2.LeadID {
				t.Fatalf("one person became leads %s and %s", a2.LeadID, a3.LeadID)
			}
			if a2.Site.LeadID == env["hq"].LeadID {
				t.Fatal("the second site merged into the first")
			}
			got := a3.Lead.Sites
			if len(got) != 2 || got[0].LeadID != env["hq"].LeadID || got[1].LeadID != a2.Site.LeadID {
				t.Errorf("person lead's sites %+v", got)
			}
		}},
		{name: "no site without organisation site data", recs: []rec{
			{id: "nocompany", l: lead.Lead{FirstName: "Ann", LastName: "Lee", Street: "27 Kelly Street", City: "London", Country: "GB"}},
			{id: "nameonly", l: lead.Lead{FirstName: "Bo", LastName: "Ek", Email: "bo.ek@zorvik.co.uk", Company: "Zorvik Networks"}},
			{id: "org", l: hq},
		}},
		{name: "a replay repeats the site and makes none", recs: []rec{
			{id: "ann", l: with(branch, "Ann", "Lee"), site: "new"},
			{id: "ann", l: with(branch, "Ann", "Lee"), site: "site:ann"},
		}, check: func(t *testing.T, p *Processor, env map[string]*pipeline.Envelope) {
			n := 0
			_ = p.table.Scan(keyLead, func(string, []byte) (bool, error) { n++; return true, nil })
			if n != 2 {
				t.Errorf("%d leads in the state, want the person and its site", n)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := openShared(t, newTestGlobal(t), 0, newMapState())
			env := map[string]*pipeline.Envelope{}
			ref := func(r string) string {
				kind, id, _ := strings.Cut(r, ":")
				e := env[id]
				if e == nil {
					t.Fatalf("no record %q before", id)
				}
				if kind == "site" {
					return e.Site.LeadID
				}
				return e.LeadID
			}
			for _, r := range c.recs {
				in := envelope(r.id, r.l)
				run(t, p, in)
				switch {
				case r.site == "" && in.Site != nil:
					t.Errorf("%s: site %+v, want none", r.id, in.Site)
				case r.site == "":
				case in.Site == nil:
					t.Fatalf("%s: no site", r.id)
				case r.site == "new":
					if _, known := seenLeads(env)[in.Site.LeadID]; known {
						t.Errorf("%s: site %s is an earlier record's lead, want a new site", r.id, in.Site.LeadID)
					}
				case in.Site.LeadID != ref(r.site):
					t.Errorf("%s: site %s, want %s (%s)", r.id, in.Site.LeadID, ref(r.site), r.site)
				}
				if r.org != "" && in.Site != nil {
					want := ""
					if r.org == "site:"+r.id {
						want = in.Site.LeadID
					} else {
						want = ref(r.org)
					}
					if in.Site.OrganisationID != want {
						t.Errorf("%s: organisation %s, want %s (%s)", r.id, in.Site.OrganisationID, want, r.org)
					}
				}
				if in.Site != nil && (in.Site.Company == "" || in.Site.Address == nil) {
					t.Errorf("%s: the envelope's site lacks the record's company or address: %+v", r.id, in.Site)
				}
				env[r.id] = in
			}
			if c.check != nil {
				c.check(t, p, env)
			}
		})
	}
}

// seenLeads is the set of leads and sites the records so far ended in.
func seenLeads(env map[string]*pipeline.Envelope) map[string]bool {
	out := map[string]bool{}
	for _, e := range env {
		out[e.LeadID] = true
		if e.Site != nil {
			out[e.Site.LeadID] = true
		}
	}
	return out
}

// A person record whose person lead another partition owns is routed
// there with the site the first partition decided; the owner keeps that
// site (it does not decide again), and the site belongs to the partition
// that made it.
func TestPersonSiteRouted(t *testing.T) {
	g := newTestGlobal(t)
	st0, st1 := newMapState(), newMapState()
	p0, p1 := openShared(t, g, 0, st0), openShared(t, g, 1, st1)
	ann := lead.Lead{FirstName: "Ann", LastName: "Lee", Email: "ann.lee@zorvik.co.uk", Company: "Zorvik Networks Ltd",
		Domain: "zorvik.co.uk", Street: "27 Kelly Street", City: "London", Postcode: "63200", Country: "GB"}
	first := envelope("a", ann)
	run(t, p0, first)
	other := ann
	other.Street, other.City, other.Postcode = "4 Quay Road", "Leeds", "11500"
	dup := envelope("b", other)
	run(t, p1, dup)
	if dup.Decision != DecisionRouted || dup.Site == nil {
		t.Fatalf("on partition 1: %s, site %+v; want routed with a site", dup.Decision, dup.Site)
	}
	site := *dup.Site
	if site.LeadID == first.Site.LeadID || site.OrganisationID != first.Site.OrganisationID {
		t.Fatalf("second site %+v, first %+v: want a new site of the same organisation", site, *first.Site)
	}
	if _, ok, _ := st1.Get(keyLead + site.LeadID); !ok {
		t.Error("the new site is not in partition 1's state")
	}
	run(t, p0, dup) // the owner merges it
	if dup.Decision != DecisionMerge || dup.Site == nil || dup.Site.LeadID != site.LeadID {
		t.Fatalf("at the owner: %s, site %+v; want merge at site %s", dup.Decision, dup.Site, site.LeadID)
	}
	if s := dup.Lead.Sites; len(s) != 2 || s[0].LeadID != first.Site.LeadID || s[1].LeadID != site.LeadID {
		t.Errorf("person lead's sites %+v", s)
	}
	if _, ok, _ := st0.Get(keyLead + site.LeadID); ok {
		t.Error("the owner made the site again")
	}
}

// Without the shared view (one partition on its own) a person record
// finds and makes sites in the partition's state the same way.
func TestPersonSiteWithoutView(t *testing.T) {
	p := open(t, newMapState(), "")
	defer p.Close()
	hq := lead.Lead{Company: "Zorvik Networks Ltd", Domain: "zorvik.co.uk", Street: "27 Kelly Street", City: "London", Postcode: "63200", Country: "GB"}
	org := process(t, p, "hq", hq)
	ann := hq
	ann.FirstName, ann.LastName = "Ann", "Lee"
	a := process(t, p, "ann", ann)
	if a.Site == nil || a.Site.LeadID != org.LeadID || a.Site.OrganisationID != org.LeadID {
		t.Fatalf("site %+v, want %s", a.Site, org.LeadID)
	}
}

// A site the view names for this partition but its state lost (a batch
// rolled back after the view had it) is filed again by the record that
// made it, under the same id, rather than named without a lead.
func TestPersonSiteLostWithRollback(t *testing.T) {
	st := newMapState()
	p := openShared(t, newTestGlobal(t), 0, st)
	ann := lead.Lead{FirstName: "Ann", LastName: "Lee", Company: "Zorvik Networks Ltd", Domain: "zorvik.co.uk",
		Street: "27 Kelly Street", City: "London", Postcode: "63200", Country: "GB"}
	first := envelope("a", ann)
	run(t, p, first)
	site := first.Site.LeadID
	// The batch is rolled back: its state changes go, the view keeps them.
	for k := range st.m {
		if strings.HasSuffix(k, site) || strings.HasPrefix(k, keySource) || strings.HasSuffix(k, first.LeadID) {
			st.Delete(k)
		}
	}
	p.reset()
	again := envelope("a", ann)
	run(t, p, again)
	if again.Site == nil || again.Site.LeadID != site || again.Site.OrganisationID != site {
		t.Fatalf("site %+v after the rollback, want %s again", again.Site, site)
	}
	if _, ok, _ := st.Get(keyLead + site); !ok {
		t.Error("the site was named but not filed again")
	}
}
