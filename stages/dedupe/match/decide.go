package match

import "sort"

// Score scores an incoming record against one candidate record and checks
// the pair guards G1 and G2 (G3 needs all candidates; see [Decide]).
func Score(in, cand Record, phoneShared bool, cfg Config) Breakdown {
	a, b := prepare(&in), prepare(&cand)
	return score(&a, &b, phoneShared, &cfg)
}

func score(a, b *prep, shared bool, cfg *Config) Breakdown {
	var bd Breakdown
	components(a, b, shared, cfg, &bd)
	if cfg.Model == ModelFellegiSunter {
		bd.MatchWeight = fsWeight(a, b, shared, &cfg.FS)
		bd.Score = posterior(bd.MatchWeight + cfg.FS.Prior)
	}
	if bd.ComparableWeight < cfg.MinComparableWeight || !(bd.E.Comparable || bd.P.Comparable || bd.A.Comparable) {
		bd.Failed = append(bd.Failed, "G1")
	}
	if bd.N.Comparable && bd.N.Value < cfg.MinName {
		bd.Failed = append(bd.Failed, "G2")
	}
	return bd
}

// Decide matches an incoming record against the candidate records of
// existing leads (§4.1, §4.2):
//
//  1. An equal email key auto-merges into that lead, unless the address is
//     a role address or both records have names with N below
//     Config.ExactEmailMinName; those go the fuzzy path. Equal keys on two
//     or more leads go to review.
//  2. Otherwise every lead is scored by its best candidate record. Exactly
//     one lead at or above Config.AutoMerge with guards G1 and G2 passing
//     auto-merges (G3: a second lead above the threshold sends both to
//     review). A best score at or above Config.Review, or a failed guard,
//     gives review (possible_duplicate). Anything else is a new lead.
//
// G4 holds by construction: an auto-merge names one target lead.
func Decide(in Record, candidates []Candidate, cfg Config) Decision {
	if len(candidates) == 0 {
		return Decision{Outcome: New}
	}
	pin := prepare(&in)
	best := make(map[string]*Breakdown, len(candidates))
	var order []string
	exact := make(map[string]bool)
	var exactOrder []string
	for i := range candidates {
		c := &candidates[i]
		pc := prepare(&c.Record)
		bd := score(&pin, &pc, c.PhoneShared, &cfg)
		bd.LeadID = c.LeadID
		if in.Email != "" && in.Email == c.Record.Email && !in.EmailRole && !c.Record.EmailRole &&
			!(pin.hasName() && pc.hasName() && bd.N.Value < cfg.ExactEmailMinName) {
			if !exact[c.LeadID] {
				exact[c.LeadID] = true
				exactOrder = append(exactOrder, c.LeadID)
			}
		}
		cur, ok := best[c.LeadID]
		if !ok {
			order = append(order, c.LeadID)
			best[c.LeadID] = &bd
			continue
		}
		if better(&bd, cur, cfg.AutoMerge) {
			best[c.LeadID] = &bd
		}
	}

	leads := make([]Breakdown, 0, len(order))
	for _, id := range order {
		leads = append(leads, *best[id])
	}
	sort.SliceStable(leads, func(i, j int) bool { return leads[i].Score > leads[j].Score })

	if len(exactOrder) == 1 {
		id := exactOrder[0]
		return Decision{Outcome: AutoMerge, Target: id, Reason: ReasonExactEmail, Matches: []Breakdown{*best[id]}}
	}
	if len(exactOrder) > 1 {
		var m []Breakdown
		for _, bd := range leads {
			if exact[bd.LeadID] {
				m = append(m, bd)
			}
		}
		return Decision{Outcome: Review, Target: m[0].LeadID, Reason: ReasonPossibleDuplicate, Matches: m}
	}

	high := 0
	for _, bd := range leads {
		if bd.Score >= cfg.AutoMerge {
			high++
		}
	}
	if high > 1 {
		for i := range leads[:high] {
			leads[i].Failed = append(leads[i].Failed, "G3")
		}
	}
	top := leads[0]
	if top.Score >= cfg.AutoMerge && len(top.Failed) == 0 {
		return Decision{Outcome: AutoMerge, Target: top.LeadID, Reason: ReasonFuzzy, Matches: []Breakdown{top}}
	}
	if top.Score < cfg.Review {
		return Decision{Outcome: New}
	}
	n := 0
	for n < len(leads) && leads[n].Score >= cfg.Review {
		n++
	}
	return Decision{Outcome: Review, Target: top.LeadID, Reason: ReasonPossibleDuplicate, Matches: leads[:n]}
}

// better reports whether breakdown x should replace y as a lead's best:
// a guard-passing score at or above the auto-merge threshold wins, then
// the higher score.
func better(x, y *Breakdown, auto float64) bool {
	xa := x.Score >= auto && len(x.Failed) == 0
	ya := y.Score >= auto && len(y.Failed) == 0
	if xa != ya {
		return xa
	}
	return x.Score > y.Score
}
