package match

import (
	"slices"
	"sort"
)

// Score scores an incoming record against one candidate record and checks
// the pair guards G1 and G2 (G3 needs all candidates; see [Decide]). A
// pair at two organisations (see twoOrganisations) scores 0 and fails
// guard "org": a namesake or a job change, so a new lead (§4.1, §4.3).
func Score(in, cand Record, phoneShared bool, cfg Config) Breakdown {
	a, b := prepare(&in), prepare(&cand)
	return score(&a, &b, phoneShared, &cfg)
}

// ScorePrepared is Score for records already prepared: their comparison
// forms are not computed again.
func ScorePrepared(in, cand *Prepared, phoneShared bool, cfg Config) Breakdown {
	a, b := in.p, cand.p // copies: score keeps per-pair memos in them
	return score(&a, &b, phoneShared, &cfg)
}

func score(a, b *prep, shared bool, cfg *Config) Breakdown {
	var bd Breakdown
	if twoOrganisations(a, b, shared) {
		bd.Failed = append(bd.Failed, "org")
		return bd // score 0: never merged, never reviewed
	}
	components(a, b, shared, cfg, &bd)
	if cfg.Model == ModelFellegiSunter {
		bd.MatchWeight = fsWeight(a, b, shared, &cfg.FS)
		bd.Score = posterior(bd.MatchWeight + cfg.FS.Prior)
	}
	if bd.ComparableWeight < cfg.MinComparableWeight || !(bd.E.Comparable || bd.P.Comparable || bd.A.Comparable) {
		bd.Failed = append(bd.Failed, "G1")
	}
	if bd.N.Comparable && bd.N.Value < cfg.MinName &&
		!(cfg.LooseNames && namesAgree(a, b)) &&
		!(cfg.AddressOverridesName && addressOverrides(a, b, shared)) {
		bd.Failed = append(bd.Failed, "G2")
	}
	return bd
}

// twoOrganisations reports whether a pair belongs to two organisations
// with no personal phone number in common: both records have an
// organisation domain and the domains differ (§4.3: the domain is the
// organisation key), or both have company mail addresses on unlike domains
// that are not a typo of each other.
func twoOrganisations(a, b *prep, shared bool) bool {
	return (otherDomains(a, b) || otherOrganisations(a, b) && emailLevel(a, b) == 5) && phoneLevel(a, b, shared) != 0
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
	return decide(prepare(&in), candidates, cfg)
}

// DecidePrepared is Decide for a record already prepared (the caller
// also takes its blocking keys and files it, from the same forms).
func DecidePrepared(in *Prepared, candidates []Candidate, cfg Config) Decision {
	if len(candidates) == 0 {
		return Decision{Outcome: New}
	}
	return decide(in.p, candidates, cfg)
}

// decide is Decide on the incoming record's comparison forms pin (a copy:
// its per-pair memos stay with this call).
func decide(pin prep, candidates []Candidate, cfg Config) Decision {
	in := pin.r
	// leads holds each lead's best breakdown, in the order the leads
	// first appear; a lead's records are usually adjacent, so the last
	// lead is tried first. (A map and a heap-allocated breakdown per
	// candidate cost more than the scoring at 20 leads × 4 records.)
	leads := make([]Breakdown, 0, min(len(candidates), 32))
	var exactOrder []string
	for i := range candidates {
		c := &candidates[i]
		pc := c.prepared()
		bd := score(&pin, &pc, c.PhoneShared, &cfg)
		bd.LeadID = c.LeadID
		if in.Email != "" && in.Email == pc.r.Email && !in.EmailRole && !pc.r.EmailRole &&
			!(pin.hasName() && pc.hasName() && bd.N.Value < cfg.ExactEmailMinName &&
				!(cfg.LooseNames && namesAgree(&pin, &pc))) {
			if !slices.Contains(exactOrder, c.LeadID) {
				exactOrder = append(exactOrder, c.LeadID)
			}
		}
		j := len(leads) - 1
		for j >= 0 && leads[j].LeadID != c.LeadID {
			j--
		}
		if j < 0 {
			leads = append(leads, bd)
			continue
		}
		if better(&bd, &leads[j], cfg.AutoMerge) {
			leads[j] = bd
		}
	}
	// best returns lead id's breakdown.
	best := func(id string) *Breakdown {
		for i := range leads {
			if leads[i].LeadID == id {
				return &leads[i]
			}
		}
		return nil
	}
	if len(exactOrder) == 1 {
		// Taken before leads is sorted: the same breakdown either way.
		id := exactOrder[0]
		bd := *best(id)
		bestScore := bd.Score
		for i := range leads {
			bestScore = max(bestScore, leads[i].Score)
		}
		return Decision{Outcome: AutoMerge, Target: id, Reason: ReasonExactEmail, Matches: []Breakdown{bd}, Best: bestScore, Scored: true}
	}
	sort.SliceStable(leads, func(i, j int) bool { return leads[i].Score > leads[j].Score })
	bestScore := leads[0].Score

	if len(exactOrder) > 1 {
		var m []Breakdown
		for _, bd := range leads {
			if slices.Contains(exactOrder, bd.LeadID) {
				m = append(m, bd)
			}
		}
		return Decision{Outcome: Review, Target: m[0].LeadID, Reason: ReasonPossibleDuplicate, Matches: m, Best: bestScore, Scored: true}
	}

	high := 0
	for _, bd := range leads {
		if bd.Score >= cfg.AutoMerge {
			high++
		}
	}
	if high > 1 && !(cfg.G3Margin > 0 && cfg.Model == ModelFellegiSunter &&
		len(leads[0].Failed) == 0 && leads[0].MatchWeight-leads[1].MatchWeight >= cfg.G3Margin) {
		for i := range leads[:high] {
			leads[i].Failed = append(leads[i].Failed, "G3")
		}
	}
	top := leads[0]
	if top.Score >= cfg.AutoMerge && len(top.Failed) == 0 {
		return Decision{Outcome: AutoMerge, Target: top.LeadID, Reason: ReasonFuzzy, Matches: []Breakdown{top}, Best: bestScore, Scored: true}
	}
	if top.Score < cfg.Review {
		return Decision{Outcome: New, Best: bestScore, Scored: true}
	}
	n := 0
	for n < len(leads) && leads[n].Score >= cfg.Review {
		n++
	}
	return Decision{Outcome: Review, Target: top.LeadID, Reason: ReasonPossibleDuplicate, Matches: leads[:n], Best: bestScore, Scored: true}
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

// addressOverrides reports whether a pair's postal address agrees so
// closely that a disagreeing name should not hold it back (the G2 waiver
// of Config.AddressOverridesName), and nothing else tells the two records
// apart: no comparable e-mail other than an equal key, no different phone,
// and no organisation on both sides (colleagues share an office address,
// so at one organisation the names must agree).
func addressOverrides(a, b *prep, shared bool) bool {
	if e := emailLevel(a, b); e > 1 {
		return false
	}
	if phoneLevel(a, b, shared) == 2 || companyLevel(a, b) >= 0 {
		return false
	}
	return addressAgrees(a, b)
}

// addressAgrees: the streets agree (similarity ≥ 0.9, or ≥ 0.75 with an
// equal house number and postcode), the house numbers do not differ, the
// postcodes are equal or one edit apart, and the cities do not differ.
func addressAgrees(a, b *prep) bool {
	st, num, pc, city := streetLevel(a, b), numberLevel(a, b), postcodeLevel(a, b), cityLevel(a, b)
	if st < 0 || num == 1 || pc < 0 || pc == 2 || city == 2 {
		return false
	}
	return st <= 1 || st == 2 && num == 0 && pc == 0
}

// namesAgree reports whether the name parts of two records agree in
// any order: each part of the record with fewer parts (one side may lack
// a first or a last name) agrees with its own part of the other record.
// Parts agree when they are equal or nicknames of each other, when their
// Jaro-Winkler similarity without spaces is at least 0.88, or when they
// are the same letters in another order (scrambled entry), perhaps less one. Anna Berg and
// Otto Berg do not agree; Tyler Hughes and "Hughes, Tyler" do.
func namesAgree(a, b *prep) bool {
	pa, pb := nameParts(a), nameParts(b)
	if len(pa) == 0 || len(pb) == 0 {
		return false
	}
	if len(pa) > len(pb) {
		pa, pb = pb, pa
	}
	agree := func(x, y string) bool {
		return jwLoose(x, y) >= 0.88 || nicknameEquivalent(x, y) || scrambled(x, y)
	}
	if len(pa) == 1 {
		return agree(pa[0], pb[0]) || len(pb) > 1 && agree(pa[0], pb[1])
	}
	return agree(pa[0], pb[0]) && agree(pa[1], pb[1]) || agree(pa[0], pb[1]) && agree(pa[1], pb[0])
}

// nameParts returns the first and last name match forms a record has.
func nameParts(p *prep) []string {
	var parts []string
	if p.first != "" {
		parts = append(parts, p.first)
	}
	if p.last != "" {
		parts = append(parts, p.last)
	}
	if len(parts) == 0 && p.full != "" {
		parts = append(parts, p.full)
	}
	return parts
}
