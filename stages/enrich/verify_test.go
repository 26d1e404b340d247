package enrich

import (
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/connectors/enrich/hunter"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	hunteremu "github.com/leadstream/leadstream/connectors/pull/emulators/hunter"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/stages/enrich/waterfall"
)

const verifyWaterfall = `{"attributes": {"email": {"providers": ["hunter", "second"], "when": {"missing": true, "unverified": true}}}}`

// withEmail is a lead holding addr with status.
func withEmail(last, addr, status string) lead.Lead {
	l := person(last)
	e := lead.NormalizeEmail(addr)
	e.Status, e.Primary = status, true
	l.Emails, l.Email = []lead.Email{e}, e.Address
	return l
}

func TestUnverifiedEmailIsVerifiedByHunterOncePerAddress(t *testing.T) {
	emu := hunteremu.New(emukit.Config{Key: "k", People: []emukit.Person{
		{ID: "1", First: "Jane", Last: "Doe", Email: "jane.doe@example.com", Company: "Example Co", Domain: "example.com"}}})
	defer emu.Close()
	cfg, err := waterfall.Parse([]byte(verifyWaterfall))
	if err != nil {
		t.Fatal(err)
	}
	second := &fakeProvider{name: "second", batch: 1, known: map[string]enrich.Result{
		"Bad": {Found: true, Email: "jane.bad@example.com", EmailStatus: "verified", Confidence: 90, Credits: 1}}}
	s := New(Options{Waterfall: &cfg, Now: func() time.Time { return clock }, Providers: map[string]enrich.Provider{
		"hunter": hunter.New(enrich.ClientConfig{BaseURL: emu.BaseURL(), APIKey: "k", PerSecond: 1000}), "second": second}})
	p := s.open(0, &memTable{m: map[string][]byte{}})

	// Two leads hold the same unverified address (dedupe kept them apart);
	// a third holds one the verifier calls invalid.
	doe := envelope("l1", withEmail("Doe", "Jane.Doe@example.com", lead.EmailUnverified))
	twin := envelope("l2", withEmail("Doe-Smith", "jane.doe@example.com", lead.EmailNone))
	bad := envelope("l3", withEmail("Bad", "jane.bad@nowhere.example", lead.EmailUnverified))
	run(t, p, doe)
	run(t, p, twin, bad)
	// The same lead again, as a later record would bring it: cached.
	again := envelope("l1", withEmail("Doe", "jane.doe@example.com", lead.EmailUnverified))
	run(t, p, again)

	for _, env := range []struct {
		name string
		l    *lead.Lead
	}{{"doe", doe.Lead}, {"twin", twin.Lead}, {"again", again.Lead}} {
		e, _ := env.l.PrimaryEmail()
		if e.Address != "jane.doe@example.com" || e.Status != lead.EmailVerified || e.Confidence != 94 {
			t.Errorf("%s: primary e-mail %+v, want jane.doe@example.com verified with confidence 94", env.name, e)
		}
		obs := env.l.Provenance["email_status"]
		if len(obs) != 1 || obs[0].Value != lead.EmailVerified || obs[0].Source != "hunter" || obs[0].Confidence != 94 || !obs[0].ObservedAt.Equal(clock) {
			t.Errorf("%s: email_status provenance %+v", env.name, obs)
		}
		if len(env.l.Issues) != 0 {
			t.Errorf("%s: issues %+v", env.name, env.l.Issues)
		}
	}
	if emu.Kit.Count(hunteremu.VerifierPath) != 2 || emu.Kit.Count(hunteremu.FinderPath) != 0 || emu.Kit.PaidTwice() != 0 || emu.Kit.Spent() != 2 {
		t.Errorf("verifier calls %d, finder calls %d, paid twice %d, spent %g; want 2 verifications (two addresses), no finder call, nothing paid twice",
			emu.Kit.Count(hunteremu.VerifierPath), emu.Kit.Count(hunteremu.FinderPath), emu.Kit.PaidTwice(), emu.Kit.Spent())
	}
	if second.calls != 1 || len(second.asked) != 1 || second.asked[0] != "Bad" {
		t.Errorf("second provider asked %v; want only the lead whose address was invalid", second.asked)
	}

	// The invalid verdict is provenance only, not a fill: the lead's
	// address keeps its status and the next provider's find is added.
	l := bad.Lead
	if l.Email != "jane.bad@nowhere.example" || l.Emails[0].Status != lead.EmailUnverified {
		t.Errorf("invalid verdict rewrote the lead's address: %+v", l.Emails)
	}
	if obs := l.Provenance["email_status"]; len(obs) != 1 || obs[0].Value != lead.EmailInvalid || obs[0].Source != "hunter" || obs[0].Selected {
		t.Errorf("email_status provenance %+v, want hunter's invalid, not selected", obs)
	}
	if len(l.Emails) != 2 || l.Emails[1].Address != "jane.bad@example.com" {
		t.Errorf("e-mails %+v, want the second provider's address added", l.Emails)
	}
}
