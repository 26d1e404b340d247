package hunter

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	emu "github.com/leadstream/leadstream/connectors/pull/emulators/hunter"
)

var people = []emukit.Person{{ID: "100000", First: "Jane", Last: "Doe", Email: "Jane@Example.com", Company: "Example Co", Domain: "example.com"}}

func TestEmailFinder(t *testing.T) {
	tests := []struct {
		name    string
		cfg     emukit.Config
		p       enrich.Person
		found   bool
		spent   float64
		wantErr error
	}{
		{"found", emukit.Config{Key: "k", People: people}, enrich.Person{FirstName: "jane", LastName: "doe", Domain: "example.com"}, true, 1, nil},
		{"403 is the rate limit, retried", emukit.Config{Key: "k", People: people, Faults: map[int]emukit.FaultKind{1: emukit.FaultRateLimit}}, enrich.Person{FirstName: "Jane", LastName: "Doe", Domain: "example.com"}, true, 1, nil},
		{"a miss is free", emukit.Config{Key: "k", People: people}, enrich.Person{FirstName: "No", LastName: "Body", Domain: "example.com"}, false, 0, nil},
		{"429 usage_limit is a stop", emukit.Config{Key: "k", People: people, Credits: 0.5}, enrich.Person{FirstName: "Jane", LastName: "Doe", Domain: "example.com"}, false, 0, enrich.ErrQuota},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := emu.New(tc.cfg)
			defer e.Close()
			cl := New(enrich.ClientConfig{BaseURL: e.BaseURL(), APIKey: "k", PerSecond: 1000})
			cl.c.Backoff, cl.c.MaxWait = time.Millisecond, time.Millisecond
			res, err := cl.Enrich(context.Background(), []enrich.Person{tc.p}, []enrich.Attribute{enrich.Email})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res[0].Found != tc.found || e.Kit.Spent() != tc.spent {
				t.Errorf("result %+v, spent %g; want found %v, spent %g", res[0], e.Kit.Spent(), tc.found, tc.spent)
			}
			if tc.found && (res[0].Email != "jane@example.com" || res[0].EmailStatus != "valid" || res[0].Confidence == 0) {
				t.Errorf("result %+v", res[0])
			}
		})
	}
}

func TestEmailVerifier(t *testing.T) {
	tests := []struct {
		name       string
		cfg        emukit.Config
		addr       string
		status     string
		confidence int
		spent      float64
		wantErr    error
	}{
		{"valid", emukit.Config{Key: "k", People: people}, "jane@example.com", "valid", 94, 1, nil},
		{"invalid is an answer, and costs", emukit.Config{Key: "k", People: people}, "nobody@example.com", "invalid", 0, 1, nil},
		{"403 is the rate limit, retried", emukit.Config{Key: "k", People: people, Faults: map[int]emukit.FaultKind{1: emukit.FaultRateLimit}}, "jane@example.com", "valid", 94, 1, nil},
		{"202 is polled again", emukit.Config{Key: "k", People: people, PendingPolls: 2}, "jane@example.com", "valid", 94, 1, nil},
		{"429 usage_limit is a stop", emukit.Config{Key: "k", People: people, Credits: 0.5}, "jane@example.com", "", 0, 0, enrich.ErrQuota},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := emu.New(tc.cfg)
			defer e.Close()
			cl := New(enrich.ClientConfig{BaseURL: e.BaseURL(), APIKey: "k", PerSecond: 1000})
			cl.c.Backoff, cl.c.MaxWait = time.Millisecond, time.Millisecond
			p := enrich.Person{Ref: "r", FirstName: "Jane", LastName: "Doe", Domain: "example.com", Email: tc.addr, VerifyEmail: tc.addr}
			res, err := cl.Enrich(context.Background(), []enrich.Person{p}, []enrich.Attribute{enrich.Email})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := res[0]
			if !r.Found || !r.Verification || r.Email != tc.addr || r.EmailStatus != tc.status || r.Confidence != tc.confidence || r.Credits != 1 || r.Ref != "r" {
				t.Errorf("result %+v", r)
			}
			if e.Kit.Spent() != tc.spent || e.Kit.Count(emu.FinderPath) != 0 {
				t.Errorf("spent %g, finder calls %d; want spent %g and no finder call", e.Kit.Spent(), e.Kit.Count(emu.FinderPath), tc.spent)
			}
		})
	}
}
