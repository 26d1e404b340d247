package crm

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/internal/workflow"
	"github.com/leadstream/leadstream/pipeline"
)

// DefaultPollInterval is crm.md §7.6's polling_interval_minutes.
const DefaultPollInterval = 15 * time.Minute

// Poller is the reconciliation poll of crm.md §7.6: HaloPSA does not
// promise webhook retries, so every Interval it lists the lead, prospect
// and opportunity tickets changed since the last poll (less five minutes)
// and hands each row to the crm stage as a delivery on halopsa.inbound,
// with the id "poll:<ticket>:<last_update>" so a change is handled once,
// however often it is seen. The stage diffs it against its snapshot like
// a webhook and marks what it finds observed_by "poll".
type Poller struct {
	Halo     *halopsa.Client
	Workflow *workflow.Engine // nil: the embedded default
	Interval time.Duration    // default DefaultPollInterval
	// Send produces one delivery envelope to halopsa.inbound under key.
	Send   func(ctx context.Context, key string, env *pipeline.Envelope) error
	Logger *slog.Logger
	Now    func() time.Time
}

// Run polls until ctx ends. The first poll covers one interval back.
func (p *Poller) Run(ctx context.Context) error {
	p.defaults()
	eng := p.Workflow
	if eng == nil {
		var err error
		if eng, err = workflow.Default(); err != nil {
			return err
		}
	}
	since := p.Now().Add(-p.Interval)
	t := time.NewTicker(p.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		started := p.Now()
		n, err := p.Poll(ctx, eng, since)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			p.Logger.Warn("reconciliation poll failed; the next one covers this window too", "err", err)
			continue
		}
		p.Logger.Info("reconciliation poll", "since", since.UTC().Format(time.RFC3339), "tickets", n)
		since = started
	}
}

func (p *Poller) defaults() {
	if p.Interval <= 0 {
		p.Interval = DefaultPollInterval
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
}

// Poll lists the tickets of every workflow entity changed since since
// (less five minutes) and sends each as a delivery. It returns how many it
// sent.
func (p *Poller) Poll(ctx context.Context, eng *workflow.Engine, since time.Time) (int, error) {
	p.defaults()
	from := since.Add(-5 * time.Minute).UTC().Format("2006-01-02T15:04:05")
	sent := 0
	for _, entity := range []string{workflow.EntityLead, workflow.EntityProspect, workflow.EntityOpportunity} {
		resource := halopsa.ResTickets
		if entity == workflow.EntityOpportunity {
			resource = halopsa.ResOpportunities
		}
		q := url.Values{"lastupdatefromdate": {from}}
		if id, ok := eng.TicketTypeID(entity); ok {
			q.Set("requesttype_id", strconv.Itoa(id))
		} else if entity != workflow.EntityOpportunity {
			continue
		}
		var rows []json.RawMessage
		err := p.Halo.List(ctx, resource, q, func(row json.RawMessage) error {
			rows = append(rows, append(json.RawMessage(nil), row...))
			return nil
		})
		if err != nil {
			return sent, fmt.Errorf("crm poll: list %s: %w", resource, err)
		}
		for _, row := range rows {
			var t struct {
				ID         flexInt `json:"id"`
				LastUpdate string  `json:"last_update"`
			}
			if err := json.Unmarshal(row, &t); err != nil || t.ID <= 0 {
				continue
			}
			d, err := json.Marshal(map[string]any{
				"id": fmt.Sprintf("%s%d:%s", pollPrefix, int(t.ID), t.LastUpdate), "event": "ticket updated",
				"object_id": int(t.ID), "timestamp": t.LastUpdate, "ticket": row,
			})
			if err != nil {
				return sent, fmt.Errorf("crm poll: %w", err)
			}
			id := strconv.Itoa(int(t.ID))
			env := &pipeline.Envelope{TraceID: "poll:" + id, Source: pipeline.Source{Provider: "halopsa", RecordID: id},
				FirstSeen: p.Now().UTC(), Inbound: d}
			if err := p.Send(ctx, id, env); err != nil {
				return sent, fmt.Errorf("crm poll: %w", err)
			}
			sent++
		}
	}
	return sent, nil
}
