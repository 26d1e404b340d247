package zoominfo

import (
	"context"
	"testing"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	emu "github.com/leadstream/leadstream/connectors/pull/emulators/zoominfo"
)

func TestContactEnrich(t *testing.T) {
	e := emu.New(emukit.Config{Key: "secret", People: []emukit.Person{
		{ID: "100000", First: "Jane", Last: "Doe", Email: "jane@example.com", Phone: "+14155550100", Mobile: "+14155550199", Company: "Example Co", Domain: "example.com"}}})
	defer e.Close()
	cl := New(Config{ClientConfig: enrich.ClientConfig{BaseURL: e.URL, APIKey: "secret", PerSecond: 1000}, ClientID: emu.ClientID})
	people := []enrich.Person{{FirstName: "Jane", LastName: "Doe", Company: "Example Co"}, {FirstName: "No", LastName: "Body", Company: "Example Co"}}
	res, err := cl.Enrich(context.Background(), people, []enrich.Attribute{enrich.Email})
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if !r.Found || r.Email != "jane@example.com" || r.Mobile != "+14155550199" || r.Confidence != 95 || r.Company.RevenueMin < 1_000_000 || r.Company.Industry == "" {
		t.Errorf("jane = %+v", r)
	}
	if res[1].Found {
		t.Errorf("an unknown person matched: %+v", res[1])
	}
	// A revoked token is replaced once; re-enriching a record is free.
	e.RevokeAll()
	if _, err := cl.Enrich(context.Background(), people[:1], nil); err != nil {
		t.Fatal(err)
	}
	if e.Issued() != 2 || e.Kit.Spent() != 1 {
		t.Errorf("tokens issued %d (want 2), credits %g (want 1)", e.Issued(), e.Kit.Spent())
	}
}

func TestIntentComesWithCompanyFacts(t *testing.T) {
	e := emu.New(emukit.Config{Key: "secret", People: []emukit.Person{
		{ID: "100000", First: "Jane", Last: "Doe", Email: "jane@example.com", Company: "Example Co", Domain: "example.com"},
		{ID: "100001", First: "John", Last: "Roe", Email: "john@example.com", Company: "Example Co", Domain: "example.com"}}})
	defer e.Close()
	cl := New(Config{ClientConfig: enrich.ClientConfig{BaseURL: e.URL, APIKey: "secret", PerSecond: 1000}, ClientID: emu.ClientID})
	people := []enrich.Person{{Email: "jane@example.com"}, {Email: "nobody@example.com"}, {Email: "john@example.com"}}
	res, err := cl.Enrich(context.Background(), people, []enrich.Attribute{enrich.Company})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := e.Kit.Company("example.com")
	for _, i := range []int{0, 2} {
		in := res[i].Company.Intent
		if in == nil || in.Strength != want.IntentStrength || len(in.Topics) != len(want.IntentTopics) || in.LastActivity == "" {
			t.Errorf("person %d intent %+v, want %s %v", i, in, want.IntentStrength, want.IntentTopics)
		}
	}
	if res[1].Company.Intent != nil {
		t.Errorf("an unmatched person has intent %+v", res[1].Company.Intent)
	}
	if n := e.Kit.Count(emu.IntentPath); n != 1 {
		t.Errorf("intent requests %d, want 1 for the batch's one company", n)
	}
	// Without company facts wanted, no intent call.
	if _, err := cl.Enrich(context.Background(), people[:1], []enrich.Attribute{enrich.Email}); err != nil || e.Kit.Count(emu.IntentPath) != 1 {
		t.Errorf("err %v, intent requests %d", err, e.Kit.Count(emu.IntentPath))
	}
}

func TestEnrichCompanyWithIntent(t *testing.T) {
	e := emu.New(emukit.Config{Key: "secret", People: []emukit.Person{{ID: "100000", First: "Jane", Last: "Doe", Company: "Example Co", Domain: "example.com"}}})
	defer e.Close()
	cl := New(Config{ClientConfig: enrich.ClientConfig{BaseURL: e.URL, APIKey: "secret", PerSecond: 1000}, ClientID: emu.ClientID})
	want, _ := e.Kit.Company("example.com")
	for range 2 { // a company is charged once
		f, credits, found, err := cl.EnrichCompany(context.Background(), "example.com")
		if err != nil || !found || credits != 1 {
			t.Fatalf("found %v credits %g err %v", found, credits, err)
		}
		if f.Industry != want.Industry || f.RevenueMin != want.Revenue || f.EmployeesMin != int64(want.Employees) || f.FoundedYear != want.FoundedYear ||
			f.LinkedIn != want.LinkedIn || f.Intent == nil || len(f.Intent.Topics) != len(want.IntentTopics) {
			t.Errorf("facts %+v (intent %+v), want %+v", f, f.Intent, want)
		}
	}
	if e.Kit.Spent() != 1 {
		t.Errorf("spent %g, want 1", e.Kit.Spent())
	}
	if _, _, found, err := cl.EnrichCompany(context.Background(), "unknown.test"); err != nil || found {
		t.Errorf("unknown: found %v err %v", found, err)
	}
}
