package registry

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	"github.com/leadstream/leadstream/connectors/pull/emulators/sandbox"
)

// TestSandboxServesEveryClient builds each client from the environment
// the provider sandbox writes and looks one person up through it.
func TestSandboxServesEveryClient(t *testing.T) {
	jane := emukit.Person{ID: "100000", First: "Jane", Last: "Doe", Email: "jane@example.com", Phone: "+14155550100",
		Company: "Example Co", Domain: "example.com"}
	sb := sandbox.New(sandbox.Options{People: []emukit.Person{jane}, PendingPolls: 1})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	env := map[string]string{}
	for _, kv := range sandbox.Env(srv.URL, "enrich.json") {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	fast := map[string]float64{}
	for _, n := range Known {
		fast[n] = 1000
	}
	for _, name := range []string{"rocketreach", "seamless", "lead411"} {
		t.Run(name, func(t *testing.T) {
			cs, err := Build([]string{name}, func(k string) string { return env[k] }, fast, nil)
			if err != nil || len(cs.Missing) > 0 {
				t.Fatalf("build: %v, missing %v", err, cs.Missing)
			}
			res, err := cs.People[name].Enrich(context.Background(), []enrich.Person{{Ref: "j", FirstName: "Jane", LastName: "Doe", Domain: "example.com"}}, []enrich.Attribute{enrich.Email})
			if err != nil {
				t.Fatal(err)
			}
			if !res[0].Found || res[0].Email != jane.Email {
				t.Errorf("result %+v", res[0])
			}
			if got := sb.Credits()[name]; got != 1 {
				t.Errorf("credits spent at %s: %g, want 1", name, got)
			}
		})
	}
	if _, err := Build([]string{"nosuch"}, func(string) string { return "" }, nil, nil); err == nil {
		t.Error("an unknown provider was accepted")
	}
}
