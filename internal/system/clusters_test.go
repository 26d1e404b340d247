package system

import (
	"testing"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// What a record is clustered by at each eval level (issue 12).
func TestClusterLabel(t *testing.T) {
	person := &pipeline.Envelope{LeadID: "ld_person", Lead: &lead.Lead{FirstName: "Ann"},
		Site: &lead.Site{LeadID: "ld_site", OrganisationID: "ld_org"}}
	noSite := &pipeline.Envelope{LeadID: "ld_person", Lead: &lead.Lead{FirstName: "Ann"}}
	org := &pipeline.Envelope{LeadID: "ld_site2", Lead: &lead.Lead{Company: "Acme", OrganisationID: "ld_org"}}
	cases := []struct {
		name, level string
		env         *pipeline.Envelope
		want        string
	}{
		{"person record, lead", LevelLead, person, "ld_person"},
		{"person record, site", LevelSite, person, "ld_site"},
		{"person record, organisation", LevelOrganisation, person, "ld_org"},
		{"person without a site, site", LevelSite, noSite, "ld_person"},
		{"person without a site, organisation", LevelOrganisation, noSite, "ld_person"},
		{"organisation record, lead", LevelLead, org, "ld_site2"},
		{"organisation record, site", LevelSite, org, "ld_site2"},
		{"organisation record, organisation", LevelOrganisation, org, "ld_org"},
	}
	for _, c := range cases {
		if got := clusterLabel(c.env, c.level); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
