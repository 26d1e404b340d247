package crm_test

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/crm"
)

// toQualified walks a new lead ticket to qualified (the conversion is
// automatic) without the fields auto_promote needs; 7 events.
func (e *env) toQualified(tid int, leadID string) {
	e.t.Helper()
	for _, s := range []struct{ status, events int }{{2, 1}, {3, 2}, {4, 5}, {11, 6}, {12, 7}} {
		e.set(halopsa.ResTickets, tid, map[string]any{"status_id": s.status})
		e.waitEvents(leadID, s.events)
	}
}

// TestPromotionRules: auto_promote waits at qualified until the fields it
// needs are there, then fires on the field edit (§8.1); a person setting 14
// promotes without those checks (§7.3 manual promotion).
func TestPromotionRules(t *testing.T) {
	e := start(t, halosandbox.Options{}, true)

	const auto = "lead-auto"
	tid := e.newLead(auto, "acme ltd|ann auto", "Ann Auto")
	e.toQualified(tid, auto)
	if n := e.sb.Count(halopsa.ResOpportunities); n != 0 {
		t.Fatalf("promoted without pain points, budget and timeframe (%d opportunities)", n)
	}
	e.set(halopsa.ResTickets, tid, map[string]any{"customfields": []map[string]any{
		{"id": 201, "value": "Slow backups"}, {"id": 204, "value": "$50K-$100K"}, {"id": 205, "value": "Immediate"}}})
	evs := e.waitEvents(auto, 9)
	checkSteps(t, evs[7:], []step{{"qualified", "promoted_to_opportunity", "auto_promote"}, {"promoted_to_opportunity", "new_opportunity", "follow"}})
	e.flush()
	oppID, _ := strconv.Atoi(evs[8].TicketID)
	opp := e.record(halopsa.ResOpportunities, oppID)
	if opp["summary"] != "Acme Ltd - Services" || num(opp["oppvalue"]) != 75000 || cf(opp, 305) != strconv.Itoa(tid) {
		t.Fatalf("opportunity %v", opp)
	}

	const manual = "lead-manual"
	tid2 := e.newLead(manual, "acme ltd|max manual", "Max Manual")
	e.toQualified(tid2, manual)
	e.set(halopsa.ResTickets, tid2, map[string]any{"status_id": 14})
	evs = e.waitEvents(manual, 9)
	checkSteps(t, evs[7:], []step{{"qualified", "promoted_to_opportunity", "manual"}, {"promoted_to_opportunity", "new_opportunity", "follow"}})
	e.flush()
	if n := e.sb.Count(halopsa.ResOpportunities); n != 2 {
		t.Fatalf("%d opportunities, want 2", n)
	}
	oppID, _ = strconv.Atoi(evs[8].TicketID)
	if cf(e.record(halopsa.ResOpportunities, oppID), 305) != strconv.Itoa(tid2) {
		t.Fatal("the manual promotion's opportunity does not point at its prospect")
	}

	// The probability follows the status until a person sets it (§7.5).
	e.set(halopsa.ResOpportunities, oppID, map[string]any{"status_id": 21})
	e.waitEvents(manual, 10)
	e.flush()
	if p := num(e.record(halopsa.ResOpportunities, oppID)["oppconversionprobability"]); p != 30 {
		t.Fatalf("probability %d at progressing, want 30", p)
	}
	e.set(halopsa.ResOpportunities, oppID, map[string]any{"oppconversionprobability": 55})
	fb := e.waitFeedback(manual, 1)
	if len(fb[0].Owned) != 1 || fb[0].Owned[0] != "ticket.oppconversionprobability" || fb[0].TicketID != oppID {
		t.Fatalf("feedback %+v", fb[0])
	}
	e.set(halopsa.ResOpportunities, oppID, map[string]any{"status_id": 22})
	e.waitEvents(manual, 11)
	e.flush()
	if p := num(e.record(halopsa.ResOpportunities, oppID)["oppconversionprobability"]); p != 55 {
		t.Fatalf("probability %d after a person set 55, want it kept", p)
	}
}

// TestDeliveryIDsAreForgotten: a delivery id is remembered for 7 days, then
// dropped from the stage's state (its changelog carries the tombstone).
func TestDeliveryIDsAreForgotten(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC).UnixNano())
	e := start(t, halosandbox.Options{}, true, func(s *crm.Stage) {
		s.Now = func() time.Time { return time.Unix(0, clock.Load()) }
	})
	const leadID = "lead-old"
	tid := e.newLead(leadID, "acme ltd|olga old", "Olga Old")
	e.set(halopsa.ResTickets, tid, map[string]any{"status_id": 2})
	e.waitEvents(leadID, 1)
	first := e.sb.Deliveries()[0].ID

	clock.Add(int64(crm.SeenRetention + 2*time.Hour))
	e.set(halopsa.ResTickets, tid, map[string]any{"status_id": 3})
	e.waitEvents(leadID, 2)
	// Generous: on a real broker under load the batch that prunes may
	// take a while to commit its changelog.
	deadline := time.Now().Add(time.Minute)
	for {
		forgotten := false
		err := pipeline.ReadTopic(e.ctx, e.brokers, e.ns.Topic(pipeline.ChangelogTopic("crm")), func(r *kgo.Record) {
			if string(r.Key) == "seen/"+first {
				forgotten = r.Value == nil
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if forgotten {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s still remembered after %s", first, crm.SeenRetention)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
