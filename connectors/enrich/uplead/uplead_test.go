package uplead

import (
	"context"
	"testing"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	emu "github.com/leadstream/leadstream/connectors/pull/emulators/uplead"
)

func TestPersonAndCompany(t *testing.T) {
	e := emu.New(emukit.Config{Key: "k", People: []emukit.Person{
		{ID: "100000", First: "Jane", Last: "Doe", Email: "jane@example.com", Phone: "+14155550100", Domain: "example.com", Company: "Example Co"}}})
	defer e.Close()
	cl := New(enrich.ClientConfig{BaseURL: e.BaseURL(), APIKey: "k", PerSecond: 1000})
	for range 2 { // UpLead never charges one record twice
		res, err := cl.Enrich(context.Background(), []enrich.Person{{FirstName: "Jane", LastName: "Doe", Domain: "example.com"}}, []enrich.Attribute{enrich.Email})
		if err != nil {
			t.Fatal(err)
		}
		if !res[0].Found || res[0].Email != "jane@example.com" || res[0].Phone != "+14155550100" || res[0].Confidence != 90 {
			t.Errorf("result %+v", res[0])
		}
	}
	if e.Kit.Spent() != 1 {
		t.Errorf("spent %g, want 1", e.Kit.Spent())
	}
	f, _, found, err := cl.EnrichCompany(context.Background(), "example.com")
	if err != nil || !found || f.EmployeesMin == 0 || f.RevenueMin == 0 || f.Industry == "" {
		t.Errorf("company %+v, %v, %v", f, found, err)
	}
}
