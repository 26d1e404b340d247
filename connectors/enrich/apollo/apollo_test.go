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
