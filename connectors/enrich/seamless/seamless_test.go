package seamless

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	emu "github.com/leadstream/leadstream/connectors/pull/emulators/seamless"
)

var jane = emukit.Person{ID: "100000", First: "Jane", Last: "Doe", Email: "jane@example.com", Phone: "+14155550100",
	Mobile: "+14155550199", Company: "Example Co", Domain: "example.com", LinkedIn: "https://www.linkedin.com/in/janedoe"}

func client(e *emu.Emulator) *Client {
	return New(Config{ClientConfig: enrich.ClientConfig{BaseURL: e.BaseURL(), APIKey: "k", PerSecond: 1000}, PollEvery: time.Millisecond})
}

func TestResearchAndPoll(t *testing.T) {
	e := emu.New(emukit.Config{Key: "k", People: []emukit.Person{jane}, PendingPolls: 2})
	defer e.Close()
	people := []enrich.Person{
		{Ref: "by-name", FirstName: "Jane", LastName: "Doe", Domain: "example.com"},
		{Ref: "nobody", FirstName: "No", LastName: "Body", Domain: "example.com"},
		{Ref: "no-identity", FirstName: "Jane"},
		{Ref: "by-email", Email: "jane@example.com"},
	}
	res, err := client(e).Enrich(context.Background(), people, []enrich.Attribute{enrich.Email})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 3} {
		r := res[i]
		if !r.Found || r.Ref != people[i].Ref || r.Email != jane.Email || r.EmailStatus != "valid" || r.Confidence != 97 ||
			r.Mobile != jane.Mobile || r.Phone != jane.Phone || r.Company.Industry == "" || r.Company.RevenueMin == 0 || r.Company.FoundedYear == 0 {
			t.Errorf("%s: %+v", people[i].Ref, r)
		}
	}
	if res[1].Found || res[2].Found || res[2].Ref != "no-identity" {
		t.Errorf("not found: %+v, %+v", res[1], res[2])
	}
	// One research request for the batch; each request polled until done.
	if e.Kit.Count(emu.ResearchPath) != 1 || e.Kit.Count(emu.PollPath) != 3 {
		t.Errorf("research %d polls %d; want 1, 3", e.Kit.Count(emu.ResearchPath), e.Kit.Count(emu.PollPath))
	}
	if e.Kit.Spent() != 2 || e.Kit.PaidItems() != 1 {
		t.Errorf("spent %g on %d people; want 2 on 1", e.Kit.Spent(), e.Kit.PaidItems())
	}
}

func TestInsufficientCreditsIsQuota(t *testing.T) {
	e := emu.New(emukit.Config{Key: "k", People: []emukit.Person{jane}, Credits: 0.5})
	defer e.Close()
	_, err := client(e).Enrich(context.Background(), []enrich.Person{{Email: jane.Email}}, nil)
	if !errors.Is(err, enrich.ErrQuota) {
		t.Fatalf("err = %v, want ErrQuota", err)
	}
}

func TestThrottledThenAnswered(t *testing.T) {
	e := emu.New(emukit.Config{Key: "k", People: []emukit.Person{jane}, Faults: map[int]emukit.FaultKind{1: emukit.FaultRateLimit, 2: emukit.FaultServer}})
	defer e.Close()
	cl := client(e)
	cl.c.MaxWait, cl.c.Backoff = time.Millisecond, time.Millisecond
	res, err := cl.Enrich(context.Background(), []enrich.Person{{Email: jane.Email}}, nil)
	if err != nil || !res[0].Found {
		t.Fatalf("res %+v err %v", res, err)
	}
	if e.Kit.Throttled() != 1 || e.Kit.Spent() != 1 {
		t.Errorf("throttled %d spent %g; want 1, 1", e.Kit.Throttled(), e.Kit.Spent())
	}
}
