package sink

import (
	"testing"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/internal/lead"
)

// TestRecoveryFindsNeutralisedText checks that what the sink wrote with a
// leading quote (a formula-leading name or address) is found again by the
// lookups a crash recovery and the tenant index make, so it is not created
// twice.
func TestRecoveryFindsNeutralisedText(t *testing.T) {
	p := &processor{}
	body := p.clientBody("=Acme", &lead.Lead{}, true)
	if body["name"] != "'=Acme" {
		t.Fatalf("client body name %q", body["name"])
	}
	ow := &orgWork{key: fallbackOrg, name: "=Acme"}
	if !ow.matches(halopsa.Area{ID: 1, Name: "'=Acme"}) {
		t.Error("a Client written as '=Acme is not matched by its organisation")
	}
	for _, tc := range []struct {
		name string
		user halopsa.User
		l    lead.Lead
	}{
		{"by e-mail", halopsa.User{ID: 7, ClientID: 3, EmailAddress: "'-x@acme.example"}, lead.Lead{Email: "-x@acme.example"}},
		{"by name", halopsa.User{ID: 8, ClientID: 3, Name: "'@Ray"}, lead.Lead{FullName: "@Ray"}},
		{"plain", halopsa.User{ID: 9, ClientID: 3, EmailAddress: "ann@acme.example"}, lead.Lead{Email: "ann@acme.example"}},
	} {
		var ti tenantIndex
		ti.addUserLocked(tc.user)
		if got, ok := ti.user("ld_new", &tc.l, 3); !ok || got.ID != tc.user.ID {
			t.Errorf("%s: user = %+v, %v; want %d", tc.name, got, ok, tc.user.ID)
		}
	}
}
