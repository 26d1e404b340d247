package system

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadstream/leadstream/bench/leadgen"
	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
	"github.com/leadstream/leadstream/pipeline"
)

// generated writes n leadgen rows (seed) to a temporary file.
func generated(t *testing.T, n int, seed uint64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "generated.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := leadgen.Write(f, leadgen.Options{Records: n, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkAudit fails on any duplicate or wrong link in the tenant, and on
// synced leads without their one User and lead Ticket.
func checkAudit(t *testing.T, h *haloEnv, seededUsers, seededTickets, synced int) {
	t.Helper()
	a := h.sb.Audit(1)
	if !a.Clean() {
		t.Errorf("tenant audit: %d duplicate users, %d duplicate clients, %d duplicate lead tickets, %d wrong links; e.g. %v",
			a.DuplicateUsers, a.DuplicateClients, a.DuplicateLeadTickets, a.WrongLinks, a.Examples)
	}
	if u, tk := h.sb.Count("Users")-seededUsers, h.sb.Count("Tickets")-seededTickets; u != synced || tk != synced {
		t.Errorf("%d users and %d lead tickets created for %d synced leads, want one each", u, tk, synced)
	}
}

// The first run against a tenant that already holds 720 Clients with
// alike names and other domains (every real customer's first run): no
// lead is attached to another company's Client, nothing is doubled, and
// the tenant is read in pages, never one request per Client.
func TestLiveSinkFirstRunAgainstAPopulatedTenant(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	h := newHaloEnv(t, halosandbox.Options{SeedClients: 720, IDOffsets: halosandbox.TenantIDOffsets()},
		func(o *halopsa.Options) { o.BatchSize = 100 })
	users, tickets := h.sb.Count("Users"), h.sb.Count("Tickets")
	opts := testOptions(t)
	opts.StageConfig.Halo = h.c
	sum := importOnce(ctx, t, opts, generated(t, 1000, 1))
	if err := sum.Check(); err != nil {
		t.Fatal(err)
	}
	synced := sum.Counts[pipeline.OutcomeSynced]
	checkAudit(t, h, users, tickets, synced)
	perClient := 0
	kinds := map[string]int{}
	for _, r := range h.sb.RequestLog() {
		q, _ := url.ParseQuery(r.Query)
		if r.Method == "GET" && q.Get("client_id") != "" {
			perClient++
		}
		kind := r.Method + " " + r.Path
		if r.Method == "POST" && strings.Contains(r.Body, `"id":`) {
			kind += " (update)"
		}
		kinds[kind]++
	}
	t.Logf("requests by kind: %v", kinds)
	st := h.c.Stats()
	t.Logf("%+v; %d HaloPSA requests for %d synced leads (%.3f per lead), %d per-Client reads", sum.Counts, st.Requests, synced,
		float64(st.Requests)/float64(max(synced, 1)), perClient)
	if perClient > 0 {
		t.Errorf("%d requests read one Client's users; the tenant is read in pages", perClient)
	}
	// Counting requests, not time: a generous bound that one request per
	// Client (0.83 per lead) breaks.
	if float64(st.Requests) > 0.3*float64(synced) {
		t.Errorf("%d requests for %d synced leads", st.Requests, synced)
	}
}

// HaloPSA (or its gateway) applies writes and still answers 500 or 504:
// one scripted applied 504 per resource, then 10 % faults of which half
// were applied, in arrays of 10. Nothing is doubled: each unknown outcome
// is read back before anything is sent again.
func TestLiveSinkAppliedFaultsDoubleNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	h := newHaloEnv(t, halosandbox.Options{SeedClients: 100, FaultRate: 0.1, FaultCommitShare: 0.5, FaultSeed: 7,
		FaultDelay: 20 * time.Millisecond}, func(o *halopsa.Options) { o.BatchSize = 10 })
	users, tickets := h.sb.Count("Users"), h.sb.Count("Tickets")
	for _, res := range []string{"Client", "Users", "Tickets"} {
		h.sb.InjectFaults(res, halosandbox.Fault{Status: 504, Delay: 50 * time.Millisecond, Commit: true, Method: "POST"})
	}
	opts := testOptions(t)
	opts.StageConfig.Halo = h.c
	sum := importOnce(ctx, t, opts, generated(t, 600, 5))
	if err := sum.Check(); err != nil {
		t.Fatal(err)
	}
	st := h.sb.Stats()
	t.Logf("%+v; %d faults injected, %d after applying the write", sum.Counts, st.Injected, st.Committed)
	if st.Committed < 3 {
		t.Fatalf("only %d applied faults; the test proves nothing", st.Committed)
	}
	a := h.sb.Audit(1)
	if !a.Clean() {
		t.Errorf("tenant audit: %d duplicate users, %d duplicate clients, %d duplicate lead tickets, %d wrong links; e.g. %v",
			a.DuplicateUsers, a.DuplicateClients, a.DuplicateLeadTickets, a.WrongLinks, a.Examples)
	}
	// A lead whose writes stayed unknown after every read-back is
	// dead-lettered, not doubled; every other synced lead has its User
	// and Ticket.
	synced := sum.Counts[pipeline.OutcomeSynced]
	if u, tk := h.sb.Count("Users")-users, h.sb.Count("Tickets")-tickets; u < synced || tk < synced {
		t.Errorf("%d users and %d lead tickets for %d synced leads", u, tk, synced)
	}
	if dl := sum.Counts[pipeline.OutcomeDeadLettered]; dl > synced/20 {
		t.Errorf("%d records dead-lettered", dl)
	}
}

// A Client and User a person makes in HaloPSA while leadstream runs are
// adopted by later leads of that company and e-mail: the sink's copy of
// the tenant, older than its refresh interval, reads what changed (one
// page per resource) before the batch creates anything.
func TestLiveSinkAdoptsWhatAPersonMadeWhileRunning(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h := newHaloEnv(t, halosandbox.Options{SeedClients: 120, IDOffsets: halosandbox.TenantIDOffsets()})
	opts := testOptions(t)
	opts.StageConfig.Halo = h.c
	// Any copy is older than this when the next batch comes.
	opts.StageConfig.HaloTenantRefresh = time.Nanosecond
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	header := "record_id,first_name,last_name,email,phone,title,company,domain,country\n"
	first := importAll(ctx, t, s, writeCSV(t, "first.csv", header+"a1,Ada,Alpha,ada@alphaworks.example,,CEO,Alpha Works,alphaworks.example,GB\n"))
	if first.Counts[pipeline.OutcomeSynced] != 1 {
		t.Fatalf("first import: %+v", first.Counts)
	}

	// Meanwhile a person makes Zeta's Client, Zoe's User and a lead Ticket
	// for her in HaloPSA.
	zeta, err := h.c.UpsertClients(ctx, halopsa.Area{Name: "Zeta Works Ltd", Website: "https://www.zetaworks.example"})
	if err != nil {
		t.Fatal(err)
	}
	zoe, err := h.c.UpsertUsers(ctx, halopsa.User{Name: "Zoe Zed", FirstName: "Zoe", Surname: "Zed", EmailAddress: "zoe@zetaworks.example",
		ClientID: zeta[0].ID, SiteID: float64(zeta[0].MainSiteID)})
	if err != nil {
		t.Fatal(err)
	}
	zoeTicket, err := h.c.UpsertTickets(ctx, halopsa.Ticket{Summary: "Zoe asked for a call", TicketTypeID: 1, StatusID: 1,
		ClientID: zeta[0].ID, UserID: zoe[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	clients, users, tickets := h.sb.Count("Client"), h.sb.Count("Users"), h.sb.Count("Tickets")
	logged := len(h.sb.RequestLog())
	before := h.c.Stats().Requests

	second := importAll(ctx, t, s, writeCSV(t, "second.csv", header+
		"z1,Zoe,Zed,zoe@zetaworks.example,,CTO,Zeta Works,zetaworks.example,GB\n"+
		"z2,Sam,Seller,sam@zetaworks.example,,Head of Sales,Zeta Works,zetaworks.example,GB\n"))
	if second.Counts[pipeline.OutcomeSynced] != 2 {
		t.Fatalf("second import: %+v", second.Counts)
	}
	if n := h.sb.Count("Client"); n != clients {
		t.Errorf("%d clients after the second import, want %d: Zeta's Client was doubled", n, clients)
	}
	if n := h.sb.Count("Users"); n != users+1 {
		t.Errorf("%d users after the second import, want %d (Sam only)", n, users+1)
	}
	if n := h.sb.Count("Tickets"); n != tickets+1 {
		t.Errorf("%d tickets after the second import, want %d (Sam's; Zoe's lead takes the person's ticket)", n, tickets+1)
	}
	for _, r := range h.rows("Users") {
		if strings.HasSuffix(fmt.Sprint(r["emailaddress"]), "@zetaworks.example") && fmt.Sprint(r["client_id"]) != fmt.Sprint(zeta[0].ID) {
			t.Errorf("user %v is at client %v, want the person's Zeta Client %d", r["emailaddress"], r["client_id"], zeta[0].ID)
		}
	}
	if tk, ok := h.sb.Record("Tickets", zoeTicket[0].ID); !ok || fmt.Sprint(tk["summary"]) != "Zoe asked for a call" {
		t.Errorf("the person's ticket was changed: %v", tk)
	}
	if a := h.sb.Audit(1); !a.Clean() {
		t.Errorf("tenant audit: %d duplicate users, %d duplicate clients, %d duplicate lead tickets, %d wrong links; e.g. %v",
			a.DuplicateUsers, a.DuplicateClients, a.DuplicateLeadTickets, a.WrongLinks, a.Examples)
	}
	// The cost: pages of changes per resource, never a read per Client.
	kinds := map[string]int{}
	for _, r := range h.sb.RequestLog()[logged:] {
		q, _ := url.ParseQuery(r.Query)
		if r.Method == "GET" && q.Get("client_id") != "" {
			t.Errorf("a per-Client read: %s %s?%s", r.Method, r.Path, r.Query)
		}
		kind := r.Method + " " + r.Path
		if q.Get("lastupdatefromdate") != "" {
			kind += " (changes)"
		}
		kinds[kind]++
	}
	if kinds["GET /api/Client (changes)"] == 0 || kinds["GET /api/Users (changes)"] == 0 {
		t.Errorf("the second import read no changes: %v", kinds)
	}
	t.Logf("second import: %d HaloPSA requests: %v", h.c.Stats().Requests-before, kinds)
}

// A lead whose organisation address is an existing Site of its Client
// (not the main site) is attached to that Site; one at another address
// stays at the main site.
func TestLiveSinkAttachesLeadsToTheMatchingSite(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	h := newHaloEnv(t, halosandbox.Options{IDOffsets: halosandbox.TenantIDOffsets()})
	cl, err := h.c.UpsertClients(ctx, halopsa.Area{Name: "Contoso Ltd", Website: "https://contoso.example"})
	if err != nil {
		t.Fatal(err)
	}
	branch, err := h.c.UpsertSites(ctx, halopsa.Site{Name: "Manchester", ClientID: cl[0].ID,
		DeliveryAddress: &halopsa.Address{Line1: "9 Dock Road", Line2: "Manchester", Line4: "United Kingdom", Postcode: "M1 2BB"}})
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions(t)
	opts.StageConfig.Halo = h.c
	sum := importOnce(ctx, t, opts, writeCSV(t, "sites.csv", "record_id,first_name,last_name,email,phone,title,company,domain,street,city,state,postcode,country\n"+
		"s1,Mia,North,mia@contoso.example,,CFO,Contoso,contoso.example,\"9, DOCK ROAD\",Manchester,,m1 2bb,GB\n"+
		"s2,Leo,South,leo@contoso.example,,CTO,Contoso,contoso.example,1 Quay Street,Bristol,,BS1 4DJ,GB\n"))
	if sum.Counts[pipeline.OutcomeSynced] != 2 {
		t.Fatalf("%+v", sum.Counts)
	}
	if n := h.sb.Count("Client"); n != 1 {
		t.Errorf("%d clients, want the existing one", n)
	}
	users, err := halopsa.ListAll[halopsa.User](ctx, h.c, halopsa.ResUsers, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"mia@contoso.example": branch[0].ID, "leo@contoso.example": cl[0].MainSiteID}
	for _, u := range users {
		if site := int(u.SiteID); site != want[u.EmailAddress] || u.ClientID != cl[0].ID {
			t.Errorf("%s is at client %d site %d, want client %d site %d", u.EmailAddress, u.ClientID, site, cl[0].ID, want[u.EmailAddress])
		}
		delete(want, u.EmailAddress)
	}
	if len(want) != 0 {
		t.Errorf("no users for %v", want)
	}
}

// Two people of one name and no e-mail are two Users, also when the second
// comes after a restart: the copy of the tenant the sink keeps is older
// than the first one's User, and that User must not be taken for the
// second person's by name.
func TestLiveSinkKeepsNamesakesApartAcrossARestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h := newHaloEnv(t, halosandbox.Options{})
	opts := testOptions(t)
	opts.StageConfig.Halo = h.c
	const header = "record_id,first_name,last_name,street,city,state,postcode,country\n"
	first := importOnce(ctx, t, opts, writeCSV(t, "a.csv", header+"a1,Ann,Lee,12 Harbour Street,Sydney,NSW,2000,AU\n"))
	second := importOnce(ctx, t, opts, writeCSV(t, "b.csv", header+"b1,Ann,Lee,7 Wattle Road,Perth,WA,6000,AU\n"))
	if first.Counts[pipeline.OutcomeSynced] != 1 || second.Counts[pipeline.OutcomeSynced] != 1 {
		t.Fatalf("want each synced as a lead of its own: %+v, %+v", first.Counts, second.Counts)
	}
	if n := h.sb.Count("Users"); n != 2 {
		t.Errorf("%d Users for two people named Ann Lee, want 2", n)
	}
	if n := h.sb.Count("Tickets"); n != 2 {
		t.Errorf("%d lead Tickets for two people named Ann Lee, want 2", n)
	}
}
