package sink

import (
	"reflect"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/internal/lead"
)

func TestFillEmpty(t *testing.T) {
	owned := func(k string) bool { return k == "title" }
	tests := []struct {
		name    string
		desired map[string]any
		last    map[string]string
		want    map[string]any
	}{
		{"new value for an empty field", map[string]any{"phonenumber": "+4930123"}, map[string]string{}, map[string]any{"phonenumber": "+4930123"}},
		{"never overwrites a written value", map[string]any{"surname": "Smyth"}, map[string]string{"surname": "Smith"}, map[string]any{}},
		{"person-owned stays", map[string]any{"title": "CTO"}, map[string]string{}, map[string]any{}},
		{"ids and empties ignored", map[string]any{"client_id": 4, "name": ""}, map[string]string{}, map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fillEmpty(tt.desired, tt.last, owned); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("fillEmpty = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOrgKey(t *testing.T) {
	tests := []struct {
		l    lead.Lead
		want string
	}{
		{lead.Lead{Domain: "acme.example", Company: "Acme"}, "d:acme.example"},
		{lead.Lead{Email: "jane@acme.co.uk"}, "d:acme.co.uk"},
		{lead.Lead{Company: "Contoso Ltd"}, "c:contoso"},
		{lead.Lead{Email: "jane@gmail.com"}, fallbackOrg},
	}
	for _, tt := range tests {
		if got := orgKey(&tt.l); got != tt.want {
			t.Errorf("orgKey(%+v) = %q, want %q", tt.l, got, tt.want)
		}
	}
}

func TestRecordBodies(t *testing.T) {
	fs := &fieldSet{byKey: map[string]fieldDef{
		"CF_101": {id: 101, options: map[string]int{"apollo.io": 1001}},
		"CF_109": {id: 109, options: map[string]int{"director": 10904}},
		"CF_113": {id: 113},
	}, byID: map[int]string{101: "CF_101", 109: "CF_109", 113: "CF_113"}}
	p := &processor{stage: New(Options{Now: func() time.Time { return time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC) }}), fields: fs}
	l := &lead.Lead{FirstName: "Jane", LastName: "Doe", FullName: "Jane Doe", Email: "jane@acme.example", Title: "Director of IT",
		Company: "Acme Ltd", Domain: "acme.example", HQ: &lead.Address{Street: "1 Main St", City: "Springfield", Country: "US"},
		CustomFields: &lead.CustomFields{LeadSource: "Apollo.io", ManagementLevel: "Director", LocationHQ: "1 Main St, Springfield, United States", EmployeeRange: "51-200"}}

	u := p.userBody(l, mapping{ClientID: 39, SiteID: 57})
	if u["title"] != "Director of IT" || u["jobtitle"] != nil || u["client_id"] != 39 || u["site_id"] != 57 || u["name"] != "Jane Doe" {
		t.Errorf("userBody = %v", u)
	}
	c := p.clientBody("Acme Ltd", l, false)
	if c["website"] != "https://acme.example" || c["newclient_sitename"] != "Head Office" || c["notes"] != "Created by leadstream from Apollo.io on 2026-01-15" {
		t.Errorf("clientBody = %v", c)
	}
	cfs := fs.values(p.ticketCFs(l))
	want := []halopsa.CustomField{{ID: 101, Value: 1001}, {ID: 109, Value: 10904}, {ID: 113, Value: "1 Main St, Springfield, United States"}}
	if !reflect.DeepEqual(cfs, want) {
		t.Errorf("custom fields = %+v, want %+v (CF_108 has no field in this tenant, so it is not written)", cfs, want)
	}
	if got := cfValues(cfs, fs); got["CF_109"] != "10904" || len(got) != 3 {
		t.Errorf("cfValues = %v", got)
	}
}

// CF_101 is set for every lead: the provider's name, else the label of
// canonical files; a User's phone is the direct number only, never the
// company's main number.
func TestLeadSourceAndDirectPhone(t *testing.T) {
	fs := defaultFieldSet()
	for _, tc := range []struct {
		name       string
		opts       Options
		l          *lead.Lead
		wantSource string
		wantPhone  string
	}{
		{"provider", Options{}, &lead.Lead{CustomFields: &lead.CustomFields{LeadSource: "ZoomInfo"},
			Phones: []lead.Phone{{E164: "+4420700000", Kind: lead.PhoneDirect, Valid: true}}}, "ZoomInfo", "+4420700000"},
		{"canonical file, default label", Options{}, &lead.Lead{FirstSource: "csv", Phone: "+4420711111",
			Phones: []lead.Phone{{E164: "+4420711111", Kind: lead.PhoneCompany, Valid: true}}}, "Import", ""},
		{"canonical file, own label", Options{ImportSourceLabel: "Trade show 2026"}, &lead.Lead{FirstSource: "csv",
			CustomFields: &lead.CustomFields{EmployeeRange: "1-10"}}, "Trade show 2026", ""},
		{"number of unknown kind", Options{}, &lead.Lead{FirstSource: "csv", Phone: "+12125550100",
			Phones: []lead.Phone{{E164: "+12125550100", Kind: lead.PhoneOther, Valid: true}}}, "Import", "+12125550100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &processor{stage: New(tc.opts), fields: fs}
			got := cfValues(fs.values(p.ticketCFs(tc.l)), fs)["CF_101"]
			if got != tc.wantSource {
				t.Errorf("CF_101 = %q, want %q", got, tc.wantSource)
			}
			if ph, _ := p.userBody(tc.l, mapping{})["phonenumber"].(string); ph != tc.wantPhone {
				t.Errorf("phonenumber = %q, want %q", ph, tc.wantPhone)
			}
		})
	}
}
