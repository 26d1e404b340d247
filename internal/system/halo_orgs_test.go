package system

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadstream/leadstream/bench/leadgen"
	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// generatedAccounts writes n leadgen account rows (company-only records,
// sites of organisations) and returns the file with its true number of
// organisations and sites.
func generatedAccounts(t *testing.T, n int, seed uint64) (file string, orgs, sites int) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "accounts.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := leadgen.Write(f, leadgen.Options{Records: n, Seed: seed, Accounts: true}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	f, err = os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	os_, ss := map[string]bool{}, map[string]bool{}
	for _, r := range rows[1:] {
		os_[r[col["org_id"]]] = true
		ss[r[col["entity_id"]]] = true
	}
	return p, len(os_), len(ss)
}

// haloCounts are the live records of the resources the sink writes.
type haloCounts struct{ clients, sites, users, tickets int }

func countHalo(sb *halosandbox.Server) haloCounts {
	return haloCounts{sb.Count("Client"), sb.Count("Site"), sb.Count("Users"), sb.Count("Tickets")}
}

// Organisation records (a company and no person) from generated account
// data, into a tenant that already holds 150 Clients with alike names:
// each true organisation is one new Client and each true site one Site
// (the first site of an organisation is the Client's main site); no User
// and no Ticket is made for them, and nothing in the tenant is doubled.
func TestLiveSinkOrganisationRecordsAreClientsAndSites(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	h := newHaloEnv(t, halosandbox.Options{SeedClients: 150, IDOffsets: halosandbox.TenantIDOffsets()},
		func(o *halopsa.Options) { o.BatchSize = 100 })
	before := countHalo(h.sb)
	file, orgs, sites := generatedAccounts(t, 400, 11)
	opts := testOptions(t)
	opts.StageConfig.Halo = h.c
	sum := importOnce(ctx, t, opts, file)
	if err := sum.Check(); err != nil {
		t.Fatal(err)
	}
	after := countHalo(h.sb)
	t.Logf("%+v; truth: %d organisations, %d sites; made %d Clients, %d Sites, %d Users, %d Tickets; %d HaloPSA requests",
		sum.Counts, orgs, sites, after.clients-before.clients, after.sites-before.sites, after.users-before.users,
		after.tickets-before.tickets, h.c.Stats().Requests)
	if n := sum.Counts[pipeline.OutcomeSynced]; n != sites {
		t.Errorf("%d synced organisation leads, want one per true site (%d)", n, sites)
	}
	if got := after.clients - before.clients; got != orgs {
		t.Errorf("%d Clients made, want %d (one per organisation)", got, orgs)
	}
	// Each new Client comes with its main site, which is its first site.
	if got := after.sites - before.sites; got != sites {
		t.Errorf("%d Sites made, want %d (one per site)", got, sites)
	}
	if after.users != before.users || after.tickets != before.tickets {
		t.Errorf("organisation records made %d Users and %d Tickets, want none", after.users-before.users, after.tickets-before.tickets)
	}
	if a := h.sb.Audit(1); !a.Clean() {
		t.Errorf("tenant audit: %+v", a)
	}
}

// The same account data with HaloPSA applying writes and still answering
// 504 (a scripted applied 504 on the first Client and Site arrays, then
// 10 % faults of which half were applied): every unknown outcome is read
// back, so no Client or Site is doubled.
func TestLiveSinkOrganisationSitesSurviveAppliedFaults(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	h := newHaloEnv(t, halosandbox.Options{SeedClients: 100, FaultRate: 0.1, FaultCommitShare: 0.5, FaultSeed: 3,
		FaultDelay: 20 * time.Millisecond}, func(o *halopsa.Options) { o.BatchSize = 10 })
	for _, res := range []string{"Client", "Site"} {
		h.sb.InjectFaults(res, halosandbox.Fault{Status: 504, Delay: 50 * time.Millisecond, Commit: true, Method: "POST"})
	}
	before := countHalo(h.sb)
	file, orgs, sites := generatedAccounts(t, 300, 12)
	opts := testOptions(t)
	opts.StageConfig.Halo = h.c
	sum := importOnce(ctx, t, opts, file)
	if err := sum.Check(); err != nil {
		t.Fatal(err)
	}
	after := countHalo(h.sb)
	st := h.sb.Stats()
	t.Logf("%+v; %d faults injected, %d after applying the write; truth %d organisations, %d sites; made %d Clients, %d Sites",
		sum.Counts, st.Injected, st.Committed, orgs, sites, after.clients-before.clients, after.sites-before.sites)
	if st.Committed < 2 {
		t.Fatalf("only %d applied faults; the test proves nothing", st.Committed)
	}
	dl := sum.Counts[pipeline.OutcomeDeadLettered]
	if got := after.clients - before.clients; got > orgs || got < orgs-dl {
		t.Errorf("%d Clients made for %d organisations (%d records dead-lettered)", got, orgs, dl)
	}
	if got := after.sites - before.sites; got > sites || got < sites-dl {
		t.Errorf("%d Sites made for %d sites (%d records dead-lettered)", got, sites, dl)
	}
	if after.users != before.users || after.tickets != before.tickets {
		t.Errorf("organisation records made %d Users and %d Tickets, want none", after.users-before.users, after.tickets-before.tickets)
	}
	if dl > sites/20 {
		t.Errorf("%d records dead-lettered", dl)
	}
}

// Two organisation records of Contoso at two addresses are one Client
// with two Sites; people attach to the Site at their address (else the
// main site), and a person seen at both sites is one User while the sites
// stay two. With HALOPSA_ORGANISATION_TICKETS the organisation leads get
// a lead Ticket each, without a User.
func TestLiveSinkPeopleJoinTheirOrganisationsSites(t *testing.T) {
	for _, tickets := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "organisation tickets"}[tickets], func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			h := newHaloEnv(t, halosandbox.Options{SeedClients: 30, IDOffsets: halosandbox.TenantIDOffsets()})
			before := countHalo(h.sb)
			opts := testOptions(t)
			opts.StageConfig.Halo = h.c
			opts.StageConfig.HaloOrganisationTickets = tickets
			sum := importOnce(ctx, t, opts, writeCSV(t, "contoso.csv", "record_id,first_name,last_name,email,phone,title,company,domain,street,city,state,postcode,country\n"+
				"o1,,,,+44 161 496 0000,,Contoso Ltd,contoso.example,9 Dock Road,Manchester,,M1 2BB,GB\n"+
				"o2,,,,+44 117 496 0000,,Contoso Limited,contoso.example,1 Quay Street,Bristol,,BS1 4DJ,GB\n"+
				"p1,Mia,North,mia@contoso.example,,CFO,Contoso,contoso.example,9 Dock Road,Manchester,,M1 2BB,GB\n"+
				"p2,Leo,South,leo@contoso.example,,CTO,Contoso,contoso.example,1 Quay Street,Bristol,,BS1 4DJ,GB\n"+
				"p3,Mia,North,mia@contoso.example,,CFO,Contoso,contoso.example,1 Quay Street,Bristol,,BS1 4DJ,GB\n"))
			if err := sum.Check(); err != nil {
				t.Fatal(err)
			}
			after := countHalo(h.sb)
			t.Logf("%+v; made %d Clients, %d Sites, %d Users, %d Tickets", sum.Counts, after.clients-before.clients,
				after.sites-before.sites, after.users-before.users, after.tickets-before.tickets)
			wantTickets := 2
			if tickets {
				wantTickets = 4
			}
			if d := (haloCounts{after.clients - before.clients, after.sites - before.sites, after.users - before.users, after.tickets - before.tickets}); d != (haloCounts{1, 2, 2, wantTickets}) {
				t.Errorf("made %+v, want 1 Client, 2 Sites, 2 Users (Mia once) and %d Tickets", d, wantTickets)
			}
			sites, err := halopsa.ListAll[halopsa.Site](ctx, h.c, halopsa.ResSite, map[string][]string{"includeaddress": {"true"}})
			if err != nil {
				t.Fatal(err)
			}
			at := map[string]int{} // street → site
			client := 0
			for _, s := range sites {
				if s.DeliveryAddress != nil && (s.DeliveryAddress.Line1 == "9 Dock Road" || s.DeliveryAddress.Line1 == "1 Quay Street") {
					at[s.DeliveryAddress.Line1] = s.ID
					client = s.ClientID
				}
			}
			if len(at) != 2 {
				t.Fatalf("sites by street: %v", at)
			}
			users, err := halopsa.ListAll[halopsa.User](ctx, h.c, halopsa.ResUsers, map[string][]string{"client_id": {itoa(client)}})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for _, u := range users {
				got[u.EmailAddress] = int(u.SiteID)
			}
			if got["leo@contoso.example"] != at["1 Quay Street"] {
				t.Errorf("Leo is at site %d, want the Bristol site %d", got["leo@contoso.example"], at["1 Quay Street"])
			}
			if s := got["mia@contoso.example"]; s != at["9 Dock Road"] && s != at["1 Quay Street"] {
				t.Errorf("Mia is at site %d, want one of her sites %v", s, at)
			}
			if tickets {
				rows := records(ctx, t, h, halopsa.ResTickets, nil)
				orgTickets := 0
				for _, r := range rows {
					if toInt(r["user_id"]) == 0 && toInt(r["client_id"]) == client {
						orgTickets++
						if s := toInt(r["site_id"]); s != at["9 Dock Road"] && s != at["1 Quay Street"] {
							t.Errorf("organisation ticket %v at site %d", r["id"], s)
						}
					}
				}
				if orgTickets != 2 {
					t.Errorf("%d organisation lead tickets, want 2", orgTickets)
				}
			}
		})
	}
}

// Dedupe folds lead B into lead A after both were synced (the lead.merged
// case; here the record that folds them is sent to the sink as dedupe
// would send it). A's sink partition tells B's; B's lead Ticket gets a
// private note naming A's ticket (once, although HaloPSA applies the note
// and answers 504). When nobody has worked on B's Ticket it moves to A's
// User and is closed, and B's User is made inactive; when a person has
// (its status moved on), it stays open with B's User, which stays active.
// No Ticket is deleted, A's records are not touched, nothing is doubled,
// and a later record of B creates nothing.
func TestLiveSinkMergesFoldedLeads(t *testing.T) {
	for _, worked := range []bool{false, true} {
		t.Run(map[bool]string{false: "untouched", true: "worked on"}[worked], func(t *testing.T) {
			testFold(t, worked)
		})
	}
}

func testFold(t *testing.T, worked bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h := newHaloEnv(t, halosandbox.Options{SeedClients: 20, IDOffsets: halosandbox.TenantIDOffsets()})
	opts := testOptions(t)
	opts.StageConfig.Halo = h.c
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sum := importAll(ctx, t, s, writeCSV(t, "two.csv", "record_id,first_name,last_name,email,phone,title,company,domain,street,city,state,postcode,country\n"+
		"a1,Ann,Lee,ann.lee@contoso.example,,CFO,Contoso,contoso.example,,,,,GB\n"+
		"b1,Bob,Roe,bob.roe@fabrikam.example,,CTO,Fabrikam,fabrikam.example,,,,,GB\n"))
	if sum.Counts[pipeline.OutcomeSynced] != 2 {
		t.Fatalf("%+v", sum.Counts)
	}
	type leadRecs struct {
		id, key          string
		user, ticket, cl int
	}
	var ann, bob leadRecs
	for _, r := range records(ctx, t, h, halopsa.ResTickets, nil) {
		id, key, ok := lead.ParseTicketRef(str(r["details"]))
		if !ok {
			continue
		}
		lr := leadRecs{id: id, key: key, user: toInt(r["user_id"]), ticket: toInt(r["id"]), cl: toInt(r["client_id"])}
		if strings.Contains(str(r["summary"]), "Ann Lee") {
			ann = lr
		} else {
			bob = lr
		}
	}
	if ann.ticket == 0 || bob.ticket == 0 {
		t.Fatalf("lead tickets: ann %+v bob %+v", ann, bob)
	}
	if worked {
		// A person moves B's lead on (status 2, "In Progress").
		if _, err := h.c.UpsertRaw(ctx, halopsa.ResTickets, []any{map[string]any{"id": bob.ticket, "status_id": 2}}); err != nil {
			t.Fatal(err)
		}
	}
	before := countHalo(h.sb)
	annUser, _ := h.sb.Record("Users", ann.user)
	annTicket, _ := h.sb.Record("Tickets", ann.ticket)
	h.sb.InjectFaults("Actions", halosandbox.Fault{Status: 504, Delay: 20 * time.Millisecond, Commit: true, Method: "POST"})
	rec := &pipeline.Envelope{TraceID: "fold-test", Source: pipeline.Source{Provider: "test", RecordID: "a2"}, FirstSeen: time.Now(),
		LeadID: ann.id, Decision: "exact_merge", Absorbed: []string{bob.id}, AbsorbedKeys: []string{bob.key},
		Lead: &lead.Lead{FirstName: "Ann", LastName: "Lee", Email: "ann.lee@contoso.example", Company: "Contoso", Domain: "contoso.example"}}
	if err := s.SendTo(ctx, pipeline.TopicEnriched, ann.key, rec); err != nil {
		t.Fatal(err)
	}
	// Wait for the note (and, when B's ticket moves, B's User to be made
	// inactive: the fold's last write).
	var notes []map[string]any
	for {
		notes = notes[:0]
		for _, a := range records(ctx, t, h, halopsa.ResActions, map[string][]string{"ticket_id": {itoa(bob.ticket)}}) {
			if strings.Contains(str(a["note"]), "leadstream fold "+bob.id) {
				notes = append(notes, a)
			}
		}
		u, _ := h.sb.Record("Users", bob.user)
		if len(notes) > 0 && (worked || u["inactive"] == true) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the fold never finished: notes %v, B's user %v", notes, u)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if len(notes) != 1 {
		t.Errorf("%d merge notes on B's ticket, want exactly 1 (the 504 was applied, then read back)", len(notes))
	}
	for _, n := range notes {
		if !strings.Contains(str(n["note"]), itoa(ann.ticket)) || n["hiddenfromuser"] != true {
			t.Errorf("note: %v", n)
		}
	}
	if st := h.sb.Stats(); st.Committed < 1 {
		t.Errorf("the applied 504 on the note was not hit: %+v", st)
	}
	tk, _ := h.sb.Record("Tickets", bob.ticket)
	bu, _ := h.sb.Record("Users", bob.user)
	if worked {
		if toInt(tk["user_id"]) != bob.user || toInt(tk["status_id"]) != 2 || bu["inactive"] == true {
			t.Errorf("a ticket a person works on moved or B's user was retired: ticket %v, user %v", tk, bu)
		}
	} else {
		if toInt(tk["user_id"]) != ann.user || toInt(tk["client_id"]) != ann.cl || toInt(tk["status_id"]) != 9 {
			t.Errorf("B's ticket: user %v client %v status %v, want A's %d, %d and closed (9)", tk["user_id"], tk["client_id"], tk["status_id"], ann.user, ann.cl)
		}
	}
	if a := h.sb.Audit(1); !a.Clean() {
		t.Errorf("tenant audit: %+v", a)
	}
	after := countHalo(h.sb)
	if after.tickets != before.tickets || after.clients != before.clients {
		t.Errorf("tickets %d → %d, clients %d → %d: a fold deletes and creates none", before.tickets, after.tickets, before.clients, after.clients)
	}
	if u, _ := h.sb.Record("Users", ann.user); u["inactive"] == true || str(u["emailaddress"]) != str(annUser["emailaddress"]) || str(u["last_update"]) != str(annUser["last_update"]) {
		t.Errorf("A's user changed: %v", u)
	}
	if tk, _ := h.sb.Record("Tickets", ann.ticket); toInt(tk["status_id"]) != toInt(annTicket["status_id"]) || toInt(tk["user_id"]) != ann.user {
		t.Errorf("A's ticket changed: %v", tk)
	}
	// A later record of B is merged into A: nothing is created or written.
	sum = importAll(ctx, t, s, writeCSV(t, "again.csv", "record_id,first_name,last_name,email,phone,title,company,domain,street,city,state,postcode,country\n"+
		"b2,Bob,Roe,bob.roe@fabrikam.example,+44 20 7946 0001,CTO,Fabrikam,fabrikam.example,,,,,GB\n"))
	if sum.Counts[pipeline.OutcomeMerged] != 1 {
		t.Errorf("B's later record: %+v, want merged", sum.Counts)
	}
	if again := countHalo(h.sb); again != after {
		t.Errorf("B's later record changed the tenant: %+v → %+v", after, again)
	}
	if u, _ := h.sb.Record("Users", bob.user); str(u["phonenumber"]) != "" {
		t.Errorf("B's user was written after the fold: %v", u)
	}
}

// records are the full records (as GET by id returns them) of the rows a
// list of resource gives.
func records(ctx context.Context, t *testing.T, h *haloEnv, resource string, q map[string][]string) []map[string]any {
	t.Helper()
	rows, err := halopsa.ListAll[struct {
		ID int `json:"id"`
	}](ctx, h.c, resource, q)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, r := range rows {
		if rec, ok := h.sb.Record(resource, r.ID); ok {
			out = append(out, rec)
		}
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func toInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case float64:
		return int(n)
	}
	return 0
}

func itoa(n int) string { return strconv.Itoa(n) }

// Organisation records of a company the tenant already holds (a Client a
// person made, with a branch Site): the record at the branch's address
// takes that Site, the one at a new address gets a new Site of the
// existing Client; no Client, User or Ticket is made.
func TestLiveSinkOrganisationRecordsAdoptTheTenantsSites(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	h := newHaloEnv(t, halosandbox.Options{SeedClients: 10, IDOffsets: halosandbox.TenantIDOffsets()})
	cl, err := h.c.UpsertClients(ctx, halopsa.Area{Name: "Contoso Ltd", Website: "https://contoso.example"})
	if err != nil {
		t.Fatal(err)
	}
	branch, err := h.c.UpsertSites(ctx, halopsa.Site{Name: "Manchester", ClientID: cl[0].ID,
		DeliveryAddress: &halopsa.Address{Line1: "9 Dock Road", Line2: "Manchester", Line4: "United Kingdom", Postcode: "M1 2BB"}})
	if err != nil {
		t.Fatal(err)
	}
	before := countHalo(h.sb)
	opts := testOptions(t)
	opts.StageConfig.Halo = h.c
	sum := importOnce(ctx, t, opts, writeCSV(t, "contoso.csv", "record_id,first_name,last_name,email,phone,title,company,domain,street,city,state,postcode,country\n"+
		"o1,,,,,,CONTOSO LIMITED,contoso.example,\"9, Dock Road\",Manchester,,m1 2bb,GB\n"+
		"o2,,,,,,Contoso,contoso.example,1 Quay Street,Bristol,,BS1 4DJ,GB\n"))
	if sum.Counts[pipeline.OutcomeSynced] != 2 {
		t.Fatalf("%+v", sum.Counts)
	}
	after := countHalo(h.sb)
	if d := (haloCounts{after.clients - before.clients, after.sites - before.sites, after.users - before.users, after.tickets - before.tickets}); d != (haloCounts{0, 1, 0, 0}) {
		t.Errorf("made %+v, want only the Bristol Site", d)
	}
	sites, err := halopsa.ListAll[halopsa.Site](ctx, h.c, halopsa.ResSite, map[string][]string{"client_id": {itoa(cl[0].ID)}, "includeaddress": {"true"}})
	if err != nil {
		t.Fatal(err)
	}
	var bristol int
	for _, s := range sites {
		if s.DeliveryAddress != nil && s.DeliveryAddress.Line1 == "1 Quay Street" {
			bristol = s.ID
		}
		if s.ID != branch[0].ID && s.ID != cl[0].MainSiteID && s.ID != bristol {
			t.Errorf("unexpected site %+v", s)
		}
	}
	if bristol == 0 {
		t.Errorf("no Bristol site at the existing Client: %+v", sites)
	}
}
