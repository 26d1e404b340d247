// Package crm is the stage that follows what people do in HaloPSA
// (crm.md §7, §8.1). It consumes the webhook deliveries the API put on
// halopsa.inbound, keyed by the Halo object id, so every delivery for one
// ticket or opportunity reaches the same partition and its snapshot.
//
// For each delivery it drops ids it has seen, ignores tickets that carry no
// leadstream marker (lead.TicketRef) or have an unconfigured ticket type,
// re-reads the object from HaloPSA (deliveries may arrive out of order and
// an embedded object may be stale) and diffs it against its snapshot:
//
//   - a status change goes through the workflow engine as a change a person
//     made (OriginHaloPSA): a legal move is a status_changed event on
//     leads.events, an illegal one a transition_refused event with the
//     reason, leaving the workflow state as it was;
//   - the automatic rules (§7.3) then run: auto_convert re-types the lead
//     ticket to a prospect (§6.5), auto_promote creates the opportunity and
//     closes the prospect (§6.6), and an opportunity's status sets its
//     probability; each step is an event too;
//   - a custom-field change that is not leadstream's own last write makes
//     the field person-owned (§7.5), and CF_105 or status 6 suppress the
//     lead, or lift the suppression (§7.4); both go to the sink as
//     pipeline.HaloFeedback on leads.enriched under the lead's key.
//
// Without a HaloPSA client (a dry run) transitions are recorded from the
// embedded object and no automation writes anything.
package crm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/internal/workflow"
	"github.com/leadstream/leadstream/pipeline"
)

// Event types on leads.events besides workflow.EventType.
const (
	// EventRefused is an illegal status change a person made in HaloPSA.
	EventRefused = "transition_refused"
)

// ObservedBy is how this stage sees changes: by webhook, or by the
// reconciliation poll (Poller) when a webhook was missed.
const (
	ObservedBy     = "webhook"
	ObservedByPoll = "poll"
)

// pollPrefix starts the ids of the deliveries the Poller makes.
const pollPrefix = "poll:"

// Table key prefixes.
const (
	keySeen   = "seen/" // delivery id → when it was first processed
	keyObject = "obj/"  // Halo object id → snapshot
)

// SeenRetention is how long a delivery id is remembered (crm.md §8.1).
const SeenRetention = 7 * 24 * time.Hour

// pruneEvery is how often a partition forgets delivery ids past
// SeenRetention.
const pruneEvery = time.Hour

// Stage is the crm stage.
type Stage struct {
	// Halo is the HaloPSA client, shared with the sink; nil runs dry.
	Halo *halopsa.Client
	// Workflow is the workflow engine (nil: the embedded default).
	Workflow *workflow.Engine
	// FitScore returns a lead's fit score (§3.3) for CF_206 at conversion;
	// nil, or no score, leaves CF_206 to the fill-empty rule.
	FitScore func(ctx context.Context, leadID string) (int, bool)
	// APIAgentID is the agent HaloPSA reports for leadstream's own API
	// writes; changes it made are echoes, not person edits (0: not used).
	APIAgentID int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger (default slog.Default()).
	Logger *slog.Logger
	// Metrics counts transitions and automations (nil: not counted).
	Metrics *Metrics
}

// Name implements pipeline.Stage.
func (Stage) Name() string { return "crm" }

// Input implements pipeline.Stage.
func (Stage) Input() string { return pipeline.TopicHaloInbound }

// Stateful implements pipeline.Stage.
func (Stage) Stateful() bool { return true }

// Open implements pipeline.Stage.
func (s Stage) Open(_ context.Context, partition int32, t *pipeline.Table) (pipeline.Processor, error) {
	eng := s.Workflow
	if eng == nil {
		var err error
		if eng, err = workflow.Default(); err != nil {
			return nil, err
		}
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	return &processor{stage: s, eng: eng, table: t, log: s.Logger.With("stage", "crm", "partition", partition)}, nil
}

// snapshot is what the stage last saw of one Halo object, and leadstream's
// workflow view of it.
type snapshot struct {
	ObjectID int    `json:"object_id"`
	LeadID   string `json:"lead_id"`
	Key      string `json:"key"`
	// Entity and Status are the workflow state: the status code the last
	// legal transition reached. A refused change leaves them.
	Entity string `json:"entity"`
	Status string `json:"status"`
	// HaloStatusID, TypeID and Fields are what HaloPSA last showed.
	HaloStatusID int               `json:"halo_status_id"`
	TypeID       int               `json:"type_id"`
	Fields       map[string]string `json:"fields,omitempty"`
	LastUpdate   time.Time         `json:"last_update"`
	// DeliveredAt is the newest delivery timestamp applied; it orders
	// embedded objects whose last_update ties (a dry run has no re-read).
	DeliveredAt time.Time `json:"delivered_at"`
	// Written holds the values leadstream itself last wrote, per field.
	Written map[string]string `json:"written,omitempty"`
	// Owned lists the person-owned fields ("ticket.CF_102").
	Owned         []string `json:"owned,omitempty"`
	Suppressed    bool     `json:"suppressed"`
	OpportunityID int      `json:"opportunity_id,omitempty"`
}

// Event is one record on leads.events: a workflow event plus where it
// came from.
type Event struct {
	workflow.Event
	LeadID     string    `json:"lead_id"`
	ObservedAt time.Time `json:"observed_at"`
	Reason     string    `json:"reason,omitempty"`
	DeliveryID string    `json:"delivery_id,omitempty"`
	HaloEvent  string    `json:"halo_event,omitempty"`
	// ProspectTicketID and OpportunityID are set on promotion events.
	ProspectTicketID string `json:"prospect_ticket_id,omitempty"`
	OpportunityID    string `json:"opportunity_id,omitempty"`
}

type processor struct {
	stage  Stage
	eng    *workflow.Engine
	table  *pipeline.Table
	log    *slog.Logger
	pruned time.Time
}

// Process implements pipeline.Processor.
func (p *processor) Process(ctx context.Context, in *pipeline.Envelope, out *pipeline.Emitter) error {
	if len(in.Inbound) == 0 {
		return nil // not a delivery
	}
	if err := p.prune(); err != nil {
		return err
	}
	var d delivery
	if err := json.Unmarshal(in.Inbound, &d); err != nil {
		return fmt.Errorf("crm: delivery %s: %w", in.TraceID, err)
	}
	if d.ID == "" {
		d.ID = in.Source.RecordID
	}
	if d.ID != "" {
		_, seen, err := p.table.Get(keySeen + d.ID)
		if err != nil {
			return err
		}
		if seen {
			p.log.Debug("duplicate delivery dropped", "delivery", d.ID)
			return nil
		}
		p.table.Put(keySeen+d.ID, []byte(p.stage.Now().UTC().Format(time.RFC3339)))
	}
	if d.ObjectID <= 0 || !ticketEvent(d) {
		p.log.Debug("delivery ignored", "event", d.Event)
		return nil
	}
	r := &run{p: p, ctx: ctx, out: out, d: d, now: p.stage.Now().UTC()}
	return r.handle()
}

// ticketEvent reports whether a delivery is about a ticket or opportunity.
func ticketEvent(d delivery) bool {
	if len(d.Ticket) > 0 && string(d.Ticket) != "null" {
		return true
	}
	switch d.Event {
	case "new ticket logged", "ticket status changed", "ticket updated", "action added":
		return true
	}
	return false
}

// run is the handling of one delivery.
type run struct {
	p   *processor
	ctx context.Context
	out *pipeline.Emitter
	d   delivery
	now time.Time
	seq int
}

// observedBy is "poll" for the Poller's deliveries, else "webhook".
func (r *run) observedBy() string {
	if strings.HasPrefix(r.d.ID, pollPrefix) {
		return ObservedByPoll
	}
	return ObservedBy
}

func (r *run) handle() error {
	p := r.p
	id := int(r.d.ObjectID)
	snap, known, err := p.load(id)
	if err != nil {
		return err
	}
	var embedded *ticket
	if len(r.d.Ticket) > 0 && string(r.d.Ticket) != "null" {
		var t ticket
		if err := json.Unmarshal(r.d.Ticket, &t); err != nil {
			return fmt.Errorf("crm: delivery %s: embedded ticket: %w", r.d.ID, err)
		}
		if int(t.ID) == id {
			embedded = &t
		}
	}
	// A ticket seen for the first time in its entity's initial status is
	// one the sink (or a person) just logged: nothing has happened to it
	// yet, and the delivered object is only recorded as the baseline, so
	// no re-read is spent on it (§8.1: re-read before acting, record from
	// the embedded object).
	baselineOnly := !known && embedded != nil && embedded.Details != "" &&
		func() bool {
			e := p.entityOf(embedded, snap)
			return e != "" && int(embedded.StatusID) == p.eng.StatusID(p.eng.Initial(e))
		}()
	if !known && embedded != nil && embedded.Details == "" && strings.HasPrefix(r.d.ID, pollPrefix) {
		// A poll row of a ticket never seen: if it is still in its initial
		// status nothing has happened to it (and list rows carry no details
		// to find its lead without a re-read).
		if e := p.entityOf(embedded, snap); e != "" && int(embedded.StatusID) == p.eng.StatusID(p.eng.Initial(e)) {
			return nil
		}
	}
	current := embedded
	if p.stage.Halo != nil && !baselineOnly {
		res := halopsa.ResTickets
		if (known && snap.Entity == workflow.EntityOpportunity) ||
			(!known && embedded != nil && p.entityOf(embedded, snap) == workflow.EntityOpportunity) {
			res = halopsa.ResOpportunities
		}
		var t ticket
		err := p.stage.Halo.Get(r.ctx, res, id, &t)
		if errors.Is(err, halopsa.ErrNotFound) {
			p.log.Info("ticket gone from HaloPSA; delivery ignored", "ticket", id)
			return nil
		}
		if err != nil {
			return fmt.Errorf("crm: re-read ticket %d: %w", id, err)
		}
		current = &t
	}
	if current == nil {
		return nil // an event-only payload in a dry run: nothing to diff
	}
	if leadID, key, ok := lead.ParseTicketRef(current.Details); ok {
		snap.LeadID, snap.Key = leadID, key
	}
	if snap.LeadID == "" {
		p.log.Debug("ticket without the leadstream marker ignored", "ticket", id)
		return nil
	}
	if p.entityOf(current, snap) == "" {
		p.log.Debug("ticket of an unconfigured type ignored", "ticket", id, "type", int(current.TicketTypeID))
		return nil
	}
	cu, dt := current.updated(), parseHaloTime(r.d.Timestamp)
	stale := known && !cu.IsZero() && cu.Before(snap.LastUpdate)
	if known && current == embedded && cu.Equal(snap.LastUpdate) && dt.Before(snap.DeliveredAt) {
		stale = true // last_update ties: the older delivery is the older state
	}
	if stale {
		p.log.Debug("stale delivery ignored", "ticket", id, "last_update", current.LastUpdate)
		return nil
	}
	if dt.After(snap.DeliveredAt) {
		snap.DeliveredAt = dt
	}
	// An embedded state between the snapshot and now (a delivery processed
	// after later changes) is recorded first, so no step is lost; on a
	// first sight it is the baseline the later changes are diffed against.
	var obs []*ticket
	if embedded != nil && embedded != current {
		if eu := embedded.updated(); !eu.IsZero() && eu.After(snap.LastUpdate) && eu.Before(cu) {
			obs = append(obs, embedded)
		}
	}
	obs = append(obs, current)
	first := !known
	if first {
		// The sink creates lead tickets in the initial status and the
		// promotion its opportunities; a first sight elsewhere is a move
		// from there.
		entity := p.entityOf(obs[0], snap)
		if entity == "" {
			entity = p.entityOf(current, snap)
		}
		snap.ObjectID = id
		snap.Entity = entity
		snap.Status = p.eng.Initial(entity)
		snap.HaloStatusID = p.eng.StatusID(snap.Status)
	}
	for i, o := range obs {
		if err := r.observe(snap, o, first && i == 0, i == len(obs)-1); err != nil {
			return err
		}
	}
	return p.save(snap)
}

// entityOf decides which workflow entity a ticket belongs to by its type:
// the lead or prospect type, the configured opportunity type, or (with a
// null opportunity type) a known opportunity or one carrying CF_305.
func (p *processor) entityOf(t *ticket, snap *snapshot) string {
	typ := int(t.TicketTypeID)
	for _, e := range []string{workflow.EntityLead, workflow.EntityProspect, workflow.EntityOpportunity} {
		if id, ok := p.eng.TicketTypeID(e); ok && id == typ {
			return e
		}
	}
	if _, ok := p.eng.TicketTypeID(workflow.EntityOpportunity); !ok {
		if snap.Entity == workflow.EntityOpportunity || t.fields()[cfPromotedFromPros] != "" {
			return workflow.EntityOpportunity
		}
	}
	return ""
}

// observe applies one observed state of the object to its snapshot:
// field ownership, suppression, the status transition and, for the
// current state, the automatic rules.
func (r *run) observe(snap *snapshot, o *ticket, first, final bool) error {
	p := r.p
	at := o.updated()
	if at.IsZero() {
		at = parseHaloTime(r.d.Timestamp)
	}
	if at.IsZero() {
		at = r.now
	}
	fields := o.fields()
	entity := p.entityOf(o, snap)

	// Fields a person changed become person-owned (§7.5).
	var changed, owned []string
	if !first {
		for k, v := range fields {
			if snap.Fields[k] != v {
				changed = append(changed, k)
			}
		}
		sort.Strings(changed)
	}
	echo := p.stage.APIAgentID != 0 && int(r.d.AgentID) == p.stage.APIAgentID
	for _, k := range changed {
		if k == cfDoNotContact || echo {
			continue
		}
		if w, ok := snap.Written[k]; ok && w == fields[k] {
			continue // leadstream's own write coming back
		}
		name := "ticket." + k
		if !slices.Contains(snap.Owned, name) {
			snap.Owned = append(snap.Owned, name)
			owned = append(owned, name)
		}
	}

	// Do-not-contact (§7.4): CF_105 true or status 6 on a lead ticket
	// suppresses; clearing both lifts.
	code, knownStatus := p.eng.StatusCode(entity, int(o.StatusID))
	statusChanged := int(o.StatusID) != snap.HaloStatusID
	dnc := truthy(fields[cfDoNotContact]) || (knownStatus && code == "do_not_contact")
	suppress := ""
	switch {
	case dnc && !snap.Suppressed:
		suppress, snap.Suppressed = "do_not_contact", true
	case !dnc && snap.Suppressed && (slices.Contains(changed, cfDoNotContact) || statusChanged):
		suppress, snap.Suppressed = "lift", false
	}

	// The status change, through the engine.
	movedTo := ""
	if statusChanged {
		switch {
		case !knownStatus:
			p.log.Warn("status not in the workflow configuration", "ticket", snap.ObjectID, "status_id", int(o.StatusID))
		case code == snap.Status:
			// Back to the workflow's status after a refused change: HaloPSA
			// and leadstream agree again; nothing moved.
		default:
			facts := workflow.Facts{Fields: fields, Suppressed: snap.Suppressed, Origin: workflow.OriginHaloPSA, ObservedBy: r.observedBy()}
			ev, err := p.eng.Transition(workflow.State{TicketID: strconv.Itoa(snap.ObjectID), Status: snap.Status}, code, facts, at)
			var refused *workflow.RefusedError
			switch {
			case errors.As(err, &refused):
				r.refuse(snap, code, refused.Reason, at)
			case err != nil:
				return fmt.Errorf("crm: ticket %d: %w", snap.ObjectID, err)
			default:
				r.emit(snap, Event{Event: ev})
				snap.Status, snap.Entity, movedTo = code, p.eng.Entity(code), code
			}
		}
		snap.HaloStatusID = int(o.StatusID)
	}
	r.absorb(snap, o)
	if suppress != "" || len(owned) > 0 {
		r.feedback(snap, suppress, owned, at)
	}
	if !final || p.stage.Halo == nil {
		return nil
	}

	// Automation (§7.3), on the current state only. Its steps are stamped
	// now, and never before the change that caused them.
	state := workflow.State{TicketID: strconv.Itoa(snap.ObjectID), Status: snap.Status}
	autoAt := r.now
	if at.After(autoAt) {
		autoAt = at
	}
	switch {
	case movedTo != "" && p.eng.Follow(movedTo) != "":
		// A person set 8 or 14 (manual conversion or promotion).
		facts := workflow.Facts{Fields: fields, Suppressed: snap.Suppressed, Origin: workflow.OriginEngine}
		ev, err := p.eng.Transition(state, p.eng.Follow(movedTo), facts, autoAt)
		if err != nil {
			return nil // the follow step is always configured; nothing to do otherwise
		}
		return r.counted(r.manualRule(movedTo), r.advance(snap, o, movedTo, []workflow.Event{ev}))
	case movedTo != "" || (snap.Status == "qualified" && overlaps(changed, promoteFields)):
		evs := p.eng.Auto(state, workflow.Facts{Fields: fields, Suppressed: snap.Suppressed}, autoAt)
		if len(evs) > 0 {
			return r.counted(evs[0].Trigger, r.advance(snap, o, evs[0].To, evs))
		}
		for _, rule := range p.eng.RulesAt(snap.Status) {
			r.p.stage.Metrics.automation(rule, "skipped") // a condition does not hold
		}
		if movedTo != "" && snap.Entity == workflow.EntityOpportunity {
			if r.owns(snap, fieldProbability) {
				r.p.stage.Metrics.automation(ruleProbability, "skipped")
				return nil
			}
			return r.counted(ruleProbability, r.probability(snap, o))
		}
	}
	return nil
}

// counted counts an automation's result and passes its error on.
func (r *run) counted(rule string, err error) error {
	if err != nil {
		r.p.stage.Metrics.automation(rule, "error")
		return err
	}
	r.p.stage.Metrics.automation(rule, "done")
	return nil
}

// manualRule names the automation a person starts by setting an advance
// status.
func (r *run) manualRule(advance string) string {
	if r.p.eng.Follow(advance) == r.p.eng.Initial(workflow.EntityProspect) {
		return ruleManualConversion
	}
	return ruleManualPromotion
}

// absorb makes o the snapshot's view of HaloPSA.
func (r *run) absorb(snap *snapshot, o *ticket) {
	snap.Fields = o.fields()
	snap.TypeID = int(o.TicketTypeID)
	if u := o.updated(); u.After(snap.LastUpdate) {
		snap.LastUpdate = u
	}
}

// advance carries out the write behind an advance status (conversion or
// promotion) and, once it is done, emits evs.
func (r *run) advance(snap *snapshot, o *ticket, advance string, evs []workflow.Event) error {
	var extra func(*Event)
	switch r.p.eng.Follow(advance) {
	case "":
		return nil
	case r.p.eng.Initial(workflow.EntityProspect):
		if err := r.convert(snap, o); err != nil {
			return err
		}
	case r.p.eng.Initial(workflow.EntityOpportunity):
		oppID, err := r.promote(snap, o)
		if err != nil {
			return err
		}
		prospect := strconv.Itoa(snap.ObjectID)
		extra = func(e *Event) {
			e.ProspectTicketID, e.OpportunityID = prospect, strconv.Itoa(oppID)
			if e.Entity == workflow.EntityOpportunity {
				e.TicketID = strconv.Itoa(oppID) // the opportunity's own log starts here
			}
		}
	}
	for _, ev := range evs {
		e := Event{Event: ev}
		if extra != nil {
			extra(&e)
		}
		r.emit(snap, e)
		if e.Entity != workflow.EntityOpportunity {
			snap.Status, snap.Entity = ev.To, ev.Entity
		} else {
			snap.Status, snap.Entity = advance, r.p.eng.Entity(advance)
		}
	}
	return nil
}

// refuse records an illegal change; the workflow state stays.
func (r *run) refuse(snap *snapshot, to, reason string, at time.Time) {
	r.p.log.Info("status change refused", "ticket", snap.ObjectID, "from", snap.Status, "to", to, "reason", reason)
	if r.p.eng.Follow(to) != "" {
		r.p.stage.Metrics.automation(r.manualRule(to), "refused")
	}
	r.emit(snap, Event{Event: workflow.Event{
		Type: EventRefused, TicketID: strconv.Itoa(snap.ObjectID), Entity: r.p.eng.Entity(to),
		From: snap.Status, FromID: r.p.eng.StatusID(snap.Status), To: to, ToID: r.p.eng.StatusID(to),
		At: at.UTC(), Trigger: workflow.TriggerManual, ObservedBy: r.observedBy(),
	}, Reason: reason})
}

// emit publishes an event on leads.events under the lead's key.
func (r *run) emit(snap *snapshot, e Event) {
	e.LeadID = snap.LeadID
	e.ObservedAt = r.now
	e.DeliveryID = r.d.ID
	e.HaloEvent = r.d.Event
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	if e.Type == workflow.EventType {
		r.p.stage.Metrics.transition(e.Entity, e.From, e.To, e.OffPath)
	}
	r.seq++
	env := &pipeline.Envelope{
		TraceID:   fmt.Sprintf("crm:%s:%d", r.d.ID, r.seq),
		Source:    pipeline.Source{Provider: "halopsa", RecordID: r.d.ID},
		FirstSeen: r.now,
		LeadID:    snap.LeadID,
		Event:     b,
	}
	r.out.Emit(pipeline.TopicEvents, leadKey(snap), env)
}

// feedback tells the sink about suppression and person-owned fields.
func (r *run) feedback(snap *snapshot, suppress string, owned []string, at time.Time) {
	r.seq++
	env := &pipeline.Envelope{
		TraceID:   fmt.Sprintf("crm:%s:%d", r.d.ID, r.seq),
		Source:    pipeline.Source{Provider: "halopsa", RecordID: r.d.ID},
		FirstSeen: r.now,
		LeadID:    snap.LeadID,
		Feedback:  &pipeline.HaloFeedback{TicketID: snap.ObjectID, Suppress: suppress, Owned: owned, At: at.UTC()},
	}
	r.out.Emit(pipeline.TopicEnriched, leadKey(snap), env)
}

func leadKey(snap *snapshot) string {
	if snap.Key != "" {
		return snap.Key
	}
	return snap.LeadID
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// prune forgets delivery ids older than SeenRetention, at most once per
// pruneEvery.
func (p *processor) prune() error {
	now := p.stage.Now()
	if now.Sub(p.pruned) < pruneEvery {
		return nil
	}
	p.pruned = now
	cut := now.Add(-SeenRetention)
	n := 0
	err := p.table.Scan(keySeen, func(key string, v []byte) (bool, error) {
		if at, err := time.Parse(time.RFC3339, string(v)); err != nil || at.Before(cut) {
			p.table.Delete(key)
			n++
		}
		return true, nil
	})
	if n > 0 {
		p.log.Debug("delivery ids forgotten", "count", n)
	}
	return err
}

func (p *processor) load(id int) (*snapshot, bool, error) {
	b, ok, err := p.table.Get(keyObject + strconv.Itoa(id))
	if err != nil || !ok {
		return &snapshot{}, false, err
	}
	var s snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, false, fmt.Errorf("crm: corrupt snapshot of %d: %w", id, err)
	}
	return &s, true, nil
}

func (p *processor) save(s *snapshot) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("crm: encode snapshot: %w", err)
	}
	p.table.Put(keyObject+strconv.Itoa(s.ObjectID), b)
	return nil
}
