package lusha

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	emu "github.com/leadstream/leadstream/connectors/pull/emulators/lusha"
)

func TestBulkPerson(t *testing.T) {
	e := emu.New(emukit.Config{Key: "k", People: []emukit.Person{
		{ID: "100000", First: "Jane", Last: "Doe", Email: "jane@example.com", Phone: "+14155550100", Mobile: "+14155550199", Domain: "example.com", Company: "Example Co"}}})
	defer e.Close()
	cl := New(enrich.ClientConfig{BaseURL: e.URL, APIKey: "k", PerSecond: 1000})
	res, err := cl.Enrich(context.Background(), []enrich.Person{
		{Ref: "a", FirstName: "Jane", LastName: "Doe", Domain: "example.com"},
		{Ref: "b", FirstName: "No", LastName: "Body", Domain: "example.com"},
	}, []enrich.Attribute{enrich.Email, enrich.Phone})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Found || res[0].Email != "jane@example.com" || res[0].Phone != "+14155550100" || res[0].Mobile != "+14155550199" || res[0].Credits != 1 {
		t.Errorf("jane = %+v", res[0])
	}
	if res[1].Found || e.Kit.Spent() != 1 {
		t.Errorf("unknown person %+v; spent %g, want 1", res[1], e.Kit.Spent())
	}
}

// TestSingleSpelling: the single-person example writes e-mails as
// {address, type}; both spellings are read.
func TestSingleSpelling(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"contacts":{"0":{"error":null,"isCreditCharged":true,"data":{"emailAddresses":[{"address":"jane@example.com","type":"work","emailConfidence":"B"}],"phoneNumbers":[{"number":"+14155550100","phoneType":"Direct","doNotCall":true}]}}}}`))
	}))
	defer srv.Close()
	cl := New(enrich.ClientConfig{BaseURL: srv.URL, APIKey: "k"})
	res, err := cl.Enrich(context.Background(), []enrich.Person{{FirstName: "Jane", LastName: "Doe"}}, []enrich.Attribute{enrich.Email})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Email != "jane@example.com" || res[0].EmailStatus != "unverified" || res[0].Phone != "" {
		t.Errorf("result %+v: want the address, grade B unverified, and no do-not-call number", res[0])
	}
}
