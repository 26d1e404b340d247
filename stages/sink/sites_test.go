package sink

import (
	stdjson "encoding/json"
	"testing"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// An organisation record's Site is its own address; a person's is the
// head office's; the Site is named by city and street.
func TestSiteAddressAndName(t *testing.T) {
	for _, tc := range []struct {
		name     string
		l        *lead.Lead
		wantOK   bool
		wantName string
	}{
		{"organisation record", &lead.Lead{Company: "Contoso", Street: "9 Dock Road", City: "Manchester", Postcode: "M1 2BB"}, true, "Manchester, 9 Dock Road"},
		{"organisation without address", &lead.Lead{Company: "Contoso", Domain: "contoso.example"}, false, "Head Office"},
		{"organisation, head office only", &lead.Lead{Company: "Contoso", HQ: &lead.Address{City: "Leeds"}}, true, "Leeds"},
		{"person at a head office", &lead.Lead{FirstName: "Mia", Company: "Contoso", Street: "1 Quay Street", HQ: &lead.Address{Street: "9 Dock Road"}}, true, "Head Office"},
		{"person without head office", &lead.Lead{FirstName: "Mia", Company: "Contoso", Street: "1 Quay Street"}, false, "Head Office"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ok := siteAddress(tc.l)
			if ok != tc.wantOK {
				t.Errorf("siteAddress ok = %v, want %v", ok, tc.wantOK)
			}
			if got := siteName(tc.l); tc.l.IsOrganisation() && got != tc.wantName {
				t.Errorf("siteName = %q, want %q", got, tc.wantName)
			}
		})
	}
}

// The read-back after an unknown Site create claims the row at the lead's
// Client with its address (street and postcode, else street and city;
// case and punctuation ignored), by name without a street, never a row of
// another Client nor one claimed already.
func TestMatchSites(t *testing.T) {
	rows := []stdjson.RawMessage{
		stdjson.RawMessage(`{"id":2401,"client_id":7,"name":"Manchester, 9 Dock Road","delivery_address":{"line1":"9 Dock Road","line2":"Manchester","postcode":"M1 2BB"}}`),
		stdjson.RawMessage(`{"id":2402,"client_id":8,"name":"Bristol, 1 Quay Street","delivery_address":{"line1":"1 Quay Street","line2":"Bristol","postcode":"BS1 4DJ"}}`),
		stdjson.RawMessage(`{"id":2403,"client_id":7,"name":"Leeds"}`),
		stdjson.RawMessage(`{"id":2404,"client_id":7,"name":"Old","inactive":true,"delivery_address":{"line1":"1 Quay Street","line2":"Bristol"}}`),
	}
	at := func(client int, l *lead.Lead) *item {
		return &item{in: &pipeline.Envelope{Lead: l}, m: mapping{ClientID: client}}
	}
	todo := []*item{
		at(7, &lead.Lead{Company: "Contoso", Street: "9, DOCK ROAD", City: "Manchester", Postcode: "m1 2bb"}),
		at(7, &lead.Lead{Company: "Contoso", Street: "1 Quay Street", City: "Bristol"}), // only at client 8, and inactive at 7
		at(7, &lead.Lead{Company: "Contoso", City: "Leeds"}),
		at(7, &lead.Lead{Company: "Contoso", Street: "9 Dock Road", City: "Manchester"}), // 2401 is taken
	}
	got := matchSites(todo)(rows, []int{0, 1, 2, 3})
	want := map[int]stdjson.RawMessage{0: rows[0], 2: rows[2]}
	if len(got) != len(want) {
		t.Fatalf("claimed %d rows, want %d: %v", len(got), len(want), got)
	}
	for i, r := range want {
		if string(got[i]) != string(r) {
			t.Errorf("element %d claimed %s, want %s", i, got[i], r)
		}
	}
}

// An organisation lead's Ticket has no User: the read-back claims it by
// its Site; a person's by its User.
func TestMatchTicketsBySiteWithoutUser(t *testing.T) {
	rows := []stdjson.RawMessage{
		stdjson.RawMessage(`{"id":45001,"user_id":8801,"site_id":2401}`),
		stdjson.RawMessage(`{"id":45002,"site_id":2401}`),
	}
	todo := []*item{{m: mapping{UserID: 8801, SiteID: 2401}}, {m: mapping{SiteID: 2401}}, {m: mapping{SiteID: 2402}}}
	got := matchTickets(todo)(rows, []int{0, 1, 2})
	if string(got[0]) != string(rows[0]) || string(got[1]) != string(rows[1]) || got[2] != nil {
		t.Errorf("claimed %v", got)
	}
}

// A Site leadstream made is found again by the address it was made with.
func TestTenantIndexAddSite(t *testing.T) {
	var ti tenantIndex
	ti.addSite(2405, 7, lead.Address{Street: "9 Dock Road", City: "Manchester", Postcode: "M1 2BB"}, "Manchester, 9 Dock Road")
	ti.addSite(2406, 7, lead.Address{City: "Leeds"}, "Leeds")
	if got, _ := ti.orgSite(7, &lead.Lead{Company: "Contoso", City: "leeds"}); got != 2406 {
		t.Errorf("organisation lead without a street: site %d, want 2406 by name", got)
	}
	if got, _ := ti.site(7, &lead.Lead{FirstName: "Mia", City: "Leeds"}); got != 0 {
		t.Errorf("a person found site %d by a name", got)
	}
	for _, tc := range []struct {
		name string
		l    *lead.Lead
		want int
	}{
		{"same street and postcode", &lead.Lead{FirstName: "Mia", Street: "9 dock road", Postcode: "m1 2bb"}, 2405},
		{"same street and city", &lead.Lead{FirstName: "Mia", Street: "9 Dock Road.", City: "MANCHESTER"}, 2405},
		{"head office there", &lead.Lead{FirstName: "Mia", HQ: &lead.Address{Street: "9 Dock Road", Postcode: "M1 2BB"}}, 2405},
		{"another street", &lead.Lead{FirstName: "Mia", Street: "1 Quay Street", City: "Manchester"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := ti.site(7, tc.l); got != tc.want {
				t.Errorf("site = %d, want %d", got, tc.want)
			}
			if got, _ := ti.site(8, tc.l); got != 0 {
				t.Errorf("found at another Client: %d", got)
			}
		})
	}
}

// Sites of one organisation in a batch share the organisation key with
// the domain; sites at two domains keep theirs, and persons are left
// alone.
func TestSameOrganisation(t *testing.T) {
	site := func(org, key string) *item {
		return &item{in: &pipeline.Envelope{Lead: &lead.Lead{Company: "Contoso", OrganisationID: org}}, org: key}
	}
	person := &item{in: &pipeline.Envelope{Lead: &lead.Lead{FirstName: "Mia", Company: "Contoso", OrganisationID: "ld_1"}}, org: "c:contoso"}
	for _, tc := range []struct {
		name  string
		items []*item
		want  []string
	}{
		{"domain and no domain", []*item{site("ld_1", "c:contoso"), site("ld_1", "d:contoso.example"), site("ld_1", "c:contosoltd")},
			[]string{"d:contoso.example", "d:contoso.example", "d:contoso.example"}},
		{"no domain at all", []*item{site("ld_1", "c:contoso"), site("ld_1", "c:contosoltd")}, []string{"c:contoso", "c:contoso"}},
		{"two domains", []*item{site("ld_1", "d:contoso.example"), site("ld_1", "d:contoso.test")}, []string{"d:contoso.example", "d:contoso.test"}},
		{"other organisations", []*item{site("ld_1", "c:contoso"), site("ld_2", "d:contoso.example")}, []string{"c:contoso", "d:contoso.example"}},
		{"persons are not sites", []*item{person, site("ld_1", "d:contoso.example")}, []string{"c:contoso", "d:contoso.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sameOrganisation(tc.items)
			for i, it := range tc.items {
				if it.org != tc.want[i] {
					t.Errorf("item %d: %s, want %s", i, it.org, tc.want[i])
				}
			}
		})
	}
}
