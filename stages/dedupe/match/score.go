package match

import (
	"strings"

	"github.com/leadstream/leadstream/internal/orgname"
)

// localSeparators are the characters §4.2 E removes from local parts.
var localSeparators = strings.NewReplacer(".", "", "_", "", "-", "")

// prep is a Record with the comparison forms computed once.
type prep struct {
	r                 *Record
	first, last, full string // name match forms
	firstNS, lastNS   string // without spaces
	local, domain     string // of the email key
	localPlain        string // local part without . _ -
	street, streetNS  string
	streetNum         string // leading house number, if any
	city, cityNS      string
	postcode          string
	state             string
	company           string
	// companySim memoises the company-name similarity of this (incoming)
	// record to others: candidates of one lead repeat their company.
	companySim map[string]float64
	// org are the core tokens of an organisation record's name
	// (orgname.Tokens).
	org []string
}

func prepare(r *Record) prep {
	p := prep{r: r}
	if r.Organisation {
		p.org = orgname.Tokens(r.CompanyName)
		if len(p.org) == 0 {
			p.org = orgname.Tokens(r.Company)
		}
	}
	p.first = NameForm(r.FirstName)
	p.last = NameForm(r.LastName)
	p.full = NameForm(r.FullName)
	if p.full == "" {
		p.full = strings.TrimSpace(p.first + " " + p.last)
	}
	p.firstNS, p.lastNS = nospace(p.first), nospace(p.last)
	if r.Email != "" {
		e := strings.ToLower(r.Email)
		if i := strings.LastIndexByte(e, '@'); i > 0 {
			p.local, p.domain = e[:i], e[i+1:]
		} else {
			p.local = e
		}
		p.localPlain = localSeparators.Replace(p.local)
	}
	p.street = addrForm(r.Street)
	p.streetNS = nospace(p.street)
	if i := strings.IndexFunc(p.street, func(c rune) bool { return c < '0' || c > '9' }); i != 0 {
		if i < 0 {
			i = len(p.street)
		}
		p.streetNum = p.street[:i]
	}
	p.city = addrForm(r.City)
	p.cityNS = nospace(p.city)
	p.postcode = nospace(addrForm(r.Postcode))
	p.state = addrForm(r.State)
	p.company = nospace(NameForm(r.Company))
	return p
}

// thin reports whether a record carries a full person name and a city and
// nothing else that could identify the person: no e-mail, phone,
// organisation, street or postcode (Config.ThinRecordsByCity).
func (p *prep) thin() bool {
	r := p.r
	return p.first != "" && p.last != "" && p.city != "" &&
		r.Email == "" && r.Phone == "" && p.company == "" && r.Domain == "" &&
		p.street == "" && p.postcode == ""
}

// thinPair reports whether one side of a pair is thin and the other
// names a person in full too: a thin record meets "the lead of that name
// in that city", and a record with a surname alone is not that name (it
// would let every namesake in the city join it, and each other).
func thinPair(a, b *prep) bool {
	return a.thin() && b.first != "" && b.last != "" || b.thin() && a.first != "" && a.last != ""
}

func (p *prep) hasName() bool { return p.first != "" || p.last != "" || p.full != "" }

// emailE is component E (§4.2).
func emailE(a, b *prep) Component {
	if a.r.Email == "" || b.r.Email == "" {
		return Component{}
	}
	c := Component{Comparable: true}
	switch {
	case a.r.Email == b.r.Email:
		c.Value = 1
	case a.domain == "" || a.domain != b.domain || a.r.EmailFreeMail || b.r.EmailFreeMail:
		c.Value = 0
	case a.localPlain == b.localPlain:
		c.Value = 0.9
	case namePattern(a, b):
		c.Value = 0.8
	default:
		if s := jw(a.local, b.local); s >= 0.85 {
			c.Value = 0.6 * s
		}
	}
	return c
}

// namePattern reports whether both local parts fit one of the name
// patterns of §4.2 E for one first name (or its initial) and one surname,
// each taken from either record.
func namePattern(a, b *prep) bool {
	var firsts, lasts []string
	for _, p := range []*prep{a, b} {
		if p.firstNS != "" {
			firsts = append(firsts, p.firstNS)
		}
		if p.lastNS != "" {
			lasts = append(lasts, p.lastNS)
		}
	}
	for _, f := range firsts {
		for _, l := range lasts {
			if fitsPattern(a.local, f, l) && fitsPattern(b.local, f, l) {
				return true
			}
		}
	}
	return false
}

func fitsPattern(local, f, l string) bool {
	i := f[:1]
	switch local {
	case f + "." + l, f + l, i + l, i + "." + l, f, f + l[:1], l + "." + f, f + "_" + l, f + "-" + l:
		return true
	}
	return false
}

// nameN is component N (§4.2). Jaro-Winkler is taken as the better of
// the match forms as given and with spaces removed, so a stray space
// ("ree s") or a compound written as one word does not count as a typo.
func nameN(a, b *prep) Component {
	if !a.hasName() || !b.hasName() {
		return Component{}
	}
	c := Component{Comparable: true}
	if a.first == "" || a.last == "" || b.first == "" || b.last == "" {
		c.Value = 0.8 * jwLoose(a.full, b.full)
		return c
	}
	c.Value = 0.4*firstF(a.first, b.first) + 0.6*lastL(a.last, b.last)
	if c.Value < 0.9 && jwLoose(a.first, b.last) >= 0.95 && jwLoose(a.last, b.first) >= 0.95 {
		c.Value = 0.9
	}
	return c
}

// firstF is the first-name similarity f of §4.2 N.
func firstF(a, b string) float64 {
	switch {
	case a == b || nospace(a) == nospace(b) || nicknameEquivalent(a, b):
		return 1
	case (len(a) == 1 && a[0] == b[0]) || (len(b) == 1 && a[0] == b[0]):
		return 0.85
	}
	return jwLoose(a, b)
}

// lastL is the surname similarity l of §4.2 N.
func lastL(a, b string) float64 {
	switch {
	case a == b:
		return 1
	case tokenSubset(a, b):
		return 0.95
	}
	return jwLoose(a, b)
}

// tokenSubset reports whether the tokens of one name are a subset of the
// other's (compound surnames, "garcia" and "garcia lopez").
func tokenSubset(a, b string) bool {
	ta, tb := strings.Fields(a), strings.Fields(b)
	if len(ta) > len(tb) {
		ta, tb = tb, ta
	}
	if len(ta) == len(tb) {
		return false
	}
	for _, x := range ta {
		found := false
		for _, y := range tb {
			if x == y {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// phoneP is component P (§4.2). A number of unknown kind counts as
// direct; a company (or other) number or one seen on 3+ leads is shared.
func phoneP(a, b *prep, shared bool) Component {
	if a.r.Phone == "" || b.r.Phone == "" {
		return Component{}
	}
	c := Component{Comparable: true}
	if a.r.Phone == b.r.Phone {
		if shared || !personalKind(a.r.PhoneKind) || !personalKind(b.r.PhoneKind) {
			c.Value = 0.5
		} else {
			c.Value = 1
		}
	}
	return c
}

func personalKind(k string) bool { return k == "" || k == "direct" || k == "mobile" }

// sameOrg is organisation matching (§4.3) for two records.
func sameOrg(a, b *prep) bool {
	switch {
	case a.r.OrgID != "" && a.r.OrgID == b.r.OrgID:
		return true
	case a.r.Domain != "" && a.r.Domain == b.r.Domain:
		return true
	case otherDomains(a, b):
		return false
	case a.company != "" && b.company != "" && a.r.Country != "" && a.r.Country == b.r.Country:
		return dice(a.company, b.company) >= 0.75
	}
	return false
}

// companyC is component C (§4.2).
func companyC(a, b *prep) Component {
	both := func(x, y string) bool { return x != "" && y != "" }
	if !both(a.company, b.company) && !both(a.r.Domain, b.r.Domain) && !both(a.r.OrgID, b.r.OrgID) {
		return Component{}
	}
	c := Component{Comparable: true}
	switch {
	case sameOrg(a, b):
		c.Value = 1
	case otherDomains(a, b):
		// Two organisation keys that differ: two organisations, however
		// alike their names ("Vertex Data Ltd" at vertexdata.co.uk and
		// "Vertex Data plc" at vertex-data.com).
	default:
		c.Value = a.companyDice(b.company)
	}
	return c
}

// otherDomains reports whether both records have an organisation domain
// and the domains differ. The domain is the organisation key (§4.3 step
// 1); company-name similarity (step 2) decides only when a domain is
// missing.
func otherDomains(a, b *prep) bool {
	return a.r.Domain != "" && b.r.Domain != "" && a.r.Domain != b.r.Domain
}

// addressA is component A (§4.2). With cityOnly, two cities alone make A
// comparable (Config.CityCountsAsAddress).
func addressA(a, b *prep, cityOnly bool) Component {
	hasStreet := a.street != "" && b.street != ""
	hasPC := a.postcode != "" && b.postcode != ""
	hasCity := a.city != "" && b.city != ""
	if !hasStreet && !hasPC && !(cityOnly && hasCity) {
		return Component{}
	}
	c := Component{Comparable: true}
	if hasStreet && a.street == b.street && a.postcode == b.postcode {
		c.Value = 1
		return c
	}
	var sum, w float64
	if hasStreet {
		sum += 0.5 * jw(a.street, b.street)
		w += 0.5
	}
	if hasPC {
		if a.postcode == b.postcode {
			sum += 0.3
		}
		w += 0.3
	}
	if hasCity {
		if a.city == b.city || jw(a.city, b.city) >= 0.9 {
			sum += 0.2
		}
		w += 0.2
	}
	c.Value = sum / w
	return c
}

// components fills the spec components, the weighted score and the
// comparable weight of a breakdown.
func components(a, b *prep, shared bool, cfg *Config, bd *Breakdown) {
	bd.E = emailE(a, b)
	bd.N = nameN(a, b)
	bd.P = phoneP(a, b, shared)
	bd.C = companyC(a, b)
	bd.A = addressA(a, b, cfg.CityCountsAsAddress || cfg.ThinRecordsByCity && thinPair(a, b))
	w := cfg.Weights
	var sum, tw float64
	for _, x := range []struct {
		c Component
		w float64
	}{{bd.E, w.E}, {bd.N, w.N}, {bd.P, w.P}, {bd.C, w.C}, {bd.A, w.A}} {
		if x.c.Comparable {
			sum += x.w * x.c.Value
			tw += x.w
		}
	}
	bd.ComparableWeight = tw
	if tw > 0 {
		bd.Score = sum / tw
	}
}

// companyDice is dice(p.company, other), memoised per other name.
func (p *prep) companyDice(other string) float64 {
	if v, ok := p.companySim[other]; ok {
		return v
	}
	if p.companySim == nil {
		p.companySim = make(map[string]float64)
	}
	v := dice(p.company, other)
	p.companySim[other] = v
	return v
}
