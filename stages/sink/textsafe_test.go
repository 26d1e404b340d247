package sink

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
	"github.com/leadstream/leadstream/internal/lead"
)

// TestRecoveryFindsNeutralisedText checks that what the sink wrote with a
// leading quote (a formula-leading name) is found again by the lookups a
// crash recovery makes, so it is not created twice.
func TestRecoveryFindsNeutralisedText(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hs := httptest.NewServer(halosandbox.New(halosandbox.Options{}))
	defer hs.Close()
	co := halopsa.DefaultOptions()
	co.BaseURL, co.ClientID, co.ClientSecret = hs.URL, "sandbox-client", "sandbox-secret"
	c, err := halopsa.New(co)
	if err != nil {
		t.Fatal(err)
	}
	p := &processor{}
	body := p.clientBody("=Acme", &lead.Lead{}, true)
	if body["name"] != "'=Acme" {
		t.Fatalf("client body name %q", body["name"])
	}
	if _, _, err := (live{c: c}).upsert(ctx, halopsa.ResClient, []map[string]any{body}, nil); err != nil {
		t.Fatal(err)
	}
	id, _, err := (live{c: c}).findClient(ctx, "=Acme")
	if err != nil || id == 0 {
		t.Fatalf("findClient(=Acme) = %d, %v; want the Client written as '=Acme", id, err)
	}
	for _, tc := range []struct {
		name  string
		users []halopsa.User
		l     lead.Lead
		want  int
	}{
		{"by e-mail", []halopsa.User{{ID: 7, EmailAddress: "'-x@acme.example"}}, lead.Lead{Email: "-x@acme.example"}, 7},
		{"by name", []halopsa.User{{ID: 8, Name: "'@Ray"}}, lead.Lead{FullName: "@Ray"}, 8},
		{"plain", []halopsa.User{{ID: 9, EmailAddress: "ann@acme.example"}}, lead.Lead{Email: "ann@acme.example"}, 9},
	} {
		if got := matchUser(tc.users, &tc.l); got != tc.want {
			t.Errorf("%s: matchUser = %d, want %d", tc.name, got, tc.want)
		}
	}
}
