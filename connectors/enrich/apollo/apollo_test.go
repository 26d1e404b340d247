package apollo

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	emu "github.com/leadstream/leadstream/connectors/pull/emulators/apollo"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
)

var people = []emukit.Person{
	{ID: "100000", First: "Jane", Last: "Doe", Email: "jane@example.com", Phone: "+14155550100", Mobile: "+14155550199", Company: "Example Co", Domain: "example.com"},
	{ID: "100001", First: "John", Last: "Roe", Email: "john@example.org", Phone: "+14155550101", Company: "Other", Domain: "example.org"},
}

func TestBulkMatchRevealReadsTheWebhookResult(t *testing.T) {
	e := emu.New(emukit.Config{Key: "k", People: people, PendingPolls: 2, Faults: map[int]emukit.FaultKind{1: emukit.FaultRateLimit}})
	defer e.Close()
	cl := New(Config{ClientConfig: enrich.ClientConfig{BaseURL: e.BaseURL(), APIKey: "k", PerSecond: 1000}, PollEvery: time.Millisecond})
	cl.c.Backoff = time.Millisecond
	cl.c.MaxWait = 10 * time.Millisecond
	res, err := cl.Enrich(context.Background(), []enrich.Person{
		{Ref: "a", FirstName: "Jane", LastName: "Doe", Domain: "example.com"},
		{Ref: "b", FirstName: "Nobody", LastName: "Here", Domain: "example.com"},
		{Ref: "c", Email: "john@example.org"},
	}, []enrich.Attribute{enrich.Email, enrich.Mobile})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || !res[0].Found || res[1].Found || !res[2].Found {
		t.Fatalf("results = %+v", res)
	}
	if res[0].Email != "jane@example.com" || res[0].Mobile != "+14155550199" || res[0].Phone != "+14155550100" {
		t.Errorf("jane = %+v, want her e-mail and both phones from the reveal", res[0])
	}
	if res[0].Credits != 9 || res[2].Credits != 1 {
		t.Errorf("credits = %g, %g; want 9 (match + mobile) and 1", res[0].Credits, res[2].Credits)
	}
	if e.Kit.Spent() != 10 {
		t.Errorf("the emulator charged %g, want 10", e.Kit.Spent())
	}
	if e.Kit.Throttled() != 1 {
		t.Errorf("throttled %d, want the scripted 429 retried", e.Kit.Throttled())
	}
	// The reveal can be read again for free (a crash lost it).
	got, done, err := cl.Reconcile(context.Background(), res[0].RequestID)
	if err != nil || !done || len(got) != 2 {
		t.Fatalf("reconcile = %+v, %v, %v", got, done, err)
	}
	if e.Kit.Spent() != 10 {
		t.Error("reading a webhook result was charged")
	}
}

func TestOrganizationEnrich(t *testing.T) {
	e := emu.New(emukit.Config{Key: "k", People: people})
	defer e.Close()
	cl := New(Config{ClientConfig: enrich.ClientConfig{BaseURL: e.BaseURL(), APIKey: "k", PerSecond: 1000}})
	f, credits, found, err := cl.EnrichCompany(context.Background(), "example.com")
	if err != nil || !found || credits != 1 || f.Industry == "" || f.EmployeesMin == 0 || len(f.Technologies) == 0 {
		t.Fatalf("company = %+v, %g, %v, %v", f, credits, found, err)
	}
	// The growth signals: Apollo's headcount growth fraction as per cent,
	// its funding round (when the company has one) in USD with the day.
	want, _ := e.Kit.Company("example.com")
	if f.Growth == nil || f.Growth.EmployeeGrowthPct == nil || *f.Growth.EmployeeGrowthPct != float64(int(want.HeadcountGrowth*1000))/10 {
		t.Errorf("growth %+v, want %g %%", f.Growth, want.HeadcountGrowth*100)
	}
	if want.FundingStage != "" && (len(f.FundingEvents) != 1 || f.FundingEvents[0].Type != want.FundingStage ||
		f.FundingEvents[0].AmountUSD != want.FundingAmount || f.FundingEvents[0].Date != want.FundingDate) {
		t.Errorf("funding %+v, want %s %d %s", f.FundingEvents, want.FundingStage, want.FundingAmount, want.FundingDate)
	}
	if _, _, found, err := cl.EnrichCompany(context.Background(), "unknown.test"); err != nil || found {
		t.Errorf("unknown domain: found %v, err %v", found, err)
	}
	bad := New(Config{ClientConfig: enrich.ClientConfig{BaseURL: e.BaseURL(), APIKey: "wrong"}})
	if _, _, _, err := bad.EnrichCompany(context.Background(), "example.com"); err == nil {
		t.Error("a wrong key was accepted")
	}
}

func TestRevealArrivesAtTheWebhook(t *testing.T) {
	inbox := NewInbox(0)
	hook := httptest.NewServer(inbox)
	defer hook.Close()
	// The reveal stays pending at /webhook_result: only the delivery can
	// complete it.
	e := emu.New(emukit.Config{Key: "k", People: people, NeverComplete: true})
	defer e.Close()
	cl := New(Config{ClientConfig: enrich.ClientConfig{BaseURL: e.BaseURL(), APIKey: "k", PerSecond: 1000},
		WebhookURL: hook.URL + "/apollo/webhook/secret", Inbox: inbox, PollEvery: time.Millisecond, PollFor: 10 * time.Second})
	res, err := cl.Enrich(context.Background(), []enrich.Person{{FirstName: "Jane", LastName: "Doe", Domain: "example.com"}}, []enrich.Attribute{enrich.Phone})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Phone != "+14155550100" || res[0].Mobile != "+14155550199" {
		t.Errorf("result %+v, want the phones from the webhook delivery", res[0])
	}
}

func TestOnePersonGoesToPeopleMatch(t *testing.T) {
	tests := []struct {
		name   string
		cfg    emukit.Config
		p      enrich.Person
		want   []enrich.Attribute
		found  bool
		credit float64
	}{
		{"by name and domain", emukit.Config{Key: "k", People: people}, enrich.Person{Ref: "a", FirstName: "Jane", LastName: "Doe", Domain: "example.com"}, []enrich.Attribute{enrich.Email}, true, 1},
		{"by e-mail, with a mobile reveal", emukit.Config{Key: "k", People: people}, enrich.Person{Ref: "a", Email: "jane@example.com"}, []enrich.Attribute{enrich.Mobile}, true, 9},
		{"429 retried", emukit.Config{Key: "k", People: people, Faults: map[int]emukit.FaultKind{1: emukit.FaultRateLimit}}, enrich.Person{Ref: "a", FirstName: "Jane", LastName: "Doe", Domain: "example.com"}, []enrich.Attribute{enrich.Email}, true, 1},
		{"a miss is free", emukit.Config{Key: "k", People: people}, enrich.Person{Ref: "a", FirstName: "No", LastName: "Body", Domain: "example.com"}, []enrich.Attribute{enrich.Email}, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := emu.New(tc.cfg)
			defer e.Close()
			cl := New(Config{ClientConfig: enrich.ClientConfig{BaseURL: e.BaseURL(), APIKey: "k", PerSecond: 1000}, PollEvery: time.Millisecond})
			cl.c.Backoff, cl.c.MaxWait = time.Millisecond, 10*time.Millisecond
			res, err := cl.Enrich(context.Background(), []enrich.Person{tc.p}, tc.want)
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 1 || res[0].Found != tc.found || res[0].Ref != "a" || res[0].Credits != tc.credit || e.Kit.Spent() != tc.credit {
				t.Fatalf("results %+v, emulator spent %g; want found %v costing %g", res, e.Kit.Spent(), tc.found, tc.credit)
			}
			if tc.found && (res[0].Email != "jane@example.com" || res[0].EmailStatus != "verified" || res[0].ProviderID != "100000" || res[0].Company.Name != "Example Co") {
				t.Errorf("result %+v", res[0])
			}
			if tc.credit == 9 && res[0].Mobile != "+14155550199" {
				t.Errorf("mobile %q, want the revealed one", res[0].Mobile)
			}
			if e.Kit.Count(emu.SingleMatchPath) == 0 || e.Kit.Count(emu.MatchPath) != 0 {
				t.Errorf("match calls %d, bulk_match calls %d; want one person on people/match only", e.Kit.Count(emu.SingleMatchPath), e.Kit.Count(emu.MatchPath))
			}
		})
	}
}
