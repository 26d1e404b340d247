// Package sink is the last stage: it writes each unique lead to HaloPSA as
// a Client (with its main site), a User and a lead Ticket carrying
// CF_101–CF_113 (crm.md §6.2–§6.4), and publishes the record's outcome on
// leads.synced. An organisation lead (a company and no person, issue 12)
// is a Client and a Site instead, with no User and, unless
// Options.OrganisationTickets, no Ticket (sites.go). A lead dedupe folded
// into another after both were written has its HaloPSA records merged
// into the other's, deleting nothing (fold.go).
//
// Writes are batched: the records of one poll are written with one POSTed
// array per resource (Client, then Users, then Tickets), so the requests
// per synced lead stay far below one.
//
// # Adopting the tenant
//
// Before its first write a process reads what the tenant already holds,
// once and paged (N/100 requests per resource): every Client with its
// website (include_website=true; list rows carry none without it), every
// User, and the open lead Tickets; every Site with its address
// (includeaddress=true) the first time a lead lands at a Client leadstream
// did not make. A new organisation takes an existing
// Client with its website domain; a Client of the same normalised name
// only when a domain is missing on one side (crm.md §4.3), since alike
// names at other domains are other companies. A lead's contact takes the
// User with its e-mail (without one: its name at the same Client) and
// never writes that User's fields; a User's open lead Ticket is the
// lead's, never doubled. A lead whose address (the contact's street,
// else the head office's) is an active Site of its Client — same street
// and postcode, else same street and city, ignoring case and punctuation
// but not abbreviations ("Rd" is not "Road") — gets its new User at that
// Site instead of the main site; an adopted User keeps its own Site. At a
// Client leadstream made, the Sites looked at are those leadstream made:
// the main site (with the address that seeded it) and the Sites of
// organisation records (a branch a person adds to such a Client is not
// looked for). A contact written before its organisation record's Site
// exists stays at the main site.
//
// The copy follows the tenant while the process runs: a batch that
// creates records first reads what changed since the last read
// (lastupdatefromdate less two minutes of clock skew; paged, one page per
// resource when little changed) whenever the copy is older than
// Options.TenantRefresh (off by default, see DefaultTenantRefresh). A Client or User a person
// made in HaloPSA meanwhile is therefore adopted, unless it was made
// within the interval before the batch. A failed refresh fails the
// batch's creating records (they are retried), never creates from a stale
// copy. Webhooks are not followed for this; a Client, User or Ticket
// deleted or closed in HaloPSA stays in the copy (see tenant.go).
//
// # Lead Tickets people made (crm.md §8.1)
//
// What is done: an open Ticket of the lead type that a person logged in
// HaloPSA, with or without leadstream's reference, is in the copy (read
// at start and in every refresh) as its User's open lead Ticket. A lead
// whose contact resolves to that User (same e-mail; without one, same
// name at the Client) takes that Ticket instead of creating a second; it
// is linked, not written: every lead custom field of it is person-owned
// from then on (§7.5), so the sink never writes it. One open lead Ticket
// per User: when a User has several, the first one read is the lead's.
//
// What is not done: such a Ticket is not ingested as a source record
// with source "halopsa" (§8.1's "new ticket logged"): its values do not
// enter dedupe's match indexes or the lead's attributes, and a later
// import of the person only merges into it through the User (e-mail or
// name at the Client), not through dedupe's fuzzy matching. A Ticket
// without a User, of another type, or closed is not adopted. Webhooks
// (§8.1) go to the crm stage and do not update this copy.
//
// # Writing when the outcome is unknown
//
// A create is never sent twice blindly. Updates carry ids and are safe to
// repeat; a create array answered 5xx, timed out, or cut after it was sent
// may have been applied. The protocol, per resource and array:
//
//  1. An intent marker per organisation (ointent/) or lead (intent/, with
//     the phase: user or ticket) and the send time, plus every id stored
//     so far, is committed to the partition's state and changelog.
//  2. The array is POSTed (halopsa.Client.CreateIsolated, which does not
//     retry an unknown outcome).
//  3. On an unknown outcome the sink waits, reads back the resource's
//     records changed since the send (lastupdatefromdate, less two minutes
//     for clock skew; Clients with their websites), claims for each
//     missing create the record it made — Clients by website domain (by
//     name without one), Users by e-mail (by name at the Client without
//     one), lead Tickets by their User, who has one open lead Ticket — and
//     sends again only what is really missing, up to four rounds. What is
//     still unknown is the record's error; its marker stays.
//  4. Each returned or claimed id is stored before the next dependent
//     array; a lead's marker is removed with its Ticket's id.
//
// Crash points, and why none doubles a record:
//
//   - Before 1 commits: nothing was sent; the batch is processed again.
//   - After 1, before or during 2, or before 4 is committed (a SIGKILL
//     while a 504 is pending, or before the ids are stored): the marker
//     survives. The restarted process reads the tenant at start, after
//     the send, so its index holds whatever the interrupted array created
//     and the lead takes it from there (as leadstream's own: what it wrote
//     is the lead's). A write still in flight when the index was read (the
//     marker is less than two minutes older than the index) is read back
//     as in 3 first.
//   - After 4: the ids are in the state; a repeated record finds its lead
//     complete and only fills empty fields.
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
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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
	// StateDir keeps the copy of what the tenant holds, so a restart reads
	// only what changed ("": the tenant is read whole by every process).
	StateDir string
	// TenantRefresh is how old the copy of what the tenant holds may grow
	// while the process runs: a batch that creates records first reads
	// what changed since, when the copy is older (default
	// DefaultTenantRefresh: only at start; negative: only at start).
	TenantRefresh time.Duration
	// ImportSourceLabel is CF_101 (lead source) of leads from canonical
	// files, which name no provider (default "Import").
	ImportSourceLabel string
	// OrganisationTickets also gives each organisation lead (a company and
	// no person) a lead Ticket at its Site, without a User. Off by
	// default: an organisation lead is a Client and a Site only.
	OrganisationTickets bool
	// MergeNoteOutcome is the outcome of the private note the sink adds to
	// a folded lead's Ticket (an Action needs one; default "Private Note").
	MergeNoteOutcome string
	// MergedStatusID is the closed status a folded lead's Ticket gets when
	// nobody has moved it on from its first status (default 9, "Closed").
	MergedStatusID int
	// Sealer seals what the state keeps of each lead under the lead's
	// data key (internal/keyring; nil: kept in clear).
	Sealer pipeline.Sealer
	// Logger (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Metrics count custom-field mismatches and observe end-to-end
	// latency (nil: none).
	Metrics *Metrics
}

// DefaultTenantRefresh is Options.TenantRefresh's default: the copy is
// read at start (incrementally after the first start), not while the
// process runs. A running refresh also reads back every record leadstream
// itself wrote since the last read, about three pages per 100 new leads:
// with a 5-minute refresh the 20k generated run cost 1,105 requests (0.079
// per synced lead) instead of 540 (0.039). Set a positive interval where
// people create Clients and Users in HaloPSA during long imports.
const DefaultTenantRefresh time.Duration = -1

// Stage is the sink stage. Make it with New.
type Stage struct {
	opts Options
	log  *slog.Logger

	resolveMu sync.Mutex
	fields    *fieldSet
	tenant    tenantIndex
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
	if opts.TenantRefresh == 0 {
		opts.TenantRefresh = DefaultTenantRefresh
	}
	if opts.ImportSourceLabel == "" {
		opts.ImportSourceLabel = "Import"
	}
	if opts.MergeNoteOutcome == "" {
		opts.MergeNoteOutcome = "Private Note"
	}
	if opts.MergedStatusID == 0 {
		opts.MergedStatusID = 9
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
// gathers up to 1,500 records for up to five seconds per batch, so its
// arrays are full and the requests per lead stay low.
func (s *Stage) BatchTuning() pipeline.BatchTuning {
	if s.opts.Halo == nil {
		return pipeline.BatchTuning{}
	}
	return pipeline.BatchTuning{MaxRecords: 1500, MaxWait: 5 * time.Second}
}

// Open implements pipeline.Stage. The first open checks the tenant's
// custom fields (crm.md §5.1); a missing required field is a fatal
// configuration error.
func (s *Stage) Open(ctx context.Context, _ int32, t *pipeline.Table) (pipeline.Processor, error) {
	st := state{t: t, sealer: s.opts.Sealer}
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
	if err := s.tenant.load(ctx, s.opts.Halo, s.opts.LeadTicketTypeID, s.opts.StateDir, s.log); err != nil {
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
	// seeded: an organisation lead whose address seeded its Client's main
	// site (it made the Client).
	seeded bool
	err    error
}

// ProcessBatch implements pipeline.BatchProcessor.
func (p *processor) ProcessBatch(ctx context.Context, batch []*pipeline.Envelope, outs []*pipeline.Emitter) ([]error, error) {
	errs := make([]error, len(batch))
	var items []*item
	creating := map[string]*item{}
	// Feedback first: a fold must be known before the batch's records of
	// the folded lead are looked at.
	for i, in := range batch {
		if in.Feedback != nil {
			errs[i] = p.feedback(ctx, in, outs[i])
		}
	}
	for i, in := range batch {
		if in.Feedback != nil {
			continue
		}
		if k := in.OrganisationKey; k != "" && k != in.Key && in.Lead != nil && in.Lead.IsOrganisation() {
			// A site of an organisation whose first site has another
			// key: written on that key's partition (its lead's mapping
			// lives there), so two partitions never resolve one
			// organisation's Client at once. The record's outcome comes
			// from there.
			outs[i].Emit(pipeline.TopicEnriched, k, in)
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
		if err := p.absorb(it); err != nil {
			errs[i] = err
			continue
		}
		items = append(items, it)
		if it.m.FoldedInto != "" || p.complete(in.Lead, it.m) || it.m.Suppressed || in.Lead.DoNotContact || creating[in.LeadID] != nil {
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
		} else if oid := in.Lead.OrganisationID; oid != "" && domainOf(it.org) == "" {
			// Another site of an organisation already here, named
			// otherwise and without a domain: its Client. A domain
			// decides on its own (alike names at other domains are
			// other companies, crm.md §4.3).
			var k string
			if found, err := p.st.get(keyOrgID+oid, &k); err != nil {
				errs[i] = err
				continue
			} else if found {
				it.org = k
			}
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
		if err := p.refreshTenant(ctx); err != nil {
			if err := fatal(ctx, err); err != nil {
				return nil, err
			}
			// Creating from a stale copy could double what a person
			// made meanwhile: these records fail like any HaloPSA error.
			for _, it := range creators {
				it.err = err
			}
			creators = nil
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
		case it.m.FoldedInto != "":
			// Dedupe folded the lead into another: its record is that
			// lead's now, and its HaloPSA records were merged (fold.go).
			in.Outcome = pipeline.OutcomeMerged
		case in.Decision != "" && in.Decision != "new":
			in.Outcome = pipeline.OutcomeMerged
		default:
			in.Outcome = pipeline.OutcomeSynced
		}
		if in.Outcome != pipeline.OutcomeSuppressed {
			p.written(in)
		}
		if it.m.FoldedInto != "" && it.m.Into != nil && it.m.Into.TicketID != 0 {
			in.Halo = &pipeline.HaloRef{TicketID: it.m.Into.TicketID}
		} else if it.m.TicketID != 0 {
			in.Halo = &pipeline.HaloRef{TicketID: it.m.TicketID, StatusID: it.m.StatusID}
		}
		if err := p.tellAbsorbed(it, outs[it.i]); err != nil {
			return nil, err
		}
		outs[it.i].Emit(pipeline.TopicSynced, in.TraceID, in.Receipt())
		// The lead as it now stands, for the API's leads views.
		outs[it.i].Emit(pipeline.TopicCurrent, in.LeadID, in)
	}
	return errs, nil
}

// refreshTenant reads what changed in the tenant when the copy is older
// than Options.TenantRefresh, before a batch creates anything.
func (p *processor) refreshTenant(ctx context.Context) error {
	if _, ok := p.w.(live); !ok {
		return nil
	}
	o := p.stage.opts
	return p.stage.tenant.refresh(ctx, o.Halo, o.LeadTicketTypeID, o.TenantRefresh, p.stage.log)
}

// create writes the missing Client, User and Ticket of each creator, in
// that order, storing each id durably before the next dependent call.
func (p *processor) create(ctx context.Context, creators []*item) error {
	if err := p.createClients(ctx, creators); err != nil {
		return err
	}
	if err := p.createSites(ctx, creators); err != nil {
		return err
	}
	p.placeContacts(creators)
	if err := p.createUsers(ctx, creators); err != nil {
		return err
	}
	if err := p.createTickets(ctx, creators); err != nil {
		return err
	}
	for _, it := range creators {
		if it.err == nil && p.complete(it.in.Lead, it.m) {
			p.st.t.Delete(keyIntent + it.in.LeadID)
		}
	}
	return nil
}

// complete reports whether a lead has every HaloPSA record it gets: a
// person lead its User and lead Ticket; an organisation lead its Site
// (and its Ticket with Options.OrganisationTickets).
func (p *processor) complete(l *lead.Lead, m mapping) bool {
	if l.IsOrganisation() {
		return m.OrgSite && (!p.stage.opts.OrganisationTickets || m.TicketID != 0)
	}
	return m.TicketID != 0 && m.UserID != 0
}

// placeContacts puts each new contact at the Site of its Client at the
// person's address (else the head office's), when there is one: a Site
// an organisation record made, one leadstream seeded with the Client, or
// one the tenant held. Otherwise the contact stays at the main site.
func (p *processor) placeContacts(creators []*item) {
	for _, it := range creators {
		if it.err != nil || it.m.UserID != 0 || it.m.ClientID == 0 || it.org == fallbackOrg || it.in.Lead.IsOrganisation() {
			continue
		}
		if site, ok := p.stage.tenant.site(it.m.ClientID, it.in.Lead); ok {
			it.m.SiteID = site
		}
	}
}

// sameOrganisation gives the sites of one organisation (dedupe's
// organisation id) in a batch one organisation key, when they are named
// otherwise and some have no domain: the key with the domain (the first
// one's, when none has), so they share one Client. Sites at two different
// domains keep theirs: a domain decides on its own (crm.md §4.3).
func sameOrganisation(creators []*item) {
	byOrg := map[string][]*item{}
	var order []string
	for _, it := range creators {
		oid := it.in.Lead.OrganisationID
		if it.m.ClientID != 0 || it.m.OrgKey != "" || oid == "" || it.org == fallbackOrg || !it.in.Lead.IsOrganisation() {
			continue
		}
		if byOrg[oid] == nil {
			order = append(order, oid)
		}
		byOrg[oid] = append(byOrg[oid], it)
	}
	for _, oid := range order {
		its := byOrg[oid]
		canon := ""
		for _, it := range its {
			if domainOf(it.org) == "" || it.org == canon {
				continue
			}
			if canon != "" {
				canon = "" // two domains: nothing to share
				break
			}
			canon = it.org
		}
		if canon == "" && domainOf(its[0].org) == "" {
			canon = its[0].org
		}
		if canon == "" {
			continue
		}
		for _, it := range its {
			if domainOf(it.org) == "" {
				it.org = canon
			}
		}
	}
}

// orgWork is one organisation of a batch whose Client is being resolved.
type orgWork struct {
	key, name string
	first     *item
	members   []*item
	rec       orgRecord
}

// createClients resolves or creates the Client of every creator's
// organisation: the stored record, then the tenant's Clients (by domain,
// else by name when a domain is missing on one side), then one array
// POST. After an interrupted create the Clients changed since are read
// back first, unless the tenant index was read late enough to hold them.
func (p *processor) createClients(ctx context.Context, creators []*item) error {
	var todo, reread []*orgWork
	var since time.Time
	byKey := map[string]*orgWork{}
	sameOrganisation(creators)
	for _, it := range creators {
		if it.m.ClientID != 0 {
			continue
		}
		if it.org == fallbackOrg && p.stage.opts.FallbackClientID != 0 {
			it.m.ClientID = p.stage.opts.FallbackClientID
			continue
		}
		ow := byKey[it.org]
		if ow != nil && it.in.Lead.IsOrganisation() && !ow.first.in.Lead.IsOrganisation() {
			// An organisation record's address seeds the main site.
			ow.first = it
		}
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
				interrupted, at, err := p.st.intentAt(keyOrgIntent + it.org)
				if err != nil {
					return err
				}
				if rec, ok := p.stage.tenant.lookup(it.org, ow.name); ok {
					ow.rec = rec
				} else if interrupted && !p.stage.tenant.since(at.Add(lateWrite)) {
					reread = append(reread, ow)
					if since.IsZero() || at.Before(since) {
						since = at
					}
				}
			}
			byKey[it.org] = ow
		}
		ow.members = append(ow.members, it)
	}
	if len(reread) > 0 {
		rows, err := p.w.recent(ctx, halopsa.ResClient, url.Values{"include_website": {"true"}}, since.Add(-clockSkew))
		if err := fatal(ctx, err); err != nil {
			return err
		}
		if err != nil {
			for _, ow := range reread {
				for _, it := range ow.members {
					it.err = err
				}
			}
		} else {
			idx := make([]int, len(reread))
			for i := range idx {
				idx[i] = i
			}
			for i, row := range matchClients(reread)(rows, idx) {
				var a halopsa.Area
				if json.Unmarshal(row, &a) == nil {
					reread[i].rec = orgRecord{ClientID: a.ID, SiteID: a.MainSiteID}
					p.stage.tenant.addClient(reread[i].key, reread[i].name, reread[i].rec)
					p.seeded(reread[i])
				}
			}
		}
	}
	for _, ow := range byKey {
		if ow.rec.ClientID == 0 && ow.members[0].err == nil {
			todo = append(todo, ow)
		}
	}
	slices.SortFunc(todo, func(a, b *orgWork) int { return strings.Compare(a.key, b.key) })
	if len(todo) > 0 {
		items := make([]map[string]any, len(todo))
		leads := make([]string, len(todo))
		now := p.stage.opts.Now().UTC()
		for i, ow := range todo {
			if err := p.st.put(keyOrgIntent+ow.key, intent{Phase: phaseClient, At: now}); err != nil {
				return err
			}
			items[i] = p.clientBody(ow.name, ow.first.in.Lead, ow.key == fallbackOrg)
			leads[i] = ow.first.in.LeadID
		}
		if err := p.st.t.Commit(ctx); err != nil {
			return err
		}
		results, failed, err := p.createAll(ctx, halopsa.ResClient, items, leads, url.Values{"include_website": {"true"}}, matchClients(todo))
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
			p.stage.tenant.addClient(ow.key, ow.name, ow.rec)
			p.seeded(ow)
		}
	}
	// A lead at a Client leadstream did not make may belong at one of its
	// Sites: they are read (once, paged) the first time that happens.
	sitesErr := error(nil)
	if _, ok := p.w.(live); ok {
		for _, ow := range byKey {
			if ow.rec.ClientID != 0 && ow.key != fallbackOrg && p.stage.tenant.adopted(ow.rec.ClientID) {
				sitesErr = p.stage.tenant.readSites(ctx, p.stage.opts.Halo, p.stage.log)
				if err := fatal(ctx, sitesErr); err != nil {
					return err
				}
				break
			}
		}
	}
	for _, ow := range byKey {
		if ow.rec.ClientID == 0 {
			continue
		}
		adopted := ow.key != fallbackOrg && p.stage.tenant.adopted(ow.rec.ClientID)
		if adopted && sitesErr != nil {
			// Without the Sites the lead's could be missed: retried.
			for _, it := range ow.members {
				if it.err == nil {
					it.err = sitesErr
				}
			}
			continue
		}
		if err := p.st.put(keyOrg+ow.key, ow.rec); err != nil {
			return err
		}
		p.st.t.Delete(keyOrgIntent + ow.key)
		for _, it := range ow.members {
			if it.err == nil {
				it.m.OrgKey, it.m.ClientID, it.m.SiteID = ow.key, ow.rec.ClientID, ow.rec.SiteID
				it.seeded = ow.rec.SeededBy != "" && ow.rec.SeededBy == it.in.LeadID
				if oid := it.in.Lead.OrganisationID; oid != "" && ow.key != fallbackOrg {
					if err := p.st.put(keyOrgID+oid, ow.key); err != nil {
						return err
					}
				}
				if err := p.save(it); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// createUsers resolves or creates each creator's User: the tenant's Users
// by e-mail (by name at the lead's Client without one), after an
// interrupted create the Users changed since, then one array POST.
func (p *processor) createUsers(ctx context.Context, creators []*item) error {
	var reread []*item
	var since time.Time
	for _, it := range creators {
		if it.err != nil || it.m.UserID != 0 || it.m.ClientID == 0 || it.in.Lead.IsOrganisation() {
			continue
		}
		if u, ok := p.stage.tenant.user(it.in.LeadID, it.in.Lead, it.m.ClientID); ok {
			if err := p.linkUser(it, u, it.prior.Phase == phaseUser); err != nil {
				return err
			}
			continue
		}
		if it.prior.Phase == phaseUser && !p.stage.tenant.since(it.prior.At.Add(lateWrite)) {
			reread = append(reread, it)
			if since.IsZero() || it.prior.At.Before(since) {
				since = it.prior.At
			}
		}
	}
	if len(reread) > 0 {
		rows, err := p.w.recent(ctx, halopsa.ResUsers, nil, since.Add(-clockSkew))
		if err := fatal(ctx, err); err != nil {
			return err
		}
		for _, r := range rows {
			var u halopsa.User
			if json.Unmarshal(r, &u) == nil && u.ID != 0 {
				p.stage.tenant.addUser(u)
			}
		}
		for _, it := range reread {
			if err != nil {
				it.err = err
				continue
			}
			if u, ok := p.stage.tenant.user(it.in.LeadID, it.in.Lead, it.m.ClientID); ok {
				if err := p.linkUser(it, u, true); err != nil {
					return err
				}
			}
		}
	}
	var todo []*item
	var items []map[string]any
	var leads []string
	for _, it := range creators {
		if it.err != nil || it.m.UserID != 0 || it.m.ClientID == 0 || it.in.Lead.IsOrganisation() {
			continue
		}
		todo = append(todo, it)
		items = append(items, p.userBody(it.in.Lead, it.m))
		leads = append(leads, it.in.LeadID)
	}
	if err := p.intend(ctx, todo, phaseUser); err != nil || len(todo) == 0 {
		return err
	}
	results, failed, err := p.createAll(ctx, halopsa.ResUsers, items, leads, nil, matchUsers(todo))
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
		p.stage.tenant.addUser(u)
		p.stage.tenant.ownUser(u.ID, it.in.LeadID)
		it.m.UserID = u.ID
		it.m.User = stringFields(items[i])
		if err := p.save(it); err != nil {
			return err
		}
	}
	return nil
}

// linkUser ties a lead to a User already in HaloPSA. own: leadstream's
// own create, interrupted before its id was stored, so what it wrote is
// the lead's; otherwise a contact people keep, whose fields leadstream
// never writes. The lead follows the User's Client.
func (p *processor) linkUser(it *item, u userRef, own bool) error {
	it.m.UserID = u.ID
	p.stage.tenant.ownUser(u.ID, it.in.LeadID)
	if u.ClientID != 0 && u.ClientID != it.m.ClientID {
		it.m.ClientID, it.m.SiteID = u.ClientID, u.SiteID
	}
	if own {
		it.m.User = stringFields(p.userBody(it.in.Lead, it.m))
	} else {
		for k := range stringFields(p.userBody(it.in.Lead, it.m)) {
			if !it.m.owned(ownedUser + k) {
				it.m.Owned = append(it.m.Owned, ownedUser+k)
			}
		}
	}
	return p.save(it)
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

// createTickets resolves or creates each creator's lead ticket: the open
// lead ticket the User already has (people's, or leadstream's own from an
// interrupted create), after an interrupted create the lead tickets
// changed since, then one array POST.
func (p *processor) createTickets(ctx context.Context, creators []*item) error {
	var reread []*item
	var since time.Time
	for _, it := range creators {
		if !p.wantsTicket(it) {
			continue
		}
		if id, ok := p.leadTicketOf(it); ok {
			if err := p.linkTicket(it, id, it.prior.Phase == phaseTicket); err != nil {
				return err
			}
			continue
		}
		if it.prior.Phase == phaseTicket && !p.stage.tenant.since(it.prior.At.Add(lateWrite)) {
			reread = append(reread, it)
			if since.IsZero() || it.prior.At.Before(since) {
				since = it.prior.At
			}
		}
	}
	if len(reread) > 0 {
		rows, err := p.w.recent(ctx, halopsa.ResTickets, p.leadTicketQuery(), since.Add(-clockSkew))
		if err := fatal(ctx, err); err != nil {
			return err
		}
		for _, r := range rows {
			var t halopsa.Ticket
			if json.Unmarshal(r, &t) == nil && t.ID != 0 && t.UserID != 0 {
				p.stage.tenant.addTicket(t.UserID, t.ID)
			} else if t.ID != 0 && t.SiteID != 0 {
				p.stage.tenant.addSiteTicket(t.SiteID, t.ID)
			}
		}
		for _, it := range reread {
			if err != nil {
				it.err = err
				continue
			}
			if id, ok := p.leadTicketOf(it); ok {
				if err := p.linkTicket(it, id, true); err != nil {
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
		if !p.wantsTicket(it) {
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
	results, failed, err := p.createAll(ctx, halopsa.ResTickets, items, leads, p.leadTicketQuery(), matchTickets(todo))
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
		if len(t.CustomFields) > 0 {
			p.verify(it.in.LeadID, sent[i], t.CustomFields)
		}
		if it.m.UserID != 0 {
			p.stage.tenant.addTicket(it.m.UserID, t.ID)
		} else {
			p.stage.tenant.addSiteTicket(it.m.SiteID, t.ID)
		}
		it.m.TicketID, it.m.StatusID, it.m.Ticket = t.ID, p.stage.opts.NewStatusID, cfValues(sent[i], p.fields)
		if err := p.save(it); err != nil {
			return err
		}
	}
	return nil
}

// wantsTicket reports whether a creator still needs its lead ticket now:
// a person lead once it has its User, an organisation lead (with
// Options.OrganisationTickets) once it has its Site.
func (p *processor) wantsTicket(it *item) bool {
	if it.err != nil || it.m.TicketID != 0 {
		return false
	}
	if it.in.Lead.IsOrganisation() {
		return p.stage.opts.OrganisationTickets && it.m.OrgSite && it.m.SiteID != 0
	}
	return it.m.UserID != 0
}

// leadTicketOf is the open lead ticket the tenant already has for a
// creator: its User's, or for an organisation lead the one without a
// User at its Site.
func (p *processor) leadTicketOf(it *item) (int, bool) {
	if it.in.Lead.IsOrganisation() {
		return p.stage.tenant.siteTicket(it.m.SiteID)
	}
	return p.stage.tenant.ticket(it.m.UserID)
}

// leadTicketQuery narrows a ticket read-back to the lead type.
func (p *processor) leadTicketQuery() url.Values {
	return url.Values{"requesttype_id": {strconv.Itoa(p.stage.opts.LeadTicketTypeID)}}
}

// linkTicket ties a lead to the open lead ticket its User already has.
// own: leadstream's interrupted create (what it wrote is the lead's);
// otherwise a ticket people made, whose fields leadstream never writes.
func (p *processor) linkTicket(it *item, id int, own bool) error {
	it.m.TicketID = id
	if own {
		_, cfs := p.ticketBody(it)
		it.m.StatusID, it.m.Ticket = p.stage.opts.NewStatusID, cfValues(cfs, p.fields)
	} else {
		for _, k := range leadFields {
			if !it.m.owned(ownedTicketCF + k) {
				it.m.Owned = append(it.m.Owned, ownedTicketCF+k)
			}
		}
	}
	return p.save(it)
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
		if it.m.FoldedInto != "" {
			// Its records are the surviving lead's (fold.go).
			continue
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

// feedback applies a change people made in HaloPSA (from the crm stage),
// or a fold of the lead into another (from the sink partition of that
// lead, fold.go).
func (p *processor) feedback(ctx context.Context, in *pipeline.Envelope, out *pipeline.Emitter) error {
	if in.LeadID == "" {
		return errors.New("sink: feedback without a lead id")
	}
	if in.Feedback.FoldInto != "" {
		return p.fold(ctx, in, out)
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
