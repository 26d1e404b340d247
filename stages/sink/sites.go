package sink

import (
	"context"
	stdjson "encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/internal/textsafe"
)

// Organisation leads (issue 12). A record with a company and no person is
// one site of an organisation: dedupe decides which organisation
// (lead.OrganisationID, the HaloPSA Client) and which site (the lead, a
// HaloPSA Site). The sink writes it as a Client and a Site, never a User,
// and a lead Ticket only with Options.OrganisationTickets:
//
//   - the first organisation lead of a Client the sink makes seeds its
//     main site with its address (newclient_delivery_address): that Site
//     is the lead's (orgRecord.SeededBy);
//   - another organisation lead of the organisation (the same organisation
//     key, or dedupe's organisation id, keyOrgID) takes the Client's Site
//     at its address when there is one (the tenant's, read with
//     includeaddress, or one leadstream made), else gets a Site of its own
//     (POST /api/Site), so two organisation records at two addresses end
//     as one Client with two Sites;
//   - an organisation lead without any address takes the main site.
//
// A Site create follows the write protocol of the other creates: an
// intent marker (phase site) is committed before the POST; an unknown
// outcome, or a marker found on the next attempt, is read back (the Sites
// changed since, with their addresses) and the Site at the lead's Client
// and address (by name without one) is claimed instead of sent again.

// seeded notes, for a Client leadstream has just created, which
// organisation lead's address seeded its main site, and files that site's
// address so later leads at the address find it.
func (p *processor) seeded(ow *orgWork) {
	if ow.key == fallbackOrg || ow.rec.SiteID == 0 {
		return
	}
	l := ow.first.in.Lead
	if l.IsOrganisation() {
		ow.rec.SeededBy = ow.first.in.LeadID
	}
	if a, ok := siteAddress(l); ok {
		name := "Head Office"
		if l.IsOrganisation() {
			name = siteName(l)
		}
		p.stage.tenant.addSite(ow.rec.SiteID, ow.rec.ClientID, a, name)
	}
}

// createSites gives every organisation lead among the creators its Site:
// the main site it seeded, the Client's Site at its address, the main
// site when it has no address, else a new Site (one array POST).
func (p *processor) createSites(ctx context.Context, creators []*item) error {
	var todo, reread []*item
	var since time.Time
	for _, it := range creators {
		if it.err != nil || it.m.ClientID == 0 || it.m.OrgSite || !it.in.Lead.IsOrganisation() {
			continue
		}
		_, hasAddress := siteAddress(it.in.Lead)
		if it.seeded || !hasAddress {
			// it.m.SiteID is the Client's main site.
			it.m.OrgSite = true
			if err := p.save(it); err != nil {
				return err
			}
			continue
		}
		if id, ok := p.stage.tenant.orgSite(it.m.ClientID, it.in.Lead); ok {
			it.m.SiteID, it.m.OrgSite = id, true
			if err := p.save(it); err != nil {
				return err
			}
			continue
		}
		if it.prior.Phase == phaseSite {
			// An earlier attempt sent this Site's create: look first.
			reread = append(reread, it)
			if since.IsZero() || it.prior.At.Before(since) {
				since = it.prior.At
			}
		}
		todo = append(todo, it)
	}
	if len(reread) > 0 {
		rows, err := p.w.recent(ctx, halopsa.ResSite, url.Values{"includeaddress": {"true"}}, since.Add(-clockSkew))
		if err := fatal(ctx, err); err != nil {
			return err
		}
		if err != nil {
			for _, it := range reread {
				it.err = err
			}
		} else {
			idx := make([]int, len(reread))
			for i := range idx {
				idx[i] = i
			}
			for i, row := range matchSites(reread)(rows, idx) {
				if err := p.takeSite(reread[i], row); err != nil {
					return err
				}
			}
		}
	}
	var items []map[string]any
	var leads []string
	pending := todo[:0]
	for _, it := range todo {
		if it.err != nil || it.m.OrgSite {
			continue
		}
		pending = append(pending, it)
		items = append(items, p.siteBody(it))
		leads = append(leads, it.in.LeadID)
	}
	todo = pending
	if err := p.intend(ctx, todo, phaseSite); err != nil || len(todo) == 0 {
		return err
	}
	results, failed, err := p.createAll(ctx, halopsa.ResSite, items, leads, url.Values{"includeaddress": {"true"}}, matchSites(todo))
	if err := fatal(ctx, err); err != nil {
		return err
	}
	for i, it := range todo {
		if cause := itemError(halopsa.ResSite, i, results, failed, err); cause != nil {
			it.err = cause
			continue
		}
		if err := p.takeSite(it, results[i]); err != nil {
			return err
		}
	}
	return nil
}

// takeSite stores the Site row created (or claimed) for an organisation
// lead.
func (p *processor) takeSite(it *item, row stdjson.RawMessage) error {
	var st halopsa.Site
	if err := json.Unmarshal(row, &st); err != nil || st.ID == 0 {
		it.err = fmt.Errorf("sink: HaloPSA answered a Site create without an id: %s", truncate(row))
		return nil
	}
	it.m.SiteID, it.m.OrgSite = st.ID, true
	if a, ok := siteAddress(it.in.Lead); ok {
		p.stage.tenant.addSite(st.ID, it.m.ClientID, a, siteName(it.in.Lead))
	}
	return p.save(it)
}

// matchSites claims Site rows for organisation leads: at the lead's
// Client, with its address (street and postcode, else street and city),
// else with the name the sink gives it.
func matchSites(todo []*item) readBack {
	return func(rows []stdjson.RawMessage, missing []int) map[int]stdjson.RawMessage {
		type row struct {
			st  halopsa.Site
			raw stdjson.RawMessage
		}
		var rs []row
		for _, r := range rows {
			var st halopsa.Site
			if json.Unmarshal(r, &st) == nil && st.ID != 0 && !st.Inactive {
				rs = append(rs, row{st, r})
			}
		}
		out := map[int]stdjson.RawMessage{}
		taken := map[int]bool{}
		for _, i := range missing {
			it := todo[i]
			want := leadSiteKeys(it.in.Lead)
			name := strings.TrimSpace(textsafe.Cell(siteName(it.in.Lead)))
			for _, r := range rs {
				if taken[r.st.ID] || r.st.ClientID != it.m.ClientID {
					continue
				}
				if !sameSite(r.st, want, name) {
					continue
				}
				taken[r.st.ID], out[i] = true, r.raw
				break
			}
		}
		return out
	}
}

// leadSiteKeys are the address keys of an organisation lead's Site, as
// written (neutralised).
func leadSiteKeys(l *lead.Lead) []string {
	a, _ := siteAddress(l)
	return siteKeys(textsafe.Cell(a.Street), textsafe.Cell(a.City), textsafe.Cell(a.Postcode))
}

// sameSite reports whether a Site row has one of the address keys, or,
// when there are none, the name.
func sameSite(st halopsa.Site, keys []string, name string) bool {
	if len(keys) == 0 {
		return strings.EqualFold(strings.TrimSpace(st.Name), name)
	}
	if st.DeliveryAddress == nil {
		return false
	}
	a := st.DeliveryAddress
	for _, k := range siteKeys(a.Line1, a.Line2, a.Postcode) {
		for _, w := range keys {
			if k == w {
				return true
			}
		}
	}
	return false
}
