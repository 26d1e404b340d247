package sink

import (
	"context"
	stdjson "encoding/json"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
	"github.com/leadstream/leadstream/internal/lead"
)

// An organisation finds an existing Client by domain, else by name only
// when a domain is missing on one side: alike names at different domains
// are different companies.
func TestTenantIndexLookup(t *testing.T) {
	var ti tenantIndex
	ti.addClient("d:summitsystems.example", "Summit Systems LLC", orgRecord{ClientID: 1})
	ti.addClient("c:contoso", "Contoso Ltd", orgRecord{ClientID: 2})
	ti.addClient("d:summit-cloud-7.net", "Summit Cloud Ltd", orgRecord{ClientID: 3})
	ti.addClient("d:summitcloud12.com", "Summit Cloud Inc", orgRecord{ClientID: 4})
	for _, tc := range []struct {
		name      string
		key, org  string
		want      int
		wantFound bool
	}{
		{"same domain", "d:summitsystems.example", "Summit Systems", 1, true},
		{"same name, no domain", "c:summitsystems", "Summit Systems Inc", 1, true},
		{"same name, another domain", "d:summit-systems.example", "Summit Systems Inc", 0, false},
		{"named Client without a domain", "d:contoso.example", "Contoso", 2, true},
		{"alike names, both with other domains", "d:summitcloud99.com", "Summit Cloud GmbH", 0, false},
		{"domain wins over an alike name", "d:summitcloud12.com", "Summit Cloud Inc", 4, true},
		{"unknown", "d:other.example", "Other Ltd", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, ok := ti.lookup(tc.key, tc.org)
			if ok != tc.wantFound || rec.ClientID != tc.want {
				t.Errorf("lookup(%q, %q) = %d, %v; want %d, %v", tc.key, tc.org, rec.ClientID, ok, tc.want, tc.wantFound)
			}
		})
	}
}

// Users are found by e-mail, and by name at the same Client only when
// the lead has no e-mail and no lead of leadstream's has the User (dedupe
// said the two are different people).
func TestTenantIndexUsers(t *testing.T) {
	var ti tenantIndex
	ti.addUser(halopsa.User{ID: 10, ClientID: 1, Name: "Ann Lee", EmailAddress: "Ann.Lee@acme.example"})
	ti.addUser(halopsa.User{ID: 11, ClientID: 2, Name: "Bob Roe"})
	// Two Cy Dees at Client 3: leadstream's own (a lead has it) and one
	// people made; and a Di Fox that only leadstream's lead has.
	ti.addUser(halopsa.User{ID: 12, ClientID: 3, Name: "Cy Dee"})
	ti.ownUser(12, "ld_a")
	ti.addUser(halopsa.User{ID: 13, ClientID: 3, Name: "Cy Dee"})
	ti.addUser(halopsa.User{ID: 14, ClientID: 3, Name: "Di Fox"})
	ti.ownUser(14, "ld_b")
	for _, tc := range []struct {
		name   string
		l      *lead.Lead
		client int
		want   int
	}{
		{"e-mail, any case", &lead.Lead{Email: "ann.lee@acme.example"}, 1, 10},
		{"other e-mail, same name", &lead.Lead{Email: "ann@other.example", FullName: "Ann Lee"}, 1, 0},
		{"no e-mail, name at the Client", &lead.Lead{FullName: "Bob Roe"}, 2, 11},
		{"no e-mail, name at another Client", &lead.Lead{FullName: "Bob Roe"}, 1, 0},
		{"no e-mail, a namesake's User is skipped", &lead.Lead{FullName: "Cy Dee"}, 3, 13},
		{"no e-mail, only a namesake's User", &lead.Lead{FullName: "Di Fox"}, 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, _ := ti.user("ld_new", tc.l, tc.client)
			if u.ID != tc.want {
				t.Errorf("user = %d, want %d", u.ID, tc.want)
			}
		})
	}
}

// The read-back claims for each missing Client create the row with its
// domain (or, without one, its name), never an alike-named one.
func TestMatchClients(t *testing.T) {
	rows := []stdjson.RawMessage{
		stdjson.RawMessage(`{"id":1201,"name":"Summit Cloud Ltd","website":"https://www.summitcloud-3.net","main_site_id":2401}`),
		stdjson.RawMessage(`{"id":1202,"name":"Summit Cloud Inc","website":"https://summitcloud12.com","main_site_id":2402}`),
		stdjson.RawMessage(`{"id":1203,"name":"Contoso Ltd","main_site_id":2403}`),
	}
	orgs := []*orgWork{
		{key: "d:summitcloud12.com", name: "Summit Cloud Inc"},
		{key: "d:summitcloud77.com", name: "Summit Cloud Inc"},
		{key: "c:contoso", name: "Contoso"},
	}
	got := matchClients(orgs)(rows, []int{0, 1, 2})
	if string(got[0]) != string(rows[1]) || got[1] != nil || string(got[2]) != string(rows[2]) {
		t.Errorf("matched %v", got)
	}
}

// The first process reads the whole tenant in pages; the next reads only
// what changed since, from its copy under the data directory.
func TestTenantIndexLoadsOnceThenIncrementally(t *testing.T) {
	ctx := context.Background()
	sb := halosandbox.New(halosandbox.Options{SeedClients: 250, IDOffsets: halosandbox.TenantIDOffsets()})
	hs := httptest.NewServer(sb)
	defer hs.Close()
	co := halopsa.DefaultOptions()
	co.BaseURL, co.ClientID, co.ClientSecret = hs.URL, "sandbox-client", "sandbox-secret"
	c, err := halopsa.New(co)
	if err != nil {
		t.Fatal(err)
	}
	dir, log := t.TempDir(), slog.New(slog.DiscardHandler)

	var first tenantIndex
	if err := first.load(ctx, c, 1, dir, log); err != nil {
		t.Fatal(err)
	}
	// 250 Clients, 375 Users and 167 open lead tickets: 3 + 4 + 2 pages
	// (the token is not counted; Sites are read when first needed).
	if n := c.Stats().Requests; n != 9 {
		t.Errorf("initial sync: %d requests, want 9 (pages of 100, never one per Client)", n)
	}
	if rec, ok := first.lookup("d:"+domainOfClient(t, sb, 1201), "whatever"); !ok || rec.ClientID != 1201 {
		t.Errorf("client 1201 not found by its domain: %v %v", rec, ok)
	}

	// A person adds a Client; the next process reads only that.
	if _, err := c.UpsertClients(ctx, halopsa.Area{Name: "Fresh Co", Website: "https://fresh.example"}); err != nil {
		t.Fatal(err)
	}
	before := c.Stats().Requests
	var next tenantIndex
	if err := next.load(ctx, c, 1, dir, log); err != nil {
		t.Fatal(err)
	}
	if n := c.Stats().Requests - before; n != 3 {
		t.Errorf("restart: %d requests, want 3 (one page of changes per resource)", n)
	}
	if _, ok := next.lookup("d:fresh.example", "Fresh Co"); !ok {
		t.Error("the new Client is not in the index")
	}
	if _, ok := next.lookup("d:"+domainOfClient(t, sb, 1201), ""); !ok {
		t.Error("the copy lost client 1201")
	}
	if len(next.people) != 375 || len(next.tickets) != 167 {
		t.Errorf("the copy holds %d users and %d tickets, want 375 and 167", len(next.people), len(next.tickets))
	}
}

func domainOfClient(t *testing.T, sb *halosandbox.Server, id int) string {
	t.Helper()
	c, ok := sb.Record("Client", id)
	if !ok {
		t.Fatalf("no client %d", id)
	}
	return lead.RegistrableDomain(c["website"].(string))
}

// While the process runs, a copy older than the refresh interval reads
// only what changed since (one page per resource), so a Client and User a
// person made meanwhile are found; a young copy reads nothing.
func TestTenantIndexRefreshFollowsPeople(t *testing.T) {
	ctx := context.Background()
	sb := halosandbox.New(halosandbox.Options{SeedClients: 250, IDOffsets: halosandbox.TenantIDOffsets()})
	hs := httptest.NewServer(sb)
	defer hs.Close()
	co := halopsa.DefaultOptions()
	co.BaseURL, co.ClientID, co.ClientSecret = hs.URL, "sandbox-client", "sandbox-secret"
	c, err := halopsa.New(co)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	var ti tenantIndex
	if err := ti.load(ctx, c, 1, t.TempDir(), log); err != nil {
		t.Fatal(err)
	}
	// A person adds a Client and its User in HaloPSA.
	made, err := c.UpsertClients(ctx, halopsa.Area{Name: "Person Made Ltd", Website: "https://personmade.example"})
	if err != nil {
		t.Fatal(err)
	}
	users, err := c.UpsertUsers(ctx, halopsa.User{Name: "Pat Person", ClientID: made[0].ID, SiteID: float64(made[0].MainSiteID),
		EmailAddress: "pat@personmade.example"})
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name     string
		maxAge   time.Duration
		requests int64
		found    bool
	}{
		{"never", -1, 0, false},
		{"copy younger than the interval", time.Hour, 0, false},
		{"copy older than the interval", time.Nanosecond, 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := c.Stats().Requests
			if err := ti.refresh(ctx, c, 1, tc.maxAge, log); err != nil {
				t.Fatal(err)
			}
			if n := c.Stats().Requests - before; n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
			rec, ok := ti.lookup("d:personmade.example", "Person Made")
			if ok != tc.found || (ok && rec.ClientID != made[0].ID) {
				t.Errorf("client: %v %v, want %d found=%v", rec, ok, made[0].ID, tc.found)
			}
			u, ok := ti.user("ld_new", &lead.Lead{Email: "Pat@personmade.example"}, made[0].ID)
			if ok != tc.found || (ok && u.ID != users[0].ID) {
				t.Errorf("user: %v %v, want %d found=%v", u, ok, users[0].ID, tc.found)
			}
		})
	}
	if len(ti.clients) != 251 {
		t.Errorf("the index holds %d clients, want 251", len(ti.clients))
	}
	if !ti.adopted(made[0].ID) {
		t.Error("the person's Client is not adopted")
	}

	// The Sites are read whole once (251: 3 pages), then followed by
	// every refresh (one more page).
	for i, want := range []int64{3, 0} {
		before := c.Stats().Requests
		if err := ti.readSites(ctx, c, log); err != nil {
			t.Fatal(err)
		}
		if n := c.Stats().Requests - before; n != want {
			t.Errorf("site read %d: %d requests, want %d", i, n, want)
		}
	}
	if len(ti.sites) != 251 {
		t.Errorf("%d sites, want 251", len(ti.sites))
	}
	before := c.Stats().Requests
	if err := ti.refresh(ctx, c, 1, time.Nanosecond, log); err != nil {
		t.Fatal(err)
	}
	if n := c.Stats().Requests - before; n != 4 {
		t.Errorf("refresh with sites: %d requests, want 4", n)
	}
}

// A lead's address (the contact's, else the head office's) finds its
// Client's Site by street and postcode, else street and city, ignoring case and punctuation; never
// another Client's Site.
func TestTenantIndexSites(t *testing.T) {
	var ti tenantIndex
	ti.mergeLocked(tenantChanges{sites: []halopsa.Site{
		{ID: 2401, ClientID: 1, DeliveryAddress: &halopsa.Address{Line1: "1 Main Street", Line2: "Leeds", Postcode: "LS1 1AA"}},
		{ID: 2402, ClientID: 1, DeliveryAddress: &halopsa.Address{Line1: "9 Dock Road", Line2: "Manchester", Postcode: "M1 2BB"}},
		{ID: 2403, ClientID: 2, DeliveryAddress: &halopsa.Address{Line1: "5 Elm Way", Line2: "York"}},
		{ID: 2404, ClientID: 1, Inactive: true, DeliveryAddress: &halopsa.Address{Line1: "7 Old Lane", Line2: "Hull"}},
	}})
	for _, tc := range []struct {
		name   string
		client int
		l      *lead.Lead
		want   int
	}{
		{"street and postcode", 1, &lead.Lead{Street: "9 DOCK ROAD", Postcode: "m1 2bb"}, 2402},
		{"street and city, punctuation", 1, &lead.Lead{Street: "9, Dock Road.", City: "manchester"}, 2402},
		{"street and city, no postcode on the Site", 2, &lead.Lead{Street: "5 Elm Way", City: "York", Postcode: "YO1 7HH"}, 2403},
		{"head office when the contact's address is no Site", 1,
			&lead.Lead{Street: "3 Mill Lane", City: "Leeds", HQ: &lead.Address{Street: "1 Main Street", Postcode: "LS1 1AA"}}, 2401},
		{"the contact's address before the head office", 1,
			&lead.Lead{Street: "9 Dock Road", City: "Manchester", HQ: &lead.Address{Street: "1 Main Street", Postcode: "LS1 1AA"}}, 2402},
		{"another Client's Site", 1, &lead.Lead{Street: "5 Elm Way", City: "York"}, 0},
		{"other street", 1, &lead.Lead{Street: "10 Dock Road", City: "Manchester"}, 0},
		{"inactive Site", 1, &lead.Lead{Street: "7 Old Lane", City: "Hull"}, 0},
		{"no street", 1, &lead.Lead{City: "Leeds", Postcode: "LS1 1AA"}, 0},
		{"no address", 1, &lead.Lead{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := ti.site(tc.client, tc.l); got != tc.want {
				t.Errorf("site = %d, want %d", got, tc.want)
			}
		})
	}
}
