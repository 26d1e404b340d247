package crm_test

import (
	"context"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
	"github.com/leadstream/leadstream/internal/workflow"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/crm"
)

// TestPollFindsMissedChanges: with no webhook reaching leadstream, the
// reconciliation poll still turns a person's status change into a
// transition (observed_by poll), once, however often it polls.
func TestPollFindsMissedChanges(t *testing.T) {
	e := startWith(t, halosandbox.Options{}, true, false)
	const leadID, key = "lead-poll", "d:poll.example"
	tid := e.newLead(leadID, key, "Pat Poll")
	eng, err := workflow.Default()
	if err != nil {
		t.Fatal(err)
	}
	send := func(ctx context.Context, k string, env *pipeline.Envelope) error {
		rec, err := env.Record(e.ns.Topic(pipeline.TopicHaloInbound), k)
		if err != nil {
			return err
		}
		return e.cl.ProduceSync(ctx, rec).FirstErr()
	}
	p := &crm.Poller{Halo: e.halo, Send: send, Logger: logger()}
	since := time.Now().Add(-time.Minute)

	if _, err := p.Poll(e.ctx, eng, since); err != nil {
		t.Fatal(err)
	}
	e.set("Tickets", tid, map[string]any{"status_id": eng.StatusID("researching")})
	for range 3 {
		if _, err := p.Poll(e.ctx, eng, since); err != nil {
			t.Fatal(err)
		}
	}
	evs := e.waitEvents(leadID, 1)
	if evs[0].From != "new_lead" || evs[0].To != "researching" || evs[0].ObservedBy != crm.ObservedByPoll {
		t.Fatalf("event %+v, want new_lead → researching observed by poll", evs[0])
	}
	time.Sleep(500 * time.Millisecond)
	if evs := e.events(leadID); len(evs) != 1 {
		t.Errorf("%d events after polling the same change again, want 1:\n%s", len(evs), describe(evs))
	}
}
