package lead411

import (
	"context"
	"errors"
	"testing"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	emu "github.com/leadstream/leadstream/connectors/pull/emulators/lead411"
)

var jane = emukit.Person{ID: "100000", First: "Jane", Last: "Doe", Email: "jane@example.com", Company: "Example Co",
	Domain: "example.com", LinkedIn: "https://www.linkedin.com/in/janedoe"}

func client(e *emu.Emulator, pw string) *Client {
	return New(Config{ClientConfig: enrich.ClientConfig{BaseURL: e.BaseURL(), APIKey: pw, PerSecond: 1000}, Email: emu.Email})
}

func TestSearchThenUnlock(t *testing.T) {
	tests := []struct {
		name   string
		person enrich.Person
		found  bool
	}{
		{"by name and domain", enrich.Person{Ref: "r", FirstName: "Jane", LastName: "Doe", Domain: "example.com"}, true},
		{"by name and company", enrich.Person{Ref: "r", FirstName: "Jane", LastName: "Doe", Company: "Example Co"}, true},
		{"by e-mail", enrich.Person{Ref: "r", Email: "jane@example.com"}, true},
		{"unknown", enrich.Person{Ref: "r", FirstName: "No", LastName: "Body", Domain: "example.com"}, false},
		{"no identity", enrich.Person{Ref: "r", FirstName: "Jane"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := emu.New(emukit.Config{Key: "pw", People: []emukit.Person{jane}})
			defer e.Close()
			res, err := client(e, "pw").Enrich(context.Background(), []enrich.Person{tc.person}, []enrich.Attribute{enrich.Email})
			if err != nil {
				t.Fatal(err)
			}
			r := res[0]
			if r.Found != tc.found || r.Ref != "r" {
				t.Fatalf("result %+v, want found %v", r, tc.found)
			}
			want := 0.0
			if tc.found {
				want = 1
				if r.Email != jane.Email || r.LinkedIn != jane.LinkedIn || r.ProviderID != jane.ID {
					t.Errorf("result %+v", r)
				}
			}
			if e.Kit.Spent() != want {
				t.Errorf("spent %g, want %g", e.Kit.Spent(), want)
			}
		})
	}
}

func TestExpiredTokenAndCredits(t *testing.T) {
	e := emu.New(emukit.Config{Key: "pw", People: []emukit.Person{jane}, Credits: 1})
	defer e.Close()
	cl := client(e, "pw")
	ctx := context.Background()
	if _, err := cl.Enrich(ctx, []enrich.Person{{Email: jane.Email}}, nil); err != nil {
		t.Fatal(err)
	}
	e.ExpireTokens()
	_, err := cl.Enrich(ctx, []enrich.Person{{Email: jane.Email}}, nil)
	if !errors.Is(err, enrich.ErrQuota) {
		t.Errorf("out of credits: err = %v, want ErrQuota", err)
	}
	if e.Kit.Count(emu.AuthPath) != 2 {
		t.Errorf("logins %d, want 2 (one after the tokens expired)", e.Kit.Count(emu.AuthPath))
	}
	if _, err := client(e, "wrong").Enrich(ctx, []enrich.Person{{Email: jane.Email}}, nil); err == nil {
		t.Error("a wrong password enriched")
	}
}
