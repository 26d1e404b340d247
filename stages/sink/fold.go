package sink

import (
	"context"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/internal/textsafe"
	"github.com/leadstream/leadstream/pipeline"
)

// Folded leads (issue 12, the lead.merged case). Dedupe's reconciliation
// can find that two leads it made are one person, after both reached
// HaloPSA; it folds lead B into lead A and names B (and B's partition key)
// in the record it merges into A. Lead B's HaloPSA records are known only
// to the sink partition of B's key, so:
//
//  1. A's partition stores the absorbed leads in A's mapping (absorb) and,
//     once A has its User and Ticket, tells B's partition A's records: a
//     feedback record {fold_into: A, into: ids} on leads.enriched under
//     B's key (tellAbsorbed). It is sent again until the batch that sends
//     it commits, and repeating it changes nothing.
//  2. B's partition (fold) marks B folded into A: later records of B
//     create nothing and end as merged. What B already has in HaloPSA is
//     merged with what the API allows, deleting nothing and writing no
//     field a person owns:
//     - B's lead Ticket gets a private note (an Action) naming A's ticket;
//     - when B's User and Ticket are leadstream's own (no person-owned
//     field, not adopted from the tenant) and nobody has moved the Ticket
//     on from its first status, the Ticket is re-pointed to A's User,
//     Client and Site (history and custom fields kept) and closed
//     (Options.MergedStatusID), so A's User has one open lead Ticket, and
//     B's User is made inactive (not deleted: a person can reactivate it);
//     - a User or Ticket a person made, edited or worked on stays where it
//     is, open, with the note (B's User stays active with its Ticket);
//     - leads folded into B earlier are told A's records in turn.
//
// Crash safety: the updates carry ids and are safe to repeat. The note is
// a create: an intent marker (phase fold) is committed before it is
// sent; an unknown outcome, or a marker left by an interrupted attempt,
// is read back (the ticket's Actions, by the marker text in the note)
// and the note is sent only if it is not there.

// absorb records, on the surviving lead's mapping, the leads dedupe folded
// into it with this record.
func (p *processor) absorb(it *item) error {
	in := it.in
	if len(in.Absorbed) == 0 {
		return nil
	}
	changed := false
	for i, b := range in.Absorbed {
		if b == "" || b == in.LeadID {
			continue
		}
		known := false
		for _, a := range it.m.Absorbed {
			known = known || a.ID == b
		}
		if known {
			continue
		}
		key := ""
		if i < len(in.AbsorbedKeys) {
			key = in.AbsorbedKeys[i]
		}
		it.m.Absorbed = append(it.m.Absorbed, absorbedLead{ID: b, Key: key})
		changed = true
	}
	if !changed {
		return nil
	}
	return p.save(it)
}

// tellAbsorbed sends, once the lead has its User and Ticket, its HaloPSA
// records to the sink partition of each lead folded into it.
func (p *processor) tellAbsorbed(it *item, out *pipeline.Emitter) error {
	m := &it.m
	if len(m.Absorbed) == 0 || m.UserID == 0 || m.TicketID == 0 || m.Suppressed || m.FoldedInto != "" {
		return nil
	}
	changed := false
	now := p.stage.opts.Now().UTC()
	for i := range m.Absorbed {
		a := &m.Absorbed[i]
		if a.Sent {
			continue
		}
		if a.Key == "" {
			p.stage.log.Warn("a folded lead has no partition key; its HaloPSA records are not merged", "lead", it.in.LeadID, "absorbed", a.ID)
			a.Sent, changed = true, true
			continue
		}
		out.Emit(pipeline.TopicEnriched, a.Key, &pipeline.Envelope{
			TraceID:   "fold:" + a.ID + ":" + it.in.LeadID,
			Source:    pipeline.Source{Provider: "leadstream", RecordID: "fold/" + a.ID},
			FirstSeen: now,
			LeadID:    a.ID,
			Feedback: &pipeline.HaloFeedback{At: now, FoldInto: it.in.LeadID, Into: &pipeline.HaloRecords{
				ClientID: m.ClientID, SiteID: m.SiteID, UserID: m.UserID, TicketID: m.TicketID}},
		})
		a.Sent, changed = true, true
	}
	if !changed {
		return nil
	}
	return p.save(it)
}

// fold merges a folded lead's HaloPSA records into those of the lead it
// was folded into (see the comment at the top of this file).
func (p *processor) fold(ctx context.Context, in *pipeline.Envelope, out *pipeline.Emitter) error {
	f := in.Feedback
	if f.Into == nil {
		return fmt.Errorf("sink: fold of lead %s into %s names no HaloPSA records", in.LeadID, f.FoldInto)
	}
	it := &item{in: in}
	if _, err := p.st.get(keyMapping+in.LeadID, &it.m); err != nil {
		return err
	}
	if it.m.FoldedInto == f.FoldInto && it.m.FoldDone {
		return nil
	}
	if _, err := p.st.get(keyIntent+in.LeadID, &it.prior); err != nil {
		return err
	}
	it.m.FoldedInto, it.m.Into = f.FoldInto, f.Into
	// From now on the lead's records create nothing, whatever follows.
	if err := p.save(it); err != nil {
		return err
	}
	into, m := f.Into, &it.m
	o := p.stage.opts
	untouched, err := p.ticketUntouched(ctx, m, into.UserID)
	if err != nil {
		return err
	}
	moveTicket := m.TicketID != 0 && m.TicketID != into.TicketID && !m.owned(ownedTicketCF+"CF_101") && into.UserID != 0 && untouched
	retireUser := m.UserID != 0 && m.UserID != into.UserID && !ownsAny(m.Owned, ownedUser) && into.UserID != 0 &&
		(m.TicketID == 0 || m.TicketID == into.TicketID || moveTicket)
	if m.TicketID != 0 && m.TicketID != into.TicketID {
		if err := p.foldNote(ctx, it); err != nil {
			return err
		}
	}
	if moveTicket && retireUser {
		// The ticket follows the person to the surviving contact, closed:
		// the surviving lead's ticket is the open one.
		body := map[string]any{"id": m.TicketID, "user_id": into.UserID, "client_id": into.ClientID, "status_id": o.MergedStatusID}
		if into.SiteID != 0 {
			body["site_id"] = into.SiteID
		}
		if err := p.foldUpdate(ctx, halopsa.ResTickets, body, in.LeadID); err != nil {
			return err
		}
		m.StatusID = o.MergedStatusID
	}
	if retireUser {
		if err := p.foldUpdate(ctx, halopsa.ResUsers, map[string]any{"id": m.UserID, "inactive": true}, in.LeadID); err != nil {
			return err
		}
		p.stage.tenant.removeUser(m.UserID)
	}
	// Leads folded into this one earlier follow it.
	for _, a := range m.Absorbed {
		if a.Key != "" && a.ID != f.FoldInto {
			out.Emit(pipeline.TopicEnriched, a.Key, &pipeline.Envelope{
				TraceID: "fold:" + a.ID + ":" + f.FoldInto, Source: pipeline.Source{Provider: "leadstream", RecordID: "fold/" + a.ID},
				FirstSeen: in.FirstSeen, LeadID: a.ID, Feedback: &pipeline.HaloFeedback{At: f.At, FoldInto: f.FoldInto, Into: f.Into}})
		}
	}
	m.FoldDone = true
	p.st.t.Delete(keyIntent + in.LeadID)
	switch {
	case m.TicketID == 0 && m.UserID == 0:
		p.stage.opts.Metrics.folded("unwritten")
	case retireUser:
		p.stage.opts.Metrics.folded("merged")
	default:
		p.stage.opts.Metrics.folded("noted")
	}
	p.stage.log.Info("merged a folded lead's HaloPSA records", "lead", in.LeadID, "into", f.FoldInto,
		"ticket_moved", moveTicket && retireUser, "user_retired", retireUser)
	return p.save(it)
}

// ticketUntouched reports whether nobody has worked on the lead's ticket:
// as HaloPSA has it now (read by id), it is still at leadstream's first
// status with the lead's User, or already where an interrupted fold put
// it (the merged status, at the surviving User).
func (p *processor) ticketUntouched(ctx context.Context, m *mapping, intoUser int) (bool, error) {
	o := p.stage.opts
	if m.TicketID == 0 {
		return false, nil
	}
	raw, err := p.w.get(ctx, halopsa.ResTickets, m.TicketID)
	if errors.Is(err, halopsa.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	status, user := m.StatusID, m.UserID
	if raw != nil {
		var t struct {
			StatusID int `json:"status_id"`
			UserID   int `json:"user_id"`
		}
		if err := json.Unmarshal(raw, &t); err != nil {
			return false, fmt.Errorf("sink: reading ticket %d: %w", m.TicketID, err)
		}
		status, user = t.StatusID, t.UserID
	}
	return status == o.NewStatusID && user == m.UserID ||
		status == o.MergedStatusID && (user == m.UserID || user == intoUser), nil
}

// foldUpdate sends one update of a fold; a record gone from HaloPSA has
// nothing left to merge.
func (p *processor) foldUpdate(ctx context.Context, resource string, body map[string]any, leadID string) error {
	results, failed, err := p.w.upsert(ctx, resource, []map[string]any{body}, []string{leadID})
	if err := fatal(ctx, err); err != nil {
		return err
	}
	if cause := itemError(resource, 0, results, failed, err); cause != nil {
		if errors.Is(cause, halopsa.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("sink: merging folded lead %s: %w", leadID, cause)
	}
	return nil
}

// foldNote adds the private note to the folded lead's Ticket, unless an
// earlier attempt already did (read back by its marker).
func (p *processor) foldNote(ctx context.Context, it *item) error {
	m := it.m
	marker := "[leadstream fold " + it.in.LeadID + " → " + m.FoldedInto + "]"
	query := url.Values{"ticket_id": {strconv.Itoa(m.TicketID)}}
	match := func(rows []stdjson.RawMessage, missing []int) map[int]stdjson.RawMessage {
		out := map[int]stdjson.RawMessage{}
		for _, r := range rows {
			var a struct {
				TicketID int    `json:"ticket_id"`
				Note     string `json:"note"`
			}
			if json.Unmarshal(r, &a) == nil && a.TicketID == m.TicketID && strings.Contains(a.Note, marker) {
				for _, i := range missing {
					out[i] = r
				}
				break
			}
		}
		return out
	}
	if it.prior.Phase == phaseFold {
		rows, err := p.w.recent(ctx, halopsa.ResActions, query, it.prior.At.Add(-clockSkew))
		if err := fatal(ctx, err); err != nil {
			return err
		}
		if err != nil {
			return err
		}
		if len(match(rows, []int{0})) > 0 {
			return nil
		}
	}
	if err := p.intend(ctx, []*item{it}, phaseFold); err != nil {
		return err
	}
	note := fmt.Sprintf("leadstream found that this lead is the same person as the lead of ticket #%d and merged them: "+
		"this ticket now belongs to that ticket's contact (when leadstream made both), nothing was deleted. %s", m.Into.TicketID, marker)
	body := textsafe.Body(map[string]any{"ticket_id": m.TicketID, "outcome": p.stage.opts.MergeNoteOutcome, "note": note, "hiddenfromuser": true})
	results, failed, err := p.createAll(ctx, halopsa.ResActions, []map[string]any{body}, []string{it.in.LeadID}, query, match)
	if err := fatal(ctx, err); err != nil {
		return err
	}
	if cause := itemError(halopsa.ResActions, 0, results, failed, err); cause != nil {
		if errors.Is(cause, halopsa.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("sink: note on folded lead %s's ticket: %w", it.in.LeadID, cause)
	}
	return nil
}

// ownsAny reports whether any owned field has the prefix.
func ownsAny(owned []string, prefix string) bool {
	for _, o := range owned {
		if strings.HasPrefix(o, prefix) {
			return true
		}
	}
	return false
}
