package workflow

import "sort"

// Lookups that map the configuration's codes to HaloPSA ids and back, for
// callers that observe or write tickets (the crm stage).

// StatusID returns the HaloPSA status id of a status code, or 0 if the code
// is unknown.
func (e *Engine) StatusID(code string) int { return e.statuses[code].def.ID }

// StatusKind returns the kind (initial, active, exit, advance) of a status
// code, or "" if it is unknown.
func (e *Engine) StatusKind(code string) string { return e.statuses[code].def.Kind }

// StatusCode returns the code of HaloPSA status id within entity. Status
// ids are unique per entity only, so the entity comes first; when it holds
// no such id, the one other entity that does is used (a person may set a
// prospect status on a lead ticket). ok is false when no entity, or more
// than one other entity, has the id.
func (e *Engine) StatusCode(entity string, id int) (code string, ok bool) {
	var others []string
	for c, st := range e.statuses {
		if st.def.ID != id {
			continue
		}
		if st.entity == entity {
			return c, true
		}
		others = append(others, c)
	}
	if len(others) != 1 {
		return "", false
	}
	return others[0], true
}

// TicketTypeID returns the configured HaloPSA ticket type of entity; ok is
// false when the entity is unknown or its ticket_type_id is null (the
// opportunity default: HaloPSA applies its own type).
func (e *Engine) TicketTypeID(entity string) (id int, ok bool) {
	def, found := e.cfg.Entities[entity]
	if !found || def.TicketTypeID == nil {
		return 0, false
	}
	return *def.TicketTypeID, true
}

// Initial returns the initial status code of entity ("" if it has none).
func (e *Engine) Initial(entity string) string {
	var codes []string
	for c, st := range e.cfg.Entities[entity].Statuses {
		if st.Kind == KindInitial {
			codes = append(codes, c)
		}
	}
	sort.Strings(codes)
	if len(codes) == 0 {
		return ""
	}
	return codes[0]
}

// Probability returns the oppconversionprobability configured for an
// opportunity status code (§6.6); ok is false when it has none.
func (e *Engine) Probability(code string) (p int, ok bool) {
	st, found := e.statuses[code]
	if !found || st.def.Probability == nil {
		return 0, false
	}
	return *st.def.Probability, true
}

// Opportunity returns the opportunity value maps of §6.6.
func (e *Engine) Opportunity() OpportunityDefaults { return e.cfg.OpportunityDefaults }

// Follow returns the status an advance status's follow step leads to
// (converted_to_prospect → new_prospect), or "".
func (e *Engine) Follow(code string) string { return e.follows[code] }

// RulesAt returns the names of the enabled automatic rules that fire when
// a ticket enters status (auto_convert at engaged, auto_promote at
// qualified), sorted.
func (e *Engine) RulesAt(status string) []string {
	var out []string
	for _, name := range sortedKeys(e.cfg.Rules) {
		if r := e.cfg.Rules[name]; r.Enabled && r.WhenStatus == status {
			out = append(out, name)
		}
	}
	return out
}
