package match

import (
	"slices"
	"strings"

	"github.com/leadstream/leadstream/internal/orgname"
)

// Organisation matching (crm.md §4.3 as issue 12 changes it). An
// organisation record (Record.Organisation: a company and no person) is
// matched at two levels against the organisation records of existing
// leads:
//
//   - organisation (the HaloPSA Client): the registrable domains are equal,
//     or the names agree after orgname's normalisation (legal forms, stop
//     words, abbreviations, word order, typos; see orgname.Compare) and the
//     domains do not differ. Two known, different countries keep two
//     organisations apart; when either side has no country the name alone
//     may match (the change to §4.3 step 2).
//   - site (the HaloPSA Site, which an organisation lead is): the same
//     organisation at the same place. Two postcodes, streets or cities
//     that differ make two sites, and so do two phone numbers with no
//     street or postcode in common; a phone in common, or no address or
//     phone to compare, makes one.

// OrgDecision is what [DecideOrganisation] found.
type OrgDecision struct {
	// Site is the lead of the same site, "" for a new site.
	Site string
	// Org is a lead of the same organisation ("" for a new organisation):
	// the new site joins that lead's organisation.
	Org string
	// Sites are every lead of the same site, Site first: more than one
	// are leads of one site that arrival order split (see the dedupe
	// stage's reconciliation).
	Sites []string
}

// DecideOrganisation matches an organisation record against candidate
// records, in the caller's order (most shared blocking keys first); only
// organisation candidates count. The first lead of the same site wins,
// else the first of the same organisation.
func DecideOrganisation(in *Prepared, candidates []Candidate) OrgDecision {
	var d OrgDecision
	a := &in.p
	// A lead any of whose records names another domain is another
	// organisation, whatever its other records say.
	otherDomain := map[string]bool{}
	if a.r.Domain != "" {
		for i := range candidates {
			c := &candidates[i]
			if cr := c.record(); cr.Domain != "" && cr.Domain != a.r.Domain {
				otherDomain[c.LeadID] = true
			}
		}
	}
	for i := range candidates {
		c := &candidates[i]
		if !c.record().Organisation || otherDomain[c.LeadID] {
			continue
		}
		b := c.prepared()
		if !sameOrganisation(a, &b) {
			continue
		}
		if sameSite(a, &b) {
			if d.Site == "" {
				d.Site, d.Org = c.LeadID, c.LeadID
			}
			if !slices.Contains(d.Sites, c.LeadID) {
				d.Sites = append(d.Sites, c.LeadID)
			}
			continue
		}
		if d.Org == "" {
			d.Org = c.LeadID
		}
	}
	return d
}

// SameSite reports whether two organisation records are one site of one
// organisation (both levels above).
func SameSite(a, b *Prepared) bool {
	return a.rec.Organisation && b.rec.Organisation && sameOrganisation(&a.p, &b.p) && sameSite(&a.p, &b.p)
}

// sameOrganisation is the organisation level (see above).
func sameOrganisation(a, b *prep) bool {
	if a.r.Country != "" && b.r.Country != "" && !strings.EqualFold(a.r.Country, b.r.Country) {
		return false
	}
	if a.r.Domain != "" && b.r.Domain != "" {
		if a.r.Domain == b.r.Domain {
			return true
		}
		return false
	}
	return orgname.Compare(a.org, b.org)
}

// sameSite is the site level, for two records of one organisation.
func sameSite(a, b *prep) bool {
	if a.r.Phone != "" && a.r.Phone == b.r.Phone {
		return true
	}
	pc := postcodeLevel(a, b)
	if pc == 2 || cityLevel(a, b) == 2 {
		return false
	}
	if a.r.Phone != "" && b.r.Phone != "" && pc != 0 && streetLevel(a, b) != 0 {
		// Two numbers and no address in common: two sites.
		return false
	}
	if st := streetLevel(a, b); st == 3 || st == 2 && numberLevel(a, b) == 1 {
		return false
	}
	return true
}

// orgKeys are the blocking keys of an organisation record: its domain, its
// phone, and each core name token (and its Soundex code), so that a typo
// in one word still shares the others.
func orgKeys(r *Record, p *prep) []string {
	var keys []string
	if r.Domain != "" {
		keys = append(keys, "od|"+r.Domain)
	}
	if r.Phone != "" {
		keys = append(keys, "op|"+r.Phone)
	}
	for _, t := range p.org {
		keys = append(keys, "ot|"+t)
		if len(t) >= 4 {
			keys = append(keys, "os|"+Soundex(t)+"|"+t[:1])
		}
	}
	if len(p.org) > 1 {
		keys = append(keys, "oj|"+strings.Join(p.org, ""))
	}
	return keys
}
