package system

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// haloEnv is a HaloPSA emulator and a client for it.
type haloEnv struct {
	sb *halosandbox.Server
	c  *halopsa.Client
}

func newHaloEnv(t *testing.T, so halosandbox.Options, tune ...func(*halopsa.Options)) *haloEnv {
	t.Helper()
	sb := halosandbox.New(so)
	hs := httptest.NewServer(sb)
	t.Cleanup(hs.Close)
	co := halopsa.DefaultOptions()
	co.BaseURL, co.ClientID, co.ClientSecret = hs.URL, "sandbox-client", "sandbox-secret"
	co.BackoffBase, co.BackoffMax = 5*time.Millisecond, 50*time.Millisecond
	for _, f := range tune {
		f(&co)
	}
	c, err := halopsa.New(co)
	if err != nil {
		t.Fatal(err)
	}
	return &haloEnv{sb: sb, c: c}
}

// rows returns every live record of a resource.
func (h *haloEnv) rows(resource string) []map[string]any {
	var out []map[string]any
	for id, miss := 1, 0; miss < 1000; id++ {
		r, ok := h.sb.Record(resource, id)
		if !ok {
			miss++
			continue
		}
		miss = 0
		out = append(out, r)
	}
	return out
}

// checkHalo verifies the tenant holds one User and one lead Ticket per
// written lead, one Client per organisation, and the lead custom fields.
func (h *haloEnv) checkHalo(t *testing.T, leads int) {
	t.Helper()
	users := h.rows("Users")
	tickets := h.rows("Tickets")
	clients := h.rows("Client")
	if len(users) != leads || len(tickets) != leads {
		t.Errorf("HaloPSA holds %d users and %d tickets, want one each per lead (%d)", len(users), len(tickets), leads)
	}
	emails := map[string]int{}
	for _, u := range users {
		if e, _ := u["emailaddress"].(string); e != "" {
			emails[strings.ToLower(e)]++
		}
	}
	for e, n := range emails {
		if n > 1 {
			t.Errorf("%d users share an e-mail address (%s…)", n, e[:3])
		}
	}
	names := map[string]int{}
	for _, c := range clients {
		names[strings.ToLower(fmt.Sprint(c["name"]))]++
	}
	for n, k := range names {
		if k > 1 {
			t.Errorf("%d clients are named %q", k, n)
		}
	}
	leadIDs := map[string]bool{}
	withCF := 0
	for _, tk := range tickets {
		id, _, ok := lead.ParseTicketRef(fmt.Sprint(tk["details"]))
		if !ok || leadIDs[id] {
			t.Errorf("ticket %v: lead marker missing or repeated in %q", tk["id"], tk["details"])
		}
		leadIDs[id] = true
		if customField(tk, 109) != "" || customField(tk, 113) != "" {
			withCF++
		}
		if tk["user_id"] == nil || fmt.Sprint(tk["user_id"]) == "0" {
			t.Errorf("ticket %v has no user", tk["id"])
		}
	}
	if withCF < len(tickets)/2 {
		t.Errorf("only %d of %d tickets carry CF_109 or CF_113", withCF, len(tickets))
	}
}

func customField(rec map[string]any, id int) string {
	b, _ := json.Marshal(rec["customfields"])
	var cfs []map[string]any
	_ = json.Unmarshal(b, &cfs)
	for _, m := range cfs {
		if fmt.Sprint(m["id"]) == fmt.Sprint(id) {
			if d, _ := m["display"].(string); d != "" {
				return d
			}
			if m["value"] == nil {
				return ""
			}
			return fmt.Sprint(m["value"])
		}
	}
	return ""
}

func TestLiveSinkWritesHaloPSAOnceAndReimportsCreateNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	h := newHaloEnv(t, halosandbox.Options{})
	opts := testOptions(t)
	opts.StageConfig.Halo = h.c

	run := func(file string, before func(*System)) pipeline.Summary {
		s, err := Start(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if before != nil {
			before(s)
		}
		sum := importAll(ctx, t, s, file)
		if err := sum.Check(); err != nil {
			t.Fatal(err)
		}
		return sum
	}
	sum := run(examplesFile(t), nil)
	c := sum.Counts
	if c[pipeline.OutcomeSynced] == 0 {
		t.Fatalf("nothing synced: %+v", c)
	}
	h.checkHalo(t, c[pipeline.OutcomeSynced])
	st := h.c.Stats()
	written := c[pipeline.OutcomeSynced] + c[pipeline.OutcomeMerged]
	t.Logf("first import: %+v; %d HaloPSA requests for %d records (%.3f per record), %d clients", c, st.Requests, written,
		float64(st.Requests)/float64(written), h.sb.Count("Client"))
	if st.RateLimited != 0 {
		t.Errorf("%d requests were rate-limited", st.RateLimited)
	}

	// The same rows again, under another file name so they are read again:
	// every one merges into a known lead and nothing new is created.
	users, tickets, clients := h.sb.Count("Users"), h.sb.Count("Tickets"), h.sb.Count("Client")
	again := filepath.Join(t.TempDir(), "leads-again.csv")
	b, err := os.ReadFile(examplesFile(t))
	if err != nil {
		t.Fatal(err)
	}
	// One new person at the end makes it a new file (imports are identified
	// by content).
	b = append(b, []byte("rnewperson0001,Zoe,Quinn,zoe.quinn@fabrikam.de,,CTO,Fabrikam GmbH,fabrikam.de,146 High Street,Berlin,,,DE\n")...)
	if err := os.WriteFile(again, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// Meanwhile a person marks the first lead do-not-contact in HaloPSA:
	// its records are suppressed from now on.
	tk, _ := h.sb.Record("Tickets", 1)
	dncLead, dncKey, ok := lead.ParseTicketRef(fmt.Sprint(tk["details"]))
	if !ok {
		t.Fatalf("ticket 1 has no lead marker: %v", tk["details"])
	}
	before := h.c.Stats().Requests
	sum2 := run(again, func(s *System) {
		fb := &pipeline.Envelope{TraceID: "feedback-1", LeadID: dncLead, FirstSeen: time.Now(),
			Feedback: &pipeline.HaloFeedback{TicketID: 1, Suppress: "do_not_contact", At: time.Now()}}
		if err := s.SendTo(ctx, pipeline.TopicEnriched, dncKey, fb); err != nil {
			t.Fatal(err)
		}
	})
	if sum2.Counts[pipeline.OutcomeSuppressed] == 0 {
		t.Errorf("reimport after a do-not-contact in HaloPSA: %+v, want the lead's records suppressed", sum2.Counts)
	}
	if h.sb.Count("Users") != users+1 || h.sb.Count("Tickets") != tickets+1 || h.sb.Count("Client") != clients {
		t.Errorf("reimport with one new person: users %d→%d, tickets %d→%d, clients %d→%d; want one new user and ticket, no client",
			users, h.sb.Count("Users"), tickets, h.sb.Count("Tickets"), clients, h.sb.Count("Client"))
	}
	t.Logf("reimport: %+v; %d HaloPSA requests", sum2.Counts, h.c.Stats().Requests-before)
}

// writeCSV writes a canonical CSV under t's temporary directory.
func writeCSV(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// importAll imports file into a running system and waits for its outcomes.
func importAll(ctx context.Context, t *testing.T, s *System, file string) pipeline.Summary {
	t.Helper()
	res, err := s.Import(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := s.WaitForOutcomes(ctx, res, nil)
	if err != nil {
		t.Fatalf("wait: %v (%+v)", err, sum)
	}
	return sum
}

// importOnce starts a system, imports file, and closes the system.
func importOnce(ctx context.Context, t *testing.T, opts Options, file string) pipeline.Summary {
	t.Helper()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return importAll(ctx, t, s, file)
}

// TestLiveSinkRecreatesWhatHaloPSALost: a User deleted in HaloPSA answers
// the next update with 404; the sink dead-letters that record with the
// reason, forgets the id, and the lead's next record creates the User again.
func TestLiveSinkRecreatesWhatHaloPSALost(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	h := newHaloEnv(t, halosandbox.Options{})
	opts := testOptions(t)
	opts.StageConfig.Halo = h.c
	const header = "record_id,first_name,last_name,email,phone,title,company,domain,street,city,state,postcode,country\n"
	importOnce(ctx, t, opts, writeCSV(t, "a.csv", header+"a1,Grace,Tanaka,grace.tanaka@fabrikam.de,,CEO,Fabrikam GmbH,fabrikam.de,,Berlin,,,DE\n"))
	if h.sb.Count("Users") != 1 {
		t.Fatalf("%d users after the first import, want 1", h.sb.Count("Users"))
	}
	if err := h.c.Delete(ctx, "Users", 1); err != nil {
		t.Fatal(err)
	}
	// The same person with a phone: a fill-empty update of a User that is gone.
	sum := importOnce(ctx, t, opts, writeCSV(t, "b.csv", header+"b1,Grace,Tanaka,grace.tanaka@fabrikam.de,+49 30 12345678,CEO,Fabrikam GmbH,fabrikam.de,,Berlin,,,DE\n"))
	if sum.Counts[pipeline.OutcomeDeadLettered] != 1 {
		t.Fatalf("update of a deleted user: %+v, want it dead-lettered", sum.Counts)
	}
	// Her next record creates the User again.
	importOnce(ctx, t, opts, writeCSV(t, "c.csv", header+"c1,Grace,Tanaka,grace.tanaka@fabrikam.de,+49 30 12345678,Chief Executive,Fabrikam GmbH,fabrikam.de,,Berlin,,,DE\n"))
	if h.sb.Count("Users") != 1 || h.sb.Count("Tickets") != 1 {
		t.Errorf("after the next record: %d users, %d tickets; want the user created again and still one ticket", h.sb.Count("Users"), h.sb.Count("Tickets"))
	}
}

// TestLiveSinkNeverWritesDoNotContact: a lead a provider marks
// do-not-contact is not written to HaloPSA; its records end suppressed,
// and the do-not-contact list stops the person's later records at
// validate even where dedupe would make a new lead.
func TestLiveSinkNeverWritesDoNotContact(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	h := newHaloEnv(t, halosandbox.Options{})
	opts := testOptions(t)
	opts.StageConfig.Halo = h.c
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const header = "record_id,first_name,last_name,email,phone,title,company,domain,country,do_not_contact\n"
	sum := importAll(ctx, t, s, writeCSV(t, "dnc.csv", header+
		"d1,Olga,Opt-Out,olga@northwind.example,,CFO,Northwind Ltd,northwind.example,GB,true\n"+
		"d2,Olga,Opt-Out,olga@northwind.example,,CFO,Northwind Ltd,northwind.example,GB,\n"+
		"d3,Sam,Sales,sam@northwind.example,,CTO,Northwind Ltd,northwind.example,GB,\n"))
	if sum.Counts[pipeline.OutcomeSuppressed] != 2 || sum.Counts[pipeline.OutcomeSynced] != 1 {
		t.Errorf("outcomes %+v, want Olga's two records suppressed and Sam synced", sum.Counts)
	}
	for _, u := range h.rows("Users") {
		if strings.Contains(fmt.Sprint(u["emailaddress"]), "olga") {
			t.Errorf("the do-not-contact lead reached HaloPSA: %v", u["id"])
		}
	}
	// Olga with her phone, then at another company with another address
	// and that phone: the list (followed asynchronously) stops both.
	for _, rows := range []string{
		"d9,Olga,Opt-Out,olga@northwind.example,+44 20 7946 0321,CFO,Northwind Ltd,northwind.example,GB,true\n",
		"e1,Olga,Opt-Out,olga.oo@contoso.example,+44 20 7946 0321,CFO,Contoso plc,contoso.example,GB,\n",
	} {
		time.Sleep(time.Second)
		if sum := importAll(ctx, t, s, writeCSV(t, "more.csv", header+rows)); sum.Counts[pipeline.OutcomeSuppressed] != 1 {
			t.Errorf("%s: %+v, want the record suppressed", rows[:2], sum.Counts)
		}
	}
	if n := h.sb.Count("Users"); n != 1 {
		t.Errorf("%d users, want only Sam", n)
	}
}

// TestLiveSinkAdoptsExistingClientsAndContacts: an MSP's tenant already
// holds a customer and one of its contacts; importing leads for that
// company uses the existing Client, links the existing contact instead of
// doubling it (without touching its fields), and creates only the new one.
func TestLiveSinkAdoptsExistingClientsAndContacts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	h := newHaloEnv(t, halosandbox.Options{})
	cl, err := h.c.UpsertClients(ctx, halopsa.Area{Name: "Northwind Traders Ltd", Website: "https://www.northwind.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.UpsertUsers(ctx, halopsa.User{Name: "Olga Owner", FirstName: "Olga", Surname: "Owner",
		EmailAddress: "OLGA@northwind.example", Title: "Owner (set by a person)", ClientID: cl[0].ID}); err != nil {
		t.Fatal(err)
	}
	opts := testOptions(t)
	opts.StageConfig.Halo = h.c
	importOnce(ctx, t, opts, writeCSV(t, "nw.csv", "record_id,first_name,last_name,email,phone,title,company,domain,country\n"+
		"n1,Olga,Owner,olga@northwind.example,+44 20 7946 0018,CFO,Northwind Traders,northwind.example,GB\n"+
		"n2,Sam,Sales,sam@northwind.example,,CTO,Northwind Traders,northwind.example,GB\n"))
	if n := h.sb.Count("Client"); n != 1 {
		t.Errorf("%d clients, want the existing one only", n)
	}
	if n := h.sb.Count("Users"); n != 2 {
		t.Errorf("%d users, want the existing contact and Sam", n)
	}
	olga, _ := h.sb.Record("Users", 1)
	if olga["title"] != "Owner (set by a person)" || olga["phonenumber"] != "" && olga["phonenumber"] != nil {
		t.Errorf("the existing contact was written: title %v, phone %v", olga["title"], olga["phonenumber"])
	}
	if n := h.sb.Count("Tickets"); n != 2 {
		t.Errorf("%d lead tickets, want one per lead", n)
	}
}
