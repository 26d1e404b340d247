package crm

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/internal/textsafe"
	"github.com/leadstream/leadstream/internal/workflow"
)

// The writes the automatic rules make (crm.md §6.5, §6.6, §7.3).

// convert re-types the lead ticket to a prospect (§6.5). It is skipped when
// the ticket already has the prospect type or a CF_207.
func (r *run) convert(snap *snapshot, o *ticket) error {
	eng := r.p.eng
	prospectType, ok := eng.TicketTypeID(workflow.EntityProspect)
	if !ok {
		return fmt.Errorf("crm: the prospect entity has no ticket type")
	}
	fields := o.fields()
	if int(o.TicketTypeID) == prospectType || fields[cfPromotedFromLead] != "" {
		r.p.log.Info("conversion already done", "ticket", snap.ObjectID)
		return nil
	}
	written := map[string]string{cfPromotedFromLead: strconv.Itoa(snap.ObjectID)}
	if fields[cfDecisionMaker] == "" {
		if name, err := r.fullName(int(o.UserID)); err != nil {
			return err
		} else if name != "" {
			written[cfDecisionMaker] = name
		}
	}
	if fields[cfFitScore] == "" {
		if r.p.stage.FitScore != nil {
			if fit, ok := r.p.stage.FitScore(r.ctx, snap.LeadID); ok {
				written[cfFitScore] = strconv.Itoa(fit)
			}
		} else {
			written[cfFitScore] = strconv.Itoa(lead.Fit(fitFromTicket(fields)))
		}
	}
	body := map[string]any{
		"id":            snap.ObjectID,
		"tickettype_id": prospectType,
		"status_id":     eng.StatusID(eng.Initial(workflow.EntityProspect)),
		"customfields":  customFields(written),
	}
	echo, err := r.upsert(halopsa.ResTickets, body)
	if err != nil {
		return fmt.Errorf("crm: convert ticket %d: %w", snap.ObjectID, err)
	}
	r.wrote(snap, written, echo)
	r.p.log.Info("lead converted to prospect", "ticket", snap.ObjectID, "lead", snap.LeadID)
	return nil
}

// fitFromTicket reads the fit score's inputs (crm.md §3.3) from the lead
// ticket's own fields, as the sink wrote them and people corrected them:
// CF_109 management level, CF_108 headcount, CF_102 industry, CF_106
// technologies and the country at the end of CF_113.
func fitFromTicket(fields map[string]string) lead.FitInput {
	in := lead.FitInput{Seniority: fields["CF_109"], EmployeeRange: fields["CF_108"]}
	if ind, _, _ := strings.Cut(fields["CF_102"], " | "); ind != "" {
		in.Industry = ind
	}
	for _, t := range strings.Split(fields["CF_106"], ",") {
		if t = strings.TrimSpace(t); t != "" {
			in.Technologies = append(in.Technologies, t)
		}
	}
	if hq := fields["CF_113"]; hq != "" {
		parts := strings.Split(hq, ",")
		if c, ok := lead.NormalizeCountry(strings.TrimSpace(parts[len(parts)-1])); ok {
			in.Country = c
		}
	}
	return in
}

// promote creates the opportunity of a qualified prospect, or finds the
// one an earlier attempt created (CF_305), and closes the prospect with
// the promoted status (§6.6). It returns the opportunity id.
func (r *run) promote(snap *snapshot, o *ticket) (int, error) {
	eng, halo := r.p.eng, r.p.stage.Halo
	prospect := strconv.Itoa(snap.ObjectID)
	fields := o.fields()
	oppID := snap.OpportunityID
	if oppID == 0 {
		q := url.Values{"include_custom_fields": {strconv.Itoa(cfID(cfPromotedFromPros))}}
		if o.ClientID > 0 {
			q.Set("client_id", strconv.Itoa(int(o.ClientID)))
		}
		opps, err := halopsa.ListAll[ticket](r.ctx, halo, halopsa.ResOpportunities, q)
		if err != nil {
			return 0, fmt.Errorf("crm: promote ticket %d: looking for its opportunity: %w", snap.ObjectID, err)
		}
		for _, op := range opps {
			if op.fields()[cfPromotedFromPros] == prospect {
				oppID = int(op.ID)
				break
			}
		}
	}
	if oppID == 0 {
		opp, err := r.opportunity(snap, o, fields)
		if err != nil {
			return 0, err
		}
		created, err := halo.UpsertOpportunities(r.ctx, opp)
		if err != nil || len(created) != 1 || created[0].ID == 0 {
			return 0, fmt.Errorf("crm: promote ticket %d: create the opportunity: %w", snap.ObjectID, err)
		}
		oppID = created[0].ID
		r.p.log.Info("opportunity created", "ticket", snap.ObjectID, "opportunity", oppID, "lead", snap.LeadID)
	}
	snap.OpportunityID = oppID
	promoted := eng.StatusID("promoted_to_opportunity")
	if int(o.StatusID) != promoted {
		echo, err := r.upsert(halopsa.ResTickets, map[string]any{"id": snap.ObjectID, "status_id": promoted})
		if err != nil {
			return 0, fmt.Errorf("crm: close prospect %d: %w", snap.ObjectID, err)
		}
		r.wrote(snap, nil, echo)
	}
	return oppID, nil
}

// opportunity builds the create body of §6.6.
func (r *run) opportunity(snap *snapshot, o *ticket, fields map[string]string) (halopsa.Ticket, error) {
	eng := r.p.eng
	client := o.ClientName
	if client == "" && o.ClientID > 0 {
		var a halopsa.Area
		if err := r.p.stage.Halo.Get(r.ctx, halopsa.ResClient, int(o.ClientID), &a); err != nil {
			return halopsa.Ticket{}, fmt.Errorf("crm: promote ticket %d: read client: %w", snap.ObjectID, err)
		}
		client = a.Name
	}
	service := strings.TrimSpace(fields[cfQualifiedService])
	summary := service
	if summary == "" {
		summary = "Services"
	}
	if client != "" {
		summary = client + " - " + summary
	}
	initial := eng.Initial(workflow.EntityOpportunity)
	opp := halopsa.Ticket{
		Summary: textsafe.Cell(summary),
		Details: fmt.Sprintf("Promoted from prospect ticket #%d on %s %s", snap.ObjectID, r.now.Format("2006-01-02"),
			lead.TicketRef(snap.LeadID, snap.Key)),
		StatusID: eng.StatusID(initial),
		ClientID: int(o.ClientID),
		SiteID:   int(o.SiteID),
		UserID:   int(o.UserID),
		CustomFields: []halopsa.CustomField{
			{ID: cfID(cfPromotedFromPros), Value: strconv.Itoa(snap.ObjectID)},
		},
	}
	if service != "" {
		opp.CustomFields = append([]halopsa.CustomField{{ID: cfID(cfProducts), Value: textsafe.Cell(service)}}, opp.CustomFields...)
	}
	if id, ok := eng.TicketTypeID(workflow.EntityOpportunity); ok {
		opp.TicketTypeID = id
	}
	defaults := eng.Opportunity()
	if v, ok := defaults.BudgetValue[fields[cfBudget]]; ok {
		opp.OppValue = v
	}
	if p, ok := eng.Probability(initial); ok {
		opp.OppConversionProbability = float64(p)
	}
	if m, ok := defaults.TimeframeMonths[fields[cfTimeframe]]; ok {
		opp.TargetDate = r.now.AddDate(0, m, 0).Format("2006-01-02") + "T00:00:00"
	}
	return opp, nil
}

// probability sets an opportunity's oppconversionprobability from its
// status (§7.3); the caller checks that no person owns the field.
func (r *run) probability(snap *snapshot, o *ticket) error {
	p, ok := r.p.eng.Probability(snap.Status)
	if !ok {
		return nil
	}
	want := strconv.Itoa(p)
	if o.fields()[fieldProbability] == want {
		return nil
	}
	echo, err := r.upsert(halopsa.ResOpportunities, map[string]any{"id": snap.ObjectID, fieldProbability: p})
	if err != nil {
		return fmt.Errorf("crm: opportunity %d probability: %w", snap.ObjectID, err)
	}
	r.wrote(snap, map[string]string{fieldProbability: want}, echo)
	return nil
}

func (r *run) owns(snap *snapshot, field string) bool {
	for _, f := range snap.Owned {
		if f == "ticket."+field {
			return true
		}
	}
	return false
}

// fullName is the contact's name for CF_203 (the sink writes the lead's
// full name to the Users record).
func (r *run) fullName(userID int) (string, error) {
	if userID <= 0 {
		return "", nil
	}
	var u halopsa.User
	if err := r.p.stage.Halo.Get(r.ctx, halopsa.ResUsers, userID, &u); err != nil {
		if isNotFound(err) {
			return "", nil
		}
		return "", fmt.Errorf("crm: read user %d: %w", userID, err)
	}
	if n := strings.TrimSpace(u.Name); n != "" {
		return n, nil
	}
	return strings.TrimSpace(u.FirstName + " " + u.Surname), nil
}

// upsert POSTs one element and decodes the echo.
func (r *run) upsert(resource string, body map[string]any) (*ticket, error) {
	raws, err := r.p.stage.Halo.UpsertRaw(r.ctx, resource, []any{body})
	if err != nil {
		return nil, err
	}
	var t ticket
	if err := json.Unmarshal(raws[0], &t); err != nil {
		return nil, fmt.Errorf("decoding the echo: %w", err)
	}
	return &t, nil
}

// wrote records leadstream's own write: the values it sent, and the echo
// as the latest view of HaloPSA (so the webhook it causes is an echo).
func (r *run) wrote(snap *snapshot, written map[string]string, echo *ticket) {
	if snap.Written == nil {
		snap.Written = map[string]string{}
	}
	for k, v := range written {
		snap.Written[k] = v
	}
	snap.HaloStatusID = int(echo.StatusID)
	r.absorb(snap, echo)
}

func customFields(values map[string]string) []halopsa.CustomField {
	var out []halopsa.CustomField
	for _, k := range sortedKeys(values) {
		out = append(out, halopsa.CustomField{ID: cfID(k), Value: values[k]})
	}
	return out
}
