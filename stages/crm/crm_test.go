package crm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
	"github.com/leadstream/leadstream/internal/api"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/internal/testkafka"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/crm"
)

var nsSeq atomic.Int64

const (
	hookUser = "halo-webhook"
	hookPass = "webhook-secret"
)

// env is a running crm stage on a real (embedded or external) broker,
// with the HaloPSA sandbox posting its webhooks to the API server.
type env struct {
	t       *testing.T
	ctx     context.Context
	brokers []string
	ns      pipeline.Namespace
	sb      *halosandbox.Server
	halo    *halopsa.Client
	cl      *kgo.Client
	apiURL  string
}

func logger() *slog.Logger {
	lvl := slog.LevelWarn
	if testing.Verbose() {
		lvl = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
}

// start brings up the broker, topics, sandbox, API and the crm stage.
// withHalo false runs the stage dry (no client).
func start(t *testing.T, so halosandbox.Options, withHalo bool, tune ...func(*crm.Stage)) *env {
	t.Helper()
	return startWith(t, so, withHalo, true, tune...)
}

// startWith is start, with or without the sandbox's webhooks subscribed.
func startWith(t *testing.T, so halosandbox.Options, withHalo, webhooks bool, tune ...func(*crm.Stage)) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	brokers := testkafka.Brokers()
	if brokers == nil {
		b, err := pipeline.StartEmbedded(pipeline.EmbeddedOptions{Addr: "127.0.0.1:0", Partitions: 3})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		brokers = b.Addrs()
	}
	ns := pipeline.Namespace(fmt.Sprintf("crm%d-%d", os.Getpid(), nsSeq.Add(1)))
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	if _, err := pipeline.EnsureTopics(ctx, kadm.NewClient(cl), pipeline.Catalogue{Partitions: 3, Replication: -1,
		StatefulStages: []string{"crm"}, Namespace: ns}); err != nil {
		t.Fatal(err)
	}

	sb := halosandbox.New(so)
	hs := httptest.NewServer(sb)
	t.Cleanup(hs.Close)
	halo, err := halopsa.New(halopsa.Options{BaseURL: hs.URL, ClientID: "sandbox-client", ClientSecret: "sandbox-secret",
		Logger: logger(), RateLimit: 10000, Max5xxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}

	addr, err := api.Start(ctx, "127.0.0.1:0", api.Options{Producer: cl, Namespace: ns,
		Webhook: api.WebhookAuth{User: hookUser, Password: hookPass}, Logger: logger()})
	if err != nil {
		t.Fatal(err)
	}
	apiURL := "http://" + addr + api.WebhookPath
	if webhooks {
		sb.AddWebhook(halosandbox.Webhook{URL: apiURL, Username: hookUser, Password: hookPass, PayloadType: halosandbox.PayloadFull})
	}

	stage := crm.Stage{Logger: logger(), FitScore: func(context.Context, string) (int, bool) { return 78, true }}
	if withHalo {
		stage.Halo = halo
	}
	for _, f := range tune {
		f(&stage)
	}
	r, err := pipeline.NewRunner(stage, pipeline.RunnerOptions{Brokers: brokers, DataDir: t.TempDir(), Namespace: ns,
		Logger: logger(), ClientOpts: []kgo.Opt{kgo.FetchMaxWait(50 * time.Millisecond)}})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := r.Run(rctx); err != nil {
			t.Errorf("runner: %v", err)
		}
	}()
	t.Cleanup(func() { stop(); <-done })
	return &env{t: t, ctx: ctx, brokers: brokers, ns: ns, sb: sb, halo: halo, cl: cl, apiURL: apiURL}
}

// events reads leads.events for one lead, in order.
func (e *env) events(leadID string) []crm.Event {
	e.t.Helper()
	var out []crm.Event
	err := pipeline.ReadTopic(e.ctx, e.brokers, e.ns.Topic(pipeline.TopicEvents), func(r *kgo.Record) {
		env, err := pipeline.DecodeEnvelope(r)
		if err != nil {
			e.t.Errorf("event record: %v", err)
			return
		}
		var ev crm.Event
		if err := json.Unmarshal(env.Event, &ev); err != nil {
			e.t.Errorf("event: %v", err)
			return
		}
		if ev.LeadID == leadID {
			out = append(out, ev)
		}
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// waitEvents waits until leadID has n events and returns them.
func (e *env) waitEvents(leadID string, n int) []crm.Event {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		evs := e.events(leadID)
		if len(evs) >= n || time.Now().After(deadline) {
			if len(evs) != n {
				e.t.Fatalf("lead %s has %d events, want %d:\n%s", leadID, len(evs), n, describe(evs))
			}
			return evs
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func describe(evs []crm.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "  %s %s: %s → %s (%s) %s\n", ev.Type, ev.TicketID, ev.From, ev.To, ev.Trigger, ev.Reason)
	}
	return b.String()
}

// newLead creates a lead ticket the way the sink does: the lead type, the
// initial status, the marker in details, a contact at a client.
func (e *env) newLead(leadID, key, name string) int {
	e.t.Helper()
	clients, err := e.halo.UpsertClients(e.ctx, halopsa.Area{Name: "Acme Ltd"})
	if err != nil {
		e.t.Fatal(err)
	}
	first, last, _ := strings.Cut(name, " ")
	users, err := e.halo.UpsertUsers(e.ctx, halopsa.User{Name: name, FirstName: first, Surname: last, ClientID: clients[0].ID})
	if err != nil {
		e.t.Fatal(err)
	}
	tickets, err := e.halo.UpsertTickets(e.ctx, halopsa.Ticket{Summary: "Lead: " + name, TicketTypeID: 1, StatusID: 1,
		ClientID: clients[0].ID, UserID: users[0].ID, Details: "Imported by leadstream " + lead.TicketRef(leadID, key)})
	if err != nil {
		e.t.Fatal(err)
	}
	e.flush()
	return tickets[0].ID
}

func (e *env) flush() {
	e.t.Helper()
	if err := e.sb.FlushWebhooks(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

// set changes a ticket or opportunity as a person would, through the API.
func (e *env) set(resource string, id int, changes map[string]any) {
	e.t.Helper()
	changes["id"] = id
	if _, err := e.halo.UpsertRaw(e.ctx, resource, []any{changes}); err != nil {
		e.t.Fatal(err)
	}
	e.flush()
}

func (e *env) record(resource string, id int) map[string]any {
	e.t.Helper()
	r, ok := e.sb.Record(resource, id)
	if !ok {
		e.t.Fatalf("%s %d not found", resource, id)
	}
	return r
}

func cf(rec map[string]any, id int) string {
	list, _ := rec["customfields"].([]map[string]any)
	for _, f := range list {
		if f["id"] == id {
			if d, _ := f["display"].(string); d != "" {
				return d
			}
			return fmt.Sprint(f["value"])
		}
	}
	return ""
}

func num(v any) int {
	f, _ := strconv.ParseFloat(fmt.Sprint(v), 64)
	return int(f)
}

type step struct{ from, to, trigger string }

// TestWebhooksWalkALeadToWon is the done-when scenario of issue 6: a person
// moves a lead through HaloPSA, the webhooks drive the workflow (automatic
// conversion and promotion included) to Won, every transition lands on
// leads.events in order with timestamps, an illegal change is refused,
// and duplicated (every delivery is sent twice) and out-of-order
// deliveries change nothing.
func TestWebhooksWalkALeadToWon(t *testing.T) {
	e := start(t, halosandbox.Options{DuplicateWebhooks: true}, true)
	const leadID = "lead-jane"
	tid := e.newLead(leadID, "acme ltd|jane doe", "Jane Doe")

	e.set(halopsa.ResTickets, tid, map[string]any{"status_id": 2})
	e.waitEvents(leadID, 1)
	e.set(halopsa.ResTickets, tid, map[string]any{"status_id": 3})
	e.waitEvents(leadID, 2)
	e.set(halopsa.ResTickets, tid, map[string]any{"status_id": 4})
	e.waitEvents(leadID, 5) // engaged, then the automatic conversion
	e.flush()

	tk := e.record(halopsa.ResTickets, tid)
	if num(tk["tickettype_id"]) != 2 || num(tk["status_id"]) != 10 {
		t.Fatalf("after engaged the ticket is type %v status %v, want the prospect type at 10", tk["tickettype_id"], tk["status_id"])
	}
	if cf(tk, 203) != "Jane Doe" || cf(tk, 206) != "78" || cf(tk, 207) != strconv.Itoa(tid) {
		t.Fatalf("conversion fields CF_203=%q CF_206=%q CF_207=%q", cf(tk, 203), cf(tk, 206), cf(tk, 207))
	}

	e.set(halopsa.ResTickets, tid, map[string]any{"status_id": 11})
	e.waitEvents(leadID, 6)
	// A person qualifies the prospect: the fields auto_promote needs.
	e.set(halopsa.ResTickets, tid, map[string]any{"customfields": []map[string]any{
		{"id": 201, "value": "Ageing servers"}, {"id": 202, "value": "Managed Services"},
		{"id": 204, "value": "$10K-$50K"}, {"id": 205, "value": "1-3 months"}}})
	e.set(halopsa.ResTickets, tid, map[string]any{"status_id": 12})
	evs := e.waitEvents(leadID, 9) // qualified, then the automatic promotion
	e.flush()

	if n := e.sb.Count(halopsa.ResOpportunities); n != 1 {
		t.Fatalf("%d opportunities, want 1", n)
	}
	oppID, _ := strconv.Atoi(evs[8].TicketID)
	opp := e.record(halopsa.ResOpportunities, oppID)
	if cf(opp, 301) != "Managed Services" || cf(opp, 305) != strconv.Itoa(tid) || num(opp["status_id"]) != 20 ||
		num(opp["oppvalue"]) != 30000 || num(opp["client_id"]) != num(tk["client_id"]) ||
		opp["summary"] != "Acme Ltd - Managed Services" {
		t.Fatalf("opportunity %v", opp)
	}
	if st := num(e.record(halopsa.ResTickets, tid)["status_id"]); st != 14 {
		t.Fatalf("prospect status %d, want 14 (closed as promoted)", st)
	}

	for i, st := range []int{21, 22, 23} {
		e.set(halopsa.ResOpportunities, oppID, map[string]any{"status_id": st})
		e.waitEvents(leadID, 10+i)
	}
	e.flush()
	opp = e.record(halopsa.ResOpportunities, oppID)
	if num(opp["status_id"]) != 23 || num(opp["oppconversionprobability"]) != 100 {
		t.Fatalf("won opportunity: status %v probability %v", opp["status_id"], opp["oppconversionprobability"])
	}

	want := []step{
		{"new_lead", "researching", "manual"}, {"researching", "contacted", "manual"}, {"contacted", "engaged", "manual"},
		{"engaged", "converted_to_prospect", "auto_convert"}, {"converted_to_prospect", "new_prospect", "follow"},
		{"new_prospect", "prospecting", "manual"}, {"prospecting", "qualified", "manual"},
		{"qualified", "promoted_to_opportunity", "auto_promote"}, {"promoted_to_opportunity", "new_opportunity", "follow"},
		{"new_opportunity", "progressing", "manual"}, {"progressing", "negotiation", "manual"}, {"negotiation", "won", "manual"},
	}
	evs = e.waitEvents(leadID, len(want))
	checkSteps(t, evs, want)
	for i, ev := range evs {
		wantTicket := strconv.Itoa(tid)
		if i >= 8 {
			wantTicket = strconv.Itoa(oppID)
		}
		if ev.TicketID != wantTicket {
			t.Errorf("event %d is about ticket %s, want %s", i, ev.TicketID, wantTicket)
		}
		if i > 0 && ev.At.Before(evs[i-1].At) {
			t.Errorf("event %d at %s is before event %d at %s", i, ev.At, i-1, evs[i-1].At)
		}
		if ev.At.IsZero() || ev.ObservedAt.IsZero() || ev.OffPath || ev.Type != "status_changed" {
			t.Errorf("event %d: %+v", i, ev)
		}
		if auto := ev.Trigger != "manual"; ev.Auto != auto {
			t.Errorf("event %d: auto=%v with trigger %s", i, ev.Auto, ev.Trigger)
		}
	}
	if evs[7].OpportunityID != strconv.Itoa(oppID) || evs[7].ProspectTicketID != strconv.Itoa(tid) {
		t.Errorf("promotion event %+v", evs[7])
	}

	// An illegal change: a person sets "promoted" (14) on a new lead.
	const other = "lead-john"
	tid2 := e.newLead(other, "acme ltd|john roe", "John Roe")
	e.set(halopsa.ResTickets, tid2, map[string]any{"status_id": 14})
	refused := e.waitEvents(other, 1)[0]
	if refused.Type != crm.EventRefused || refused.Reason != "not_allowed" || refused.From != "new_lead" ||
		refused.To != "promoted_to_opportunity" || refused.At.IsZero() {
		t.Fatalf("refusal %+v", refused)
	}
	if n := e.sb.Count(halopsa.ResOpportunities); n != 1 {
		t.Fatalf("the refused promotion created an opportunity (%d)", n)
	}
	if st := num(e.record(halopsa.ResTickets, tid2)["status_id"]); st != 14 {
		t.Errorf("leadstream reverted the person's status to %d", st)
	}
	// The workflow state is unchanged: the next move starts from new_lead.
	e.set(halopsa.ResTickets, tid2, map[string]any{"status_id": 2})
	checkSteps(t, e.waitEvents(other, 2)[1:], []step{{"new_lead", "researching", "manual"}})

	// Out of order: every delivery so far again, newest first, under new
	// delivery ids (so the duplicate check does not hide them).
	before := e.sb.RequestLog()
	ds := e.sb.Deliveries()
	for i := len(ds) - 1; i >= 0; i-- {
		var m map[string]any
		if err := json.Unmarshal([]byte(ds[i].RequestBody), &m); err != nil {
			t.Fatal(err)
		}
		m["id"] = fmt.Sprintf("replay-%d", i)
		e.post(m)
	}
	// A last real change, to know the replays have been processed.
	e.set(halopsa.ResTickets, tid2, map[string]any{"status_id": 3})
	e.waitEvents(other, 3)
	if got := e.events(leadID); len(got) != len(want) {
		t.Fatalf("replayed deliveries changed the log:\n%s", describe(got))
	}
	for _, r := range e.sb.RequestLog()[len(before):] {
		if r.Method == http.MethodPost && r.Path != "/auth/token" && !strings.Contains(r.Body, fmt.Sprintf(`"id":%d`, tid2)) {
			t.Errorf("a replayed delivery caused a write: %s %s %s", r.Method, r.Path, r.Body)
		}
	}
	if n := e.sb.Count(halopsa.ResOpportunities); n != 1 {
		t.Fatalf("%d opportunities after the replays", n)
	}
}

func checkSteps(t *testing.T, evs []crm.Event, want []step) {
	t.Helper()
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d:\n%s", len(evs), len(want), describe(evs))
	}
	for i, w := range want {
		if evs[i].From != w.from || evs[i].To != w.to || evs[i].Trigger != w.trigger {
			t.Fatalf("event %d is %s → %s (%s), want %s → %s (%s):\n%s", i, evs[i].From, evs[i].To, evs[i].Trigger,
				w.from, w.to, w.trigger, describe(evs))
		}
	}
}

// post sends one delivery to the API as HaloPSA would.
func (e *env) post(delivery any) {
	e.t.Helper()
	b, err := json.Marshal(delivery)
	if err != nil {
		e.t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, e.apiURL, strings.NewReader(string(b)))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(hookUser, hookPass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("webhook answered %d", resp.StatusCode)
	}
}

// feedback reads what the stage told the sink about one lead.
func (e *env) feedback(leadID string) []pipeline.HaloFeedback {
	e.t.Helper()
	var out []pipeline.HaloFeedback
	err := pipeline.ReadTopic(e.ctx, e.brokers, e.ns.Topic(pipeline.TopicEnriched), func(r *kgo.Record) {
		env, err := pipeline.DecodeEnvelope(r)
		if err != nil {
			e.t.Errorf("feedback record: %v", err)
			return
		}
		if env.LeadID == leadID && env.Feedback != nil {
			out = append(out, *env.Feedback)
		}
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) waitFeedback(leadID string, n int) []pipeline.HaloFeedback {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		fb := e.feedback(leadID)
		if len(fb) >= n || time.Now().After(deadline) {
			if len(fb) != n {
				e.t.Fatalf("lead %s has %d feedback records, want %d: %+v", leadID, len(fb), n, fb)
			}
			return fb
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSuppressionAndOwnership covers §7.4 and §7.5 from HaloPSA's side: a
// person's field edit makes the field person-owned, CF_105 suppresses the
// lead and blocks a manual conversion, clearing it lifts the suppression,
// and status 6 suppresses again. Each reaches the sink's partition of the
// lead on leads.enriched.
func TestSuppressionAndOwnership(t *testing.T) {
	e := start(t, halosandbox.Options{}, true)
	const leadID, key = "lead-dnc", "acme ltd|dee nc"
	tid := e.newLead(leadID, key, "Dee Nc")

	e.set(halopsa.ResTickets, tid, map[string]any{"customfields": []map[string]any{{"id": 102, "value": "Consulting"}}})
	fb := e.waitFeedback(leadID, 1)
	if fb[0].TicketID != tid || fb[0].Suppress != "" || len(fb[0].Owned) != 1 || fb[0].Owned[0] != "ticket.CF_102" || fb[0].At.IsZero() {
		t.Fatalf("ownership feedback %+v", fb[0])
	}
	e.set(halopsa.ResTickets, tid, map[string]any{"customfields": []map[string]any{{"id": 105, "value": true}}})
	if fb = e.waitFeedback(leadID, 2); fb[1].Suppress != "do_not_contact" || len(fb[1].Owned) != 0 {
		t.Fatalf("suppression feedback %+v", fb[1])
	}
	// A manual conversion of a suppressed lead is refused.
	e.set(halopsa.ResTickets, tid, map[string]any{"status_id": 8})
	if ev := e.waitEvents(leadID, 1)[0]; ev.Type != crm.EventRefused || ev.Reason != "do_not_contact" {
		t.Fatalf("manual conversion while suppressed: %+v", ev)
	}
	if typ := num(e.record(halopsa.ResTickets, tid)["tickettype_id"]); typ != 1 {
		t.Fatalf("a suppressed lead was converted (type %d)", typ)
	}
	// Back to new lead, then CF_105 cleared: the suppression lifts.
	e.set(halopsa.ResTickets, tid, map[string]any{"status_id": 1})
	e.set(halopsa.ResTickets, tid, map[string]any{"customfields": []map[string]any{{"id": 105, "value": false}}})
	if fb = e.waitFeedback(leadID, 3); fb[2].Suppress != "lift" {
		t.Fatalf("lift feedback %+v", fb[2])
	}
	// Status 6 suppresses again and is a legal move.
	e.set(halopsa.ResTickets, tid, map[string]any{"status_id": 6})
	if fb = e.waitFeedback(leadID, 4); fb[3].Suppress != "do_not_contact" {
		t.Fatalf("status 6 feedback %+v", fb[3])
	}
	evs := e.waitEvents(leadID, 2)
	checkSteps(t, evs[1:], []step{{"new_lead", "do_not_contact", "manual"}})

	// Every feedback record is keyed like the lead, so it reaches the
	// sink partition that holds it.
	err := pipeline.ReadTopic(e.ctx, e.brokers, e.ns.Topic(pipeline.TopicEnriched), func(r *kgo.Record) {
		if string(r.Key) != key {
			t.Errorf("feedback keyed %q, want %q", r.Key, key)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDryRunRecordsFromEmbeddedTicket runs the stage without a HaloPSA
// client: transitions come from the embedded ticket, nothing is written,
// and an old delivery arriving late changes nothing.
func TestDryRunRecordsFromEmbeddedTicket(t *testing.T) {
	e := start(t, halosandbox.Options{}, false)
	const leadID = "lead-dry"
	tid := e.newLead(leadID, "acme ltd|dry run", "Dry Run")
	e.set(halopsa.ResTickets, tid, map[string]any{"status_id": 2})
	e.set(halopsa.ResTickets, tid, map[string]any{"status_id": 3})
	e.set(halopsa.ResTickets, tid, map[string]any{"status_id": 4})
	evs := e.waitEvents(leadID, 3)
	checkSteps(t, evs, []step{{"new_lead", "researching", "manual"}, {"researching", "contacted", "manual"}, {"contacted", "engaged", "manual"}})
	if typ := num(e.record(halopsa.ResTickets, tid)["tickettype_id"]); typ != 1 {
		t.Fatalf("the dry run converted the lead (type %d)", typ)
	}
	// The delivery of "researching", late and under a new id.
	var late map[string]any
	for _, d := range e.sb.Deliveries() {
		if strings.Contains(d.RequestBody, `"status_id":2`) && d.Event == "ticket status changed" {
			if err := json.Unmarshal([]byte(d.RequestBody), &late); err != nil {
				t.Fatal(err)
			}
		}
	}
	if late == nil {
		t.Fatal("no delivery of the researching change")
	}
	late["id"] = "late-1"
	e.post(late)
	e.set(halopsa.ResTickets, tid, map[string]any{"status_id": 5})
	evs = e.waitEvents(leadID, 4)
	checkSteps(t, evs[3:], []step{{"engaged", "no_interest", "manual"}})
}
