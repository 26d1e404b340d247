// Package sink is the last stage: it writes each unique lead to HaloPSA as
// a Client (with its main site), a User and a lead Ticket carrying
// CF_101–CF_113 (crm.md §6.2–§6.4), and publishes the record's outcome on
// leads.synced.
//
// Writes are batched: the records of one poll are written with one POSTed
// array per resource (Client, then Users, then Tickets), so the requests
// per synced lead stay far below one. They are idempotent across crashes,
// restarts and replays: every returned id is stored in the partition's
// state (and its changelog) before the next dependent call, a create is
// preceded by a durable intent marker, and a lead whose marker survived an
// interrupted batch is resolved by search (Users by e-mail, Tickets by the
// lead id in details, Clients by name) before anything is created again.
//
// Later records of a known lead only fill fields that are still empty and
// not person-owned (§7.5); do-not-contact leads are never written again
// apart from CF_105 (§7.4) and end as "suppressed". Without HaloPSA
// credentials the sink runs dry: the same code records the writes it would
// make in its state instead of sending them.
package sink

import (
	"context"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/index"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// Options configures the sink. Zero values take the defaults noted
// (crm.md §6.4).
type Options struct {
	// Halo is the tenant client; nil runs dry.
	Halo *halopsa.Client
	// LeadTicketTypeID, NewStatusID and PriorityID are the lead ticket's
	// type, first status and priority (defaults 1, 1, 3).
	LeadTicketTypeID int
	NewStatusID      int
	PriorityID       int
	// DNCStatusID is the "Do Not Contact" status (default 6).
	DNCStatusID int
	// FallbackClientID holds contacts without an organisation; 0 finds or
	// creates a Client named FallbackClientName.
	FallbackClientID   int
	FallbackClientName string
	// SuppressionKey is the HMAC key of the do-not-contact list's entries
	// (leads.suppressions), which the sink writes when a lead becomes
	// suppressed.
	SuppressionKey []byte
	// Logger (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Metrics count custom-field mismatches and observe end-to-end
	// latency (nil: none).
	Metrics *Metrics
}

// Stage is the sink stage. Make it with New.
type Stage struct {
	opts Options
	log  *slog.Logger

	resolveMu sync.Mutex
	fields    *fieldSet
	clients   clientIndex
}

// New returns the sink stage.
func New(opts Options) *Stage {
	if opts.LeadTicketTypeID == 0 {
		opts.LeadTicketTypeID = 1
	}
	if opts.NewStatusID == 0 {
		opts.NewStatusID = 1
	}
	if opts.PriorityID == 0 {
		opts.PriorityID = 3
	}
	if opts.DNCStatusID == 0 {
		opts.DNCStatusID = 6
	}
	if opts.FallbackClientName == "" {
		opts.FallbackClientName = "leadstream: contacts without a company"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Stage{opts: opts, log: opts.Logger.With("stage", "sink")}
}

// Name implements pipeline.Stage.
func (*Stage) Name() string { return "sink" }

// Input implements pipeline.Stage.
func (*Stage) Input() string { return pipeline.TopicEnriched }

// Stateful implements pipeline.Stage.
func (*Stage) Stateful() bool { return true }

// HasSideEffects implements pipeline.SideEffecter: HaloPSA writes are made
// idempotent by the sink, not by Kafka transactions.
func (s *Stage) HasSideEffects() bool { return s.opts.Halo != nil }

// BatchTuning implements pipeline.BatchTuner: writing to HaloPSA, the sink
// gathers up to 1,500 records for up to two seconds per batch, so its
// arrays are full and the requests per lead stay low.
func (s *Stage) BatchTuning() pipeline.BatchTuning {
	if s.opts.Halo == nil {
		return pipeline.BatchTuning{}
	}
	return pipeline.BatchTuning{MaxRecords: 1500, MaxWait: 2 * time.Second}
}

// Open implements pipeline.Stage. The first open checks the tenant's
// custom fields (crm.md §5.1); a missing required field is a fatal
// configuration error.
func (s *Stage) Open(ctx context.Context, _ int32, t *pipeline.Table) (pipeline.Processor, error) {
	st := state{t}
	p := &processor{stage: s, st: st}
	if s.opts.Halo == nil {
		p.w = dry{st: st}
		p.fields = defaultFieldSet()
		return p, nil
	}
	fields, err := s.resolve(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.clients.load(ctx, s.opts.Halo); err != nil {
		return nil, err
	}
	p.w = live{c: s.opts.Halo}
	p.fields = fields
	return p, nil
}

// resolve reads the tenant's custom fields once; a failure is retried on
// the next open.
func (s *Stage) resolve(ctx context.Context) (*fieldSet, error) {
	s.resolveMu.Lock()
	defer s.resolveMu.Unlock()
	if s.fields != nil {
		return s.fields, nil
	}
	fs, err := resolveFields(ctx, s.opts.Halo, s.log)
	if err != nil {
		return nil, err
	}
	s.fields = fs
	return fs, nil
}

type processor struct {
	stage  *Stage
	st     state
	w      writer
	fields *fieldSet
}

// Process handles one record as a batch of one.
func (p *processor) Process(ctx context.Context, in *pipeline.Envelope, out *pipeline.Emitter) error {
	errs, err := p.ProcessBatch(ctx, []*pipeline.Envelope{in}, []*pipeline.Emitter{out})
	if err != nil {
		return err
	}
	return errs[0]
}

// item is one lead record of a batch on its way to HaloPSA.
type item struct {
	i     int
	in    *pipeline.Envelope
	m     mapping
	org   string // organisation key, fallbackOrg for none
	prior intent // what an interrupted earlier attempt was about to create
	err   error
}

// ProcessBatch implements pipeline.BatchProcessor.
func (p *processor) ProcessBatch(ctx context.Context, batch []*pipeline.Envelope, outs []*pipeline.Emitter) ([]error, error) {
	errs := make([]error, len(batch))
	var items []*item
	creating := map[string]*item{}
	for i, in := range batch {
		if in.Feedback != nil {
			errs[i] = p.feedback(in, outs[i])
			continue
		}
		if in.Lead == nil || in.LeadID == "" {
			errs[i] = fmt.Errorf("sink: record %s has no lead id", in.TraceID)
			continue
		}
		it := &item{i: i, in: in}
		if _, err := p.st.get(keyMapping+in.LeadID, &it.m); err != nil {
			errs[i] = err
			continue
		}
		items = append(items, it)
		if (it.m.TicketID != 0 && it.m.UserID != 0) || it.m.Suppressed || in.Lead.DoNotContact || creating[in.LeadID] != nil {
			continue
		}
		// The first record of a lead without a complete set of records
		// creates what is missing.
		if _, err := p.st.get(keyIntent+in.LeadID, &it.prior); err != nil {
			errs[i] = err
			continue
		}
		it.org = orgKey(in.Lead)
		if it.m.OrgKey != "" {
			it.org = it.m.OrgKey
		}
		creating[in.LeadID] = it
	}
	var creators []*item
	for _, it := range items {
		if creating[it.in.LeadID] == it {
			creators = append(creators, it)
		}
	}
	if len(creators) > 0 {
		if err := p.create(ctx, creators); err != nil {
			return nil, err
		}
	}
	if err := p.update(ctx, items); err != nil {
		return nil, err
	}
	for _, it := range items {
		if it.err != nil {
			errs[it.i] = it.err
			continue
		}
		in := it.in
		if it.m.Suppressed || in.Lead.DoNotContact {
			// Every record of a suppressed lead (re)lists its e-mails and
			// phones: what it adds is caught next time too.
			p.listSuppression(outs[it.i], in.LeadID, in.Lead, it.m, "provider")
		}
		switch {
		case it.m.Suppressed || in.Lead.DoNotContact:
			in.Outcome, in.Reasons = pipeline.OutcomeSuppressed, []string{pipeline.ReasonDoNotContact}
		case in.Decision != "" && in.Decision != "new":
			in.Outcome = pipeline.OutcomeMerged
		default:
			in.Outcome = pipeline.OutcomeSynced
		}
		if in.Outcome != pipeline.OutcomeSuppressed {
			p.written(in)
		}
		if it.m.TicketID != 0 {
			in.Halo = &pipeline.HaloRef{TicketID: it.m.TicketID, StatusID: it.m.StatusID}
		}
		outs[it.i].Emit(pipeline.TopicSynced, in.TraceID, in)
		// The lead as it now stands, for the API's leads views.
		outs[it.i].Emit(pipeline.TopicCurrent, in.LeadID, in)
	}
	return errs, nil
}

// create writes the missing Client, User and Ticket of each creator, in
// that order, storing each id durably before the next dependent call.
func (p *processor) create(ctx context.Context, creators []*item) error {
	if err := p.createClients(ctx, creators); err != nil {
		return err
	}
	if err := p.createUsers(ctx, creators); err != nil {
		return err
	}
	if err := p.createTickets(ctx, creators); err != nil {
		return err
	}
	for _, it := range creators {
		if it.err == nil && it.m.TicketID != 0 {
			p.st.t.Delete(keyIntent + it.in.LeadID)
		}
	}
	return nil
}

// createClients resolves or creates the Client of every creator's
// organisation: the stored record, then (after an interrupted create, and
// always for the fallback client) a search by name, then one array POST.
func (p *processor) createClients(ctx context.Context, creators []*item) error {
	type orgWork struct {
		key, name string
		first     *item
		members   []*item
		rec       orgRecord
	}
	var todo []*orgWork
	byKey := map[string]*orgWork{}
	for _, it := range creators {
		if it.m.ClientID != 0 {
			continue
		}
		if it.org == fallbackOrg && p.stage.opts.FallbackClientID != 0 {
			it.m.ClientID = p.stage.opts.FallbackClientID
			continue
		}
		ow := byKey[it.org]
		if ow == nil {
			ow = &orgWork{key: it.org, name: orgName(it.in.Lead, it.org), first: it}
			if it.org == fallbackOrg {
				ow.name = p.stage.opts.FallbackClientName
			}
			found, err := p.st.get(keyOrg+it.org, &ow.rec)
			if err != nil {
				return err
			}
			if !found {
				interrupted, err := p.st.has(keyOrgIntent + it.org)
				if err != nil {
					return err
				}
				switch {
				case interrupted || it.org == fallbackOrg:
					id, site, err := p.w.findClient(ctx, ow.name)
					if err := fatal(ctx, err); err != nil {
						return err
					}
					if err != nil {
						it.err = err
						continue
					}
					ow.rec = orgRecord{ClientID: id, SiteID: site, Adopted: it.org == fallbackOrg}
				default:
					if rec, ok := p.stage.clients.lookup(it.org, ow.name); ok {
						ow.rec = rec
					}
				}
			}
			byKey[it.org] = ow
			if ow.rec.ClientID == 0 {
				todo = append(todo, ow)
			}
		}
		ow.members = append(ow.members, it)
	}
	if len(todo) > 0 {
		items := make([]map[string]any, len(todo))
		leads := make([]string, len(todo))
		for i, ow := range todo {
			if err := p.st.put(keyOrgIntent+ow.key, ow.first.in.LeadID); err != nil {
				return err
			}
			items[i] = p.clientBody(ow.name, ow.first.in.Lead, ow.key == fallbackOrg)
			leads[i] = ow.first.in.LeadID
		}
		if err := p.st.t.Commit(ctx); err != nil {
			return err
		}
		results, failed, err := p.w.upsert(ctx, halopsa.ResClient, items, leads)
		if err := fatal(ctx, err); err != nil {
			return err
		}
		for i, ow := range todo {
			if cause := itemError(halopsa.ResClient, i, results, failed, err); cause != nil {
				for _, it := range ow.members {
					it.err = cause
				}
				continue
			}
			var a halopsa.Area
			if err := json.Unmarshal(results[i], &a); err != nil || a.ID == 0 {
				for _, it := range ow.members {
					it.err = fmt.Errorf("sink: HaloPSA answered a Client create without an id: %s", truncate(results[i]))
				}
				continue
			}
			ow.rec = orgRecord{ClientID: a.ID, SiteID: a.MainSiteID}
			p.stage.clients.add(ow.key, ow.name, ow.rec)
		}
	}
	for _, ow := range byKey {
		if ow.rec.ClientID == 0 {
			continue
		}
		if err := p.st.put(keyOrg+ow.key, ow.rec); err != nil {
			return err
		}
		p.st.t.Delete(keyOrgIntent + ow.key)
		for _, it := range ow.members {
			if it.err == nil {
				it.m.OrgKey, it.m.ClientID, it.m.SiteID = ow.key, ow.rec.ClientID, ow.rec.SiteID
				if err := p.save(it); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// createUsers resolves or creates each creator's User. Users whose create
// may have reached HaloPSA before an interruption are looked for first,
// one listing per Client.
func (p *processor) createUsers(ctx context.Context, creators []*item) error {
	found := map[int][]halopsa.User{}
	for _, it := range creators {
		if it.err != nil || it.m.UserID != 0 || it.m.ClientID == 0 {
			continue
		}
		adopted, err := p.adopted(it)
		if err != nil {
			return err
		}
		if it.prior.Phase != phaseUser && !adopted {
			continue
		}
		us, ok := found[it.m.ClientID]
		if !ok {
			var err error
			us, err = p.w.usersOf(ctx, it.m.ClientID)
			if err := fatal(ctx, err); err != nil {
				return err
			}
			if err != nil {
				it.err = err
				continue
			}
			found[it.m.ClientID] = us
		}
		if id := matchUser(us, it.in.Lead); id != 0 {
			it.m.UserID = id
			if it.prior.Phase == phaseUser {
				// leadstream's own create, interrupted before its id was
				// stored: what it wrote is the lead's.
				it.m.User = stringFields(p.userBody(it.in.Lead, it.m))
			} else {
				// A contact people keep in HaloPSA: leadstream links the
				// lead to it and never writes its fields.
				for k := range stringFields(p.userBody(it.in.Lead, it.m)) {
					it.m.Owned = append(it.m.Owned, ownedUser+k)
				}
			}
			if err := p.save(it); err != nil {
				return err
			}
		}
	}
	var todo []*item
	var items []map[string]any
	var leads []string
	for _, it := range creators {
		if it.err != nil || it.m.UserID != 0 || it.m.ClientID == 0 {
			continue
		}
		todo = append(todo, it)
		items = append(items, p.userBody(it.in.Lead, it.m))
		leads = append(leads, it.in.LeadID)
	}
	if err := p.intend(ctx, todo, phaseUser); err != nil || len(todo) == 0 {
		return err
	}
	results, failed, err := p.w.upsert(ctx, halopsa.ResUsers, items, leads)
	if err := fatal(ctx, err); err != nil {
		return err
	}
	for i, it := range todo {
		if cause := itemError(halopsa.ResUsers, i, results, failed, err); cause != nil {
			it.err = cause
			continue
		}
		var u halopsa.User
		if err := json.Unmarshal(results[i], &u); err != nil || u.ID == 0 {
			it.err = fmt.Errorf("sink: HaloPSA answered a Users create without an id: %s", truncate(results[i]))
			continue
		}
		it.m.UserID = u.ID
		it.m.User = stringFields(items[i])
		if err := p.save(it); err != nil {
			return err
		}
	}
	return nil
}

// adopted reports whether the lead's Client was in HaloPSA before
// leadstream (its Users may already hold the contact).
func (p *processor) adopted(it *item) (bool, error) {
	if it.m.OrgKey == "" {
		return it.m.ClientID == p.stage.opts.FallbackClientID, nil
	}
	var rec orgRecord
	if _, err := p.st.get(keyOrg+it.m.OrgKey, &rec); err != nil {
		return false, err
	}
	return rec.Adopted, nil
}

// intend marks the items as about to be created in phase and makes that,
// with every id stored so far, durable before the call.
func (p *processor) intend(ctx context.Context, todo []*item, phase string) error {
	now := p.stage.opts.Now().UTC()
	for _, it := range todo {
		if err := p.st.put(keyIntent+it.in.LeadID, intent{Phase: phase, At: now}); err != nil {
			return err
		}
	}
	return p.st.t.Commit(ctx)
}

// createTickets resolves or creates each creator's lead ticket. Tickets
// whose create may have reached HaloPSA before an interruption are looked
// for first, in one listing of the lead tickets changed since then.
func (p *processor) createTickets(ctx context.Context, creators []*item) error {
	var since time.Time
	for _, it := range creators {
		if it.err == nil && it.m.TicketID == 0 && it.prior.Phase == phaseTicket && (since.IsZero() || it.prior.At.Before(since)) {
			since = it.prior.At
		}
	}
	if !since.IsZero() {
		found, err := p.w.leadTickets(ctx, p.stage.opts.LeadTicketTypeID, since.Add(-5*time.Minute))
		if err := fatal(ctx, err); err != nil {
			return err
		}
		for _, it := range creators {
			if it.err != nil || it.m.TicketID != 0 || it.prior.Phase != phaseTicket {
				continue
			}
			if err != nil {
				it.err = err
				continue
			}
			if id := found[it.m.UserID]; id != 0 {
				_, cfs := p.ticketBody(it)
				it.m.TicketID, it.m.StatusID, it.m.Ticket = id, p.stage.opts.NewStatusID, cfValues(cfs, p.fields)
				if err := p.save(it); err != nil {
					return err
				}
			}
		}
	}
	var todo []*item
	var items []map[string]any
	var leads []string
	var sent [][]halopsa.CustomField
	for _, it := range creators {
		if it.err != nil || it.m.TicketID != 0 || it.m.UserID == 0 {
			continue
		}
		body, cfs := p.ticketBody(it)
		todo = append(todo, it)
		items = append(items, body)
		leads = append(leads, it.in.LeadID)
		sent = append(sent, cfs)
	}
	if err := p.intend(ctx, todo, phaseTicket); err != nil || len(todo) == 0 {
		return err
	}
	results, failed, err := p.w.upsert(ctx, halopsa.ResTickets, items, leads)
	if err := fatal(ctx, err); err != nil {
		return err
	}
	for i, it := range todo {
		if cause := itemError(halopsa.ResTickets, i, results, failed, err); cause != nil {
			it.err = cause
			continue
		}
		var t halopsa.Ticket
		if err := json.Unmarshal(results[i], &t); err != nil || t.ID == 0 {
			it.err = fmt.Errorf("sink: HaloPSA answered a Tickets create without an id: %s", truncate(results[i]))
			continue
		}
		p.verify(it.in.LeadID, sent[i], t.CustomFields)
		it.m.TicketID, it.m.StatusID, it.m.Ticket = t.ID, p.stage.opts.NewStatusID, cfValues(sent[i], p.fields)
		if err := p.save(it); err != nil {
			return err
		}
	}
	return nil
}

// update applies the fill-empty rule to every known lead of the batch and
// writes CF_105 for newly suppressed ones, one array per resource.
func (p *processor) update(ctx context.Context, items []*item) error {
	type pending struct {
		body map[string]any
		its  []*item
	}
	users := map[int]*pending{}
	tickets := map[int]*pending{}
	var userOrder, ticketOrder []int
	add := func(into map[int]*pending, order *[]int, id int, fields map[string]any, it *item) {
		pd := into[id]
		if pd == nil {
			pd = &pending{body: map[string]any{"id": id}}
			into[id] = pd
			*order = append(*order, id)
		}
		for k, v := range fields {
			if k == "customfields" {
				prev, _ := pd.body[k].([]halopsa.CustomField)
				pd.body[k] = append(prev, v.([]halopsa.CustomField)...)
				continue
			}
			pd.body[k] = v
		}
		pd.its = append(pd.its, it)
	}
	for _, it := range items {
		if it.err != nil {
			continue
		}
		// Reload: an earlier record of the same lead may have changed it.
		if _, err := p.st.get(keyMapping+it.in.LeadID, &it.m); err != nil {
			return err
		}
		l := it.in.Lead
		if l.DoNotContact && !it.m.Suppressed {
			it.m.Suppressed = true
			if err := p.save(it); err != nil {
				return err
			}
		}
		if it.m.Suppressed {
			if it.m.TicketID != 0 && !it.m.DNCWritten {
				fields := map[string]any{"customfields": p.fields.values([]cfValue{{"CF_105", "true"}})}
				if it.m.StatusID == p.stage.opts.NewStatusID || it.m.StatusID == 2 {
					fields["status_id"] = p.stage.opts.DNCStatusID
				}
				add(tickets, &ticketOrder, it.m.TicketID, fields, it)
			}
			continue
		}
		if it.m.UserID != 0 {
			if f := fillEmpty(p.userBody(l, it.m), it.m.User, func(k string) bool { return it.m.owned(ownedUser + k) }); len(f) > 0 {
				add(users, &userOrder, it.m.UserID, f, it)
			}
		}
		if it.m.TicketID != 0 {
			var fresh []cfValue
			for _, cv := range p.ticketCFs(l) {
				if it.m.Ticket[cv.key] == "" && !it.m.owned(ownedTicketCF+cv.key) {
					fresh = append(fresh, cv)
				}
			}
			if len(fresh) > 0 {
				add(tickets, &ticketOrder, it.m.TicketID, map[string]any{"customfields": p.fields.values(fresh)}, it)
			}
		}
	}
	send := func(resource string, into map[int]*pending, order []int, done func(it *item, body map[string]any)) error {
		if len(order) == 0 {
			return nil
		}
		items := make([]map[string]any, len(order))
		leads := make([]string, len(order))
		for i, id := range order {
			items[i] = into[id].body
			leads[i] = into[id].its[0].in.LeadID
		}
		results, failed, err := p.w.upsert(ctx, resource, items, leads)
		if err := fatal(ctx, err); err != nil {
			return err
		}
		for i, id := range order {
			if cause := itemError(resource, i, results, failed, err); cause != nil {
				for _, it := range into[id].its {
					it.err = cause
					if errors.Is(cause, halopsa.ErrNotFound) {
						// The record is gone from HaloPSA (crm.md §6.1):
						// forget it, so the lead's next record creates it
						// again, and say so with this one.
						if err := p.forget(it, resource); err != nil {
							return err
						}
						it.err = fmt.Errorf("%w; leadstream forgot %s %d, so the lead's next record (or this one, replayed from leads.dlq) creates it again", cause, resource, id)
					}
				}
				continue
			}
			for _, it := range into[id].its {
				done(it, items[i])
			}
		}
		return nil
	}
	if err := send(halopsa.ResUsers, users, userOrder, func(it *item, body map[string]any) {
		if it.m.User == nil {
			it.m.User = map[string]string{}
		}
		for k, v := range stringFields(body) {
			if k != "id" {
				it.m.User[k] = v
			}
		}
	}); err != nil {
		return err
	}
	if err := send(halopsa.ResTickets, tickets, ticketOrder, func(it *item, body map[string]any) {
		if it.m.Ticket == nil {
			it.m.Ticket = map[string]string{}
		}
		cfs, _ := body["customfields"].([]halopsa.CustomField)
		for k, v := range cfValues(cfs, p.fields) {
			it.m.Ticket[k] = v
		}
		if it.m.Suppressed {
			it.m.DNCWritten = true
			if s, ok := body["status_id"].(int); ok {
				it.m.StatusID = s
			}
		}
	}); err != nil {
		return err
	}
	for _, it := range items {
		if it.err == nil {
			if err := p.save(it); err != nil {
				return err
			}
		}
	}
	return nil
}

// listSuppression puts the lead's e-mails and phones on the do-not-contact
// list (leads.suppressions), hashed, so validate holds back every later
// record of the person, whichever lead it would join (crm.md §7.4).
func (p *processor) listSuppression(out *pipeline.Emitter, leadID string, l *lead.Lead, m mapping, origin string) {
	for _, k := range p.suppressionKeys(l, m) {
		out.Emit(pipeline.TopicSuppressions, k,
			pipeline.SuppressionEntry(leadID, leadID, p.stage.opts.Now().UTC(), pipeline.Source{Provider: origin}))
	}
}

// suppressionKeys are the list keys of a lead: from its record when there
// is one, and from the contact leadstream wrote to HaloPSA.
func (p *processor) suppressionKeys(l *lead.Lead, m mapping) []string {
	var emails, phones []string
	if l != nil {
		emails, phones = l.ContactPoints()
	}
	if e := m.User["emailaddress"]; e != "" {
		emails = append(emails, e)
	}
	for _, f := range []string{"phonenumber", "mobilenumber"} {
		if ph := m.User[f]; ph != "" {
			phones = append(phones, ph)
		}
	}
	return lead.SuppressionKeys(p.stage.opts.SuppressionKey, emails, phones)
}

// feedback applies a change people made in HaloPSA (from the crm stage).
func (p *processor) feedback(in *pipeline.Envelope, out *pipeline.Emitter) error {
	if in.LeadID == "" {
		return errors.New("sink: feedback without a lead id")
	}
	it := &item{in: in}
	if _, err := p.st.get(keyMapping+in.LeadID, &it.m); err != nil {
		return err
	}
	f := in.Feedback
	switch f.Suppress {
	case "do_not_contact":
		it.m.Suppressed, it.m.DNCWritten = true, true
		p.listSuppression(out, in.LeadID, nil, it.m, "halopsa")
	case "lift":
		it.m.Suppressed, it.m.DNCWritten = false, false
		for _, k := range p.suppressionKeys(nil, it.m) {
			out.Delete(pipeline.TopicSuppressions, k)
		}
	}
	for _, o := range f.Owned {
		if !it.m.owned(o) {
			it.m.Owned = append(it.m.Owned, o)
		}
	}
	return p.save(it)
}

// forget clears a lead's id of a HaloPSA record that no longer exists.
func (p *processor) forget(it *item, resource string) error {
	switch resource {
	case halopsa.ResUsers:
		it.m.UserID, it.m.User = 0, nil
	case halopsa.ResTickets:
		it.m.TicketID, it.m.Ticket, it.m.DNCWritten = 0, nil, false
	}
	return p.save(it)
}

// verify compares the custom fields HaloPSA echoed with those sent: it
// drops unknown fields silently (halopsa.md §8).
func (p *processor) verify(leadID string, sent, echoed []halopsa.CustomField) {
	if p.stage.opts.Halo == nil {
		return
	}
	if bad := halopsa.CustomFieldMismatches(sent, echoed); len(bad) > 0 {
		p.stage.log.Warn("HaloPSA did not store custom fields as sent", "lead", leadID, "fields", bad)
		for _, f := range bad {
			p.stage.opts.Metrics.mismatch(p.fields.label(f))
		}
	}
}

// written observes the time from a record's ingest to its write (the
// dry run's recorded write when there is no HaloPSA).
func (p *processor) written(in *pipeline.Envelope) {
	if in.FirstSeen.IsZero() {
		return
	}
	src := in.Source.Provider
	if src == "" {
		src = "unknown"
	}
	p.stage.opts.Metrics.written(src, max(p.stage.opts.Now().Sub(in.FirstSeen), 0))
}

func (p *processor) save(it *item) error {
	return p.st.put(keyMapping+it.in.LeadID, it.m)
}

// fatal returns the errors that must fail the whole batch (it is then
// processed again): a cancelled context. Everything else is the records'.
func fatal(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

// itemError is the failure of element i of a write, if any: isolated by
// bisection, or the whole call's error (retries exhausted, auth, …).
func itemError(resource string, i int, results []stdjson.RawMessage, failed []halopsa.ItemError, err error) error {
	for _, f := range failed {
		if f.Index == i {
			return fmt.Errorf("sink: HaloPSA refused the %s write: %w", resource, f.Err)
		}
	}
	if err != nil && (i >= len(results) || results[i] == nil) {
		return fmt.Errorf("sink: HaloPSA %s write failed: %w", resource, err)
	}
	if i >= len(results) || results[i] == nil {
		return fmt.Errorf("sink: HaloPSA returned no %s for element %d", resource, i)
	}
	return nil
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// DryRunWrites reads every write recorded by dry-run sinks under dataDir.
// The sink must not be running (Badger holds a lock on its stores).
func DryRunWrites(dataDir, namespace string, stateKey []byte) ([]Write, error) {
	dirs, err := filepath.Glob(filepath.Join(dataDir, "state", namespace, "sink", "p*"))
	if err != nil {
		return nil, err
	}
	var out []Write
	for _, d := range dirs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			continue
		}
		opts := index.DefaultOptions(d)
		opts.EncryptionKey = stateKey
		s, err := index.Open(opts)
		if err != nil {
			return nil, err
		}
		err = s.Scan([]byte(keyWrite), func(_, v []byte) (bool, error) {
			var w Write
			if err := json.Unmarshal(v, &w); err != nil {
				return false, fmt.Errorf("sink: corrupt write: %w", err)
			}
			out = append(out, w)
			return true, nil
		})
		if cerr := s.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// UserCreates counts, per lead, the Users the writes create.
func UserCreates(writes []Write) map[string]int {
	out := map[string]int{}
	for _, w := range writes {
		if w.Entity == halopsa.ResUsers && w.Create {
			out[w.LeadID]++
		}
	}
	return out
}

// orgKey is the organisation a lead's Client is keyed by: its registrable
// domain, else its normalised company name, else the fallback client.
func orgKey(l *lead.Lead) string {
	k := l.PartitionKey()
	if len(k) > 2 && (k[:2] == "d:" || k[:2] == "c:") {
		return k
	}
	return fallbackOrg
}
