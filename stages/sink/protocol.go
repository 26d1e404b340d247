package sink

import (
	"github.com/leadstream/leadstream/internal/ctxtime"

	"context"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/internal/textsafe"
)

const (
	// createAttempts bounds the create → read back rounds of one array.
	createAttempts = 4
	// clockSkew widens every read-back window (lastupdatefromdate), for
	// the difference between this machine's clock and HaloPSA's.
	clockSkew = 2 * time.Minute
	// lateWrite is how long after it was sent a write may still be applied
	// (HaloPSA's gateway answers 504 after about 90 s while the write goes
	// on): an index read later than that holds whatever it created.
	lateWrite = 2 * time.Minute
)

// readBack finds, among rows read back from HaloPSA, the records the
// creates at the missing positions made: it returns position → row.
type readBack func(rows []stdjson.RawMessage, missing []int) map[int]stdjson.RawMessage

// createAll creates items with the write protocol for unknown outcomes:
// an array whose answer leaves its outcome unknown (5xx, timeout, a
// connection broken after sending) is never sent again as it was.
// Instead the sink waits, reads back what changed in resource since just
// before the send (query narrows the read), lets match claim the rows its
// missing creates made, and sends again only those still missing — until
// createAttempts rounds in a row settle nothing. results[i] is the created (or found) row of
// items[i]; an error leaves the rest to the lead's next attempt, whose
// intent marker makes it read back first.
func (p *processor) createAll(ctx context.Context, resource string, items []map[string]any, leads []string, query url.Values, match readBack) ([]stdjson.RawMessage, []halopsa.ItemError, error) {
	results := make([]stdjson.RawMessage, len(items))
	var failed []halopsa.ItemError
	pending := make([]int, len(items))
	for i := range pending {
		pending[i] = i
	}
	for attempt, stalls := 0, 0; ; attempt++ {
		sub := make([]map[string]any, len(pending))
		subLeads := make([]string, len(pending))
		for j, i := range pending {
			sub[j], subLeads[j] = items[i], leads[i]
		}
		sent := p.stage.opts.Now()
		res, fl, err := p.w.create(ctx, resource, sub, subLeads)
		for j, i := range pending {
			if j < len(res) && res[j] != nil {
				results[i] = res[j]
			}
		}
		for _, f := range fl {
			failed = append(failed, halopsa.ItemError{Index: pending[f.Index], Err: f.Err})
		}
		if !errors.Is(err, halopsa.ErrOutcomeUnknown) || ctx.Err() != nil {
			return results, failed, err
		}
		var missing []int
		for _, i := range pending {
			if results[i] == nil && !isFailed(failed, i) {
				missing = append(missing, i)
			}
		}
		p.stage.opts.Metrics.unknownOutcome(resource)
		p.stage.log.Warn("HaloPSA write outcome unknown; reading back before sending again",
			"resource", resource, "elements", len(missing), "attempt", attempt+1, "error", err)
		// Rounds that settle some elements do not count against the
		// bound; createAttempts rounds in a row that settle none do.
		if len(missing) == len(pending) {
			stalls++
		} else {
			stalls = 0
		}
		if stalls >= createAttempts {
			return results, failed, errUnresolved(resource, err)
		}
		if err := ctxtime.Sleep(ctx, p.w.pause(stalls)); err != nil {
			return results, failed, err
		}
		rows, rerr := p.w.recent(ctx, resource, query, sent.Add(-clockSkew))
		if rerr != nil {
			return results, failed, errors.Join(err, rerr)
		}
		found := match(rows, missing)
		if len(found) > 0 {
			stalls = 0
		}
		pending = pending[:0]
		for _, i := range missing {
			if row, ok := found[i]; ok {
				results[i] = row
				continue
			}
			pending = append(pending, i)
		}
		p.stage.log.Info("HaloPSA read back after an unknown outcome", "resource", resource,
			"found", len(missing)-len(pending), "still_missing", len(pending))
		if len(pending) == 0 {
			return results, failed, nil
		}
	}
}

func isFailed(failed []halopsa.ItemError, i int) bool {
	for _, f := range failed {
		if f.Index == i {
			return true
		}
	}
	return false
}

// matchClients claims Client rows for organisations: by website domain,
// by normalised name when the organisation has no domain (and the row no
// website), the fallback Client by its exact name.
func matchClients(orgs []*orgWork) readBack {
	return func(rows []stdjson.RawMessage, missing []int) map[int]stdjson.RawMessage {
		var as []halopsa.Area
		for _, r := range rows {
			var a halopsa.Area
			if json.Unmarshal(r, &a) == nil && a.ID != 0 {
				as = append(as, a)
			}
		}
		out := map[int]stdjson.RawMessage{}
		taken := map[int]bool{}
		for _, i := range missing {
			ow := orgs[i]
			for j, a := range as {
				if taken[a.ID] || !ow.matches(a) {
					continue
				}
				taken[a.ID], out[i] = true, rows[j]
				break
			}
		}
		return out
	}
}

// matches reports whether a Client row is the one this organisation's
// create made.
func (ow *orgWork) matches(a halopsa.Area) bool {
	d := lead.RegistrableDomain(a.Website)
	switch {
	case ow.key == fallbackOrg:
		// What was written is the neutralised name (records.go).
		return strings.EqualFold(strings.TrimSpace(a.Name), strings.TrimSpace(textsafe.Cell(ow.name)))
	case domainOf(ow.key) != "":
		return d == domainOf(ow.key)
	default:
		return d == "" && lead.CompanyKey(a.Name) == lead.CompanyKey(ow.name)
	}
}

// matchUsers claims User rows for leads: by e-mail, else by name at the
// lead's Client, each row once.
func matchUsers(todo []*item) readBack {
	return func(rows []stdjson.RawMessage, missing []int) map[int]stdjson.RawMessage {
		var ti tenantIndex
		raw := map[int]stdjson.RawMessage{}
		for _, r := range rows {
			var u halopsa.User
			if json.Unmarshal(r, &u) == nil && u.ID != 0 {
				ti.addUserLocked(u)
				raw[u.ID] = r
			}
		}
		out := map[int]stdjson.RawMessage{}
		for _, i := range missing {
			if u, ok := ti.user(todo[i].in.LeadID, todo[i].in.Lead, todo[i].m.ClientID); ok {
				out[i] = raw[u.ID]
				ti.ownUser(u.ID, todo[i].in.LeadID) // claimed: a namesake of the batch takes another
			}
		}
		return out
	}
}

// matchTickets claims lead Ticket rows by their User: each lead has its
// own User, and one open lead Ticket per User. An organisation lead's
// Ticket has no User: it is claimed by its Site.
func matchTickets(todo []*item) readBack {
	return func(rows []stdjson.RawMessage, missing []int) map[int]stdjson.RawMessage {
		byUser := map[int]stdjson.RawMessage{}
		bySite := map[int]stdjson.RawMessage{}
		for _, r := range rows {
			var t halopsa.Ticket
			if json.Unmarshal(r, &t) != nil || t.ID == 0 {
				continue
			}
			if t.UserID != 0 {
				if _, ok := byUser[t.UserID]; !ok {
					byUser[t.UserID] = r
				}
			} else if t.SiteID != 0 {
				if _, ok := bySite[t.SiteID]; !ok {
					bySite[t.SiteID] = r
				}
			}
		}
		out := map[int]stdjson.RawMessage{}
		for _, i := range missing {
			m := todo[i].m
			if m.UserID == 0 {
				if r, ok := bySite[m.SiteID]; ok {
					out[i] = r
				}
				continue
			}
			if r, ok := byUser[m.UserID]; ok {
				out[i] = r
			}
		}
		return out
	}
}

// errUnresolved is the error of creates whose outcome stayed unknown
// through createAttempts read-backs in a row that settled nothing.
func errUnresolved(resource string, err error) error {
	return fmt.Errorf("sink: HaloPSA %s create: outcome still unknown after %d read-backs; the lead's next record reads back again: %w", resource, createAttempts, err)
}
