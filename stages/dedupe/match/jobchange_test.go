package match

import "testing"

// TestOtherOrganisationIsANewLead: the same name and mailbox name at two
// organisations' own domains is a namesake or a job change (spec §4.1: a
// new lead at the new company), while a mistyped domain still matches.
func TestOtherOrganisationIsANewLead(t *testing.T) {
	base := Record{FirstName: "Hiro", LastName: "McDonald", Email: "hiro.mcdonald@proseware.com",
		Company: "proseware", Domain: "proseware.com", City: "Austin", Country: "US"}
	tests := []struct {
		name string
		in   Record
		want Outcome
	}{
		{"job change", Record{FirstName: "Hiro", LastName: "McDonald", Email: "hiro.mcdonald@fabrikam.de",
			Company: "fabrikam", Domain: "fabrikam.de", City: "Berlin", Country: "DE"}, New},
		{"mistyped domain", Record{FirstName: "Hiro", LastName: "McDonald", Email: "hiro.mcdonald@prosewre.com",
			Company: "proseware", Domain: "proseware.com", City: "Austin", Country: "US"}, AutoMerge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(tt.in, []Candidate{{LeadID: "ld_1", Record: base}}, DefaultConfig())
			if d.Outcome != tt.want {
				t.Errorf("outcome %v, want %v (%+v)", d.Outcome, tt.want, d.Matches)
			}
		})
	}
}
