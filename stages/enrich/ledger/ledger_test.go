package ledger

import (
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/internal/lead"
)

type mapTable map[string][]byte

func (m mapTable) Get(k string) ([]byte, bool, error) { v, ok := m[k]; return v, ok, nil }
func (m mapTable) Put(k string, v []byte)             { m[k] = v }

func ptr(v float64) *float64 { return &v }

func TestBudgetAndLedger(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	lg := &Ledger{T: mapTable{}, TTL: 24 * time.Hour}
	ok, _ := lg.Allows("hunter", 1, ptr(2), ptr(10), now)
	if !ok {
		t.Fatal("an empty ledger refuses a credit under a budget of 2")
	}
	if ok, _ := lg.Allows("hunter", 1, ptr(0), nil, now); ok {
		t.Error("a day budget of 0 allows a call")
	}
	if err := lg.Begin("hunter", "p1", 9, now); err != nil {
		t.Fatal(err)
	}
	if e, ok, _ := lg.Entry("hunter", "p1", now); !ok || e.State != Open {
		t.Fatalf("entry after Begin = %+v, %v", e, ok)
	}
	if ok, _ := lg.Allows("hunter", 2, ptr(10), nil, now); ok {
		t.Error("the reservation of 9 is not counted against a day budget of 10")
	}
	if err := lg.Finish("hunter", "p1", 1, now); err != nil {
		t.Fatal(err)
	}
	day, month, _ := lg.Spent("hunter", now)
	if day != 1 || month != 1 {
		t.Errorf("spent after Finish = %g/%g, want the actual 1 credit", day, month)
	}
	if d, _, _ := lg.Spent("hunter", now.Add(24*time.Hour)); d != 0 {
		t.Errorf("the next day starts with %g spent", d)
	}
	if _, m, _ := lg.Spent("hunter", now.Add(24*time.Hour)); m != 1 {
		t.Errorf("the month's spend is %g on the next day, want 1", m)
	}
}

func TestCacheTTL(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	lg := &Ledger{T: mapTable{}, TTL: time.Hour}
	lg.PutPerson("apollo", "k", Answer{At: now, Result: enrich.Result{Found: true, Email: "a@x.com"}})
	if a, ok, _ := lg.Person("apollo", "k", now.Add(30*time.Minute)); !ok || a.Result.Email != "a@x.com" {
		t.Errorf("fresh answer not found: %+v %v", a, ok)
	}
	if _, ok, _ := lg.Person("apollo", "k", now.Add(2*time.Hour)); ok {
		t.Error("an answer past its TTL is still served")
	}
}

func TestPersonKey(t *testing.T) {
	a := &lead.Lead{FirstName: "Jane", LastName: "Doe", Domain: "example.com"}
	b := &lead.Lead{FirstName: " jane ", LastName: "DOE", Domain: "Example.com", Email: "x@y.com"}
	if PersonKey(a) != PersonKey(b) || PersonKey(a) == "" {
		t.Error("one person, two keys")
	}
	if PersonKey(&lead.Lead{FirstName: "Jane"}) != "" {
		t.Error("a first name alone makes a key")
	}
	if k := PersonKeys("lead-1", a); len(k) != 2 || k[0] != LeadKey("lead-1") {
		t.Errorf("PersonKeys = %v", k)
	}
}
