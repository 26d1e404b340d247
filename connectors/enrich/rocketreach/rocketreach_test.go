package rocketreach

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	emu "github.com/leadstream/leadstream/connectors/pull/emulators/rocketreach"
)

var jane = emukit.Person{ID: "100000", First: "Jane", Last: "Doe", Email: "jane@example.com", Phone: "+14155550100",
	Mobile: "+14155550199", Company: "Example Co", Domain: "example.com", LinkedIn: "https://www.linkedin.com/in/janedoe"}

func client(e *emu.Emulator, key string) *Client {
	return New(Config{ClientConfig: enrich.ClientConfig{BaseURL: e.BaseURL(), APIKey: key, PerSecond: 1000}, PollEvery: time.Millisecond})
}

func TestLookupPollsUntilComplete(t *testing.T) {
	tests := []struct {
		name   string
		person enrich.Person
	}{
		{"by e-mail", enrich.Person{Ref: "a", Email: "jane@example.com"}},
		{"by linkedin", enrich.Person{Ref: "a", LinkedIn: jane.LinkedIn}},
		{"by name and employer", enrich.Person{Ref: "a", FirstName: "Jane", LastName: "Doe", Company: "Example Co"}},
		{"by name and domain", enrich.Person{Ref: "a", FirstName: "Jane", LastName: "Doe", Domain: "example.com"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := emu.New(emukit.Config{Key: "k", People: []emukit.Person{jane}, PendingPolls: 3})
			defer e.Close()
			res, err := client(e, "k").Enrich(context.Background(), []enrich.Person{tc.person}, []enrich.Attribute{enrich.Email})
			if err != nil {
				t.Fatal(err)
			}
			r := res[0]
			if !r.Found || r.Ref != "a" || r.Email != jane.Email || r.EmailStatus != "valid" || r.Confidence != 90 ||
				r.Phone != jane.Phone || r.Mobile != jane.Mobile || r.LinkedIn != jane.LinkedIn {
				t.Errorf("result %+v", r)
			}
			if got := e.Kit.Count(emu.StatusPath); got != 3 {
				t.Errorf("checkStatus polls %d, want 3", got)
			}
			if e.Kit.Spent() != 1 {
				t.Errorf("spent %g, want 1", e.Kit.Spent())
			}
		})
	}
}

func TestNotFoundThrottledAndOutOfCredits(t *testing.T) {
	e := emu.New(emukit.Config{Key: "k", People: []emukit.Person{jane}, Credits: 1, Faults: map[int]emukit.FaultKind{1: emukit.FaultRateLimit}})
	defer e.Close()
	cl := client(e, "k")
	cl.c.MaxWait = time.Millisecond // the emulator's Retry-After is 1 s
	ctx := context.Background()
	res, err := cl.Enrich(ctx, []enrich.Person{{Email: "nobody@example.com"}, {Email: jane.Email}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Found || !res[1].Found {
		t.Errorf("results %+v", res)
	}
	if e.Kit.Throttled() != 1 {
		t.Errorf("throttled %d, want 1", e.Kit.Throttled())
	}
	_, err = cl.Enrich(ctx, []enrich.Person{{Email: jane.Email}}, nil)
	if !errors.Is(err, enrich.ErrQuota) {
		t.Errorf("out of credits: err = %v, want ErrQuota", err)
	}
	if _, err := client(e, "wrong").Enrich(ctx, []enrich.Person{{Email: jane.Email}}, nil); err == nil || errors.Is(err, enrich.ErrQuota) {
		t.Errorf("bad key: err = %v, want an auth error", err)
	}
}
