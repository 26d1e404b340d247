package match

import (
	"math"
	"strings"
)

// Level is one comparison level of the Fellegi–Sunter model: M is the
// probability of the level among true matches, U among non-matches.
type Level struct {
	M, U float64
}

// weight is the level's match weight log2(m/u).
func (l Level) weight() float64 { return math.Log2(l.M / l.U) }

// FSParams are the Fellegi–Sunter parameters. Each comparison lists its
// levels from the strongest agreement to disagreement; a comparison whose
// input is missing on either side contributes nothing. The levels are:
//
//	Email:    exact key · same domain, equal local without . _ - · same
//	          domain, name pattern (§4.2 E) · near (a one-edit or long
//	          JW ≥ 0.92 local on the same domain; or the whole address
//	          within edit distance 2, or an equal local part, or local
//	          JW ≥ 0.92 with a close domain) · same company domain, another
//	          mailbox · different
//	First:    equal or nickname · JW ≥ 0.92 · initial or JW ≥ 0.85 ·
//	          same letters in another order · different
//	Last:     equal · JW ≥ 0.92 or compound · JW ≥ 0.85 · same letters
//	          in another order · different
//	Phone:    equal personal number · equal shared number · different
//	Company:  same organisation (§4.3) · Dice ≥ 0.6 · different
//	Street:   equal · similarity ≥ 0.9 · ≥ 0.75 · different (similarity is
//	          the better of JW and bigram Dice without spaces, so that
//	          reordered parts still score)
//	Number:   equal leading house number · different
//	Postcode: equal · one edit or transposition · different
//	City:     equal · JW ≥ 0.88 without spaces · different
//	State:    equal · different
//
// Names are compared both as given and with first and last name swapped;
// the better assignment wins, the swapped one paying Swap (in bits).
type FSParams struct {
	// Prior is the log2 prior odds that a blocked candidate pair is a
	// match.
	Prior float64
	// Swap is the log2 penalty of the swapped name assignment (≤ 0).
	Swap float64

	Email, First, Last, Phone, Company []Level
	Street, Number, Postcode, City     []Level
	State                              []Level
}

// DefaultFSParams returns fixed m/u probabilities chosen from the shape of
// B2B and the labelled datasets' noise and checked by TestDatasets.
func DefaultFSParams() FSParams {
	return FSParams{
		Prior: -8,
		Swap:  -1,
		// A second mailbox on the same company domain that is neither a
		// typo nor a name-pattern alias is nearly always a colleague.
		Email: []Level{
			{0.80, 0.0001}, {0.02, 0.0001}, {0.02, 0.002}, {0.08, 0.0005}, {0.001, 0.3}, {0.079, 0.6973},
		},
		First: []Level{
			{0.82, 0.01}, {0.06, 0.002}, {0.04, 0.01}, {0.01, 0.0005}, {0.07, 0.9775},
		},
		Last: []Level{
			{0.85, 0.003}, {0.07, 0.002}, {0.03, 0.01}, {0.01, 0.0005}, {0.04, 0.9845},
		},
		Phone: []Level{
			{0.70, 0.0001}, {0.10, 0.01}, {0.20, 0.9899},
		},
		Company: []Level{
			{0.80, 0.02}, {0.05, 0.01}, {0.15, 0.97},
		},
		Street: []Level{
			{0.65, 0.0005}, {0.20, 0.001}, {0.07, 0.01}, {0.08, 0.9885},
		},
		Number: []Level{
			{0.85, 0.05}, {0.15, 0.95},
		},
		Postcode: []Level{
			{0.85, 0.003}, {0.10, 0.02}, {0.05, 0.977},
		},
		City: []Level{
			{0.85, 0.02}, {0.10, 0.005}, {0.05, 0.975},
		},
		State: []Level{
			{0.95, 0.3}, {0.05, 0.7},
		},
	}
}

// Comparisons of the Fellegi–Sunter model, in FSParams field order.
const (
	cmpEmail = iota
	cmpFirst
	cmpLast
	cmpPhone
	cmpCompany
	cmpStreet
	cmpNumber
	cmpPostcode
	cmpCity
	cmpState
	numCmp
)

// levels returns the parameter table of each comparison.
func (fp *FSParams) levels() [numCmp][]Level {
	return [numCmp][]Level{fp.Email, fp.First, fp.Last, fp.Phone, fp.Company,
		fp.Street, fp.Number, fp.Postcode, fp.City, fp.State}
}

// fsVector is the comparison vector of a pair: the level of each
// comparison (-1 when not comparable), with the first and last name
// levels of the swapped assignment kept apart.
type fsVector struct {
	lv             [numCmp]int8
	swapFirst      int8
	swapLast       int8
	swapComparable bool
}

func compareFS(a, b *prep, shared bool) fsVector {
	var v fsVector
	v.lv[cmpEmail] = int8(emailLevel(a, b))
	v.lv[cmpFirst] = int8(firstLevel(a.first, b.first))
	v.lv[cmpLast] = int8(lastLevel(a.last, b.last))
	v.lv[cmpPhone] = int8(phoneLevel(a, b, shared))
	v.lv[cmpCompany] = int8(companyLevel(a, b))
	v.lv[cmpStreet] = int8(streetLevel(a, b))
	v.lv[cmpNumber] = int8(numberLevel(a, b))
	v.lv[cmpPostcode] = int8(postcodeLevel(a, b))
	v.lv[cmpCity] = int8(cityLevel(a, b))
	v.lv[cmpState] = int8(stateLevel(a, b))
	v.swapFirst = int8(firstLevel(a.first, b.last))
	v.swapLast = int8(lastLevel(a.last, b.first))
	v.swapComparable = (a.first != "" || a.last != "") && (b.first != "" || b.last != "")
	if v.lv[cmpStreet] >= 2 {
		// An equal house number on another street is chance, not
		// evidence ("75 Nguyen Street" and "75 Jones Street").
		v.lv[cmpNumber] = -1
	}
	if v.lv[cmpCompany] == 0 {
		// Colleagues share their office's address: once both records are
		// known to be at one organisation, its address is no evidence
		// that they are one person.
		for _, c := range []int{cmpStreet, cmpNumber, cmpPostcode, cmpCity, cmpState} {
			v.lv[c] = -1
		}
	}
	return v
}

// weight returns the match weight (log2 Bayes factor, without the prior)
// and whether the swapped name assignment was the better one.
func (v *fsVector) weight(fp *FSParams) (float64, bool) {
	tables := fp.levels()
	lw := func(c int, l int8) float64 {
		if l >= 0 && int(l) < len(tables[c]) {
			return tables[c][l].weight()
		}
		return 0
	}
	var w float64
	for c := range numCmp {
		if c != cmpFirst && c != cmpLast {
			w += lw(c, v.lv[c])
		}
	}
	direct := lw(cmpFirst, v.lv[cmpFirst]) + lw(cmpLast, v.lv[cmpLast])
	if v.swapComparable {
		if swapped := lw(cmpFirst, v.swapFirst) + lw(cmpLast, v.swapLast) + fp.Swap; swapped > direct {
			return w + swapped, true
		}
	}
	return w + direct, false
}

// fsWeight returns the Fellegi–Sunter match weight (log2 Bayes factor,
// without the prior) of a pair.
func fsWeight(a, b *prep, shared bool, fp *FSParams) float64 {
	v := compareFS(a, b, shared)
	w, _ := v.weight(fp)
	return w
}

func emailLevel(a, b *prep) int {
	if a.r.Email == "" || b.r.Email == "" {
		return -1
	}
	switch {
	case a.r.Email == b.r.Email:
		return 0
	case a.domain != "" && a.domain == b.domain && !a.r.EmailFreeMail && !b.r.EmailFreeMail:
		if a.localPlain == b.localPlain {
			return 1
		}
		if namePattern(a, b) {
			return 2
		}
		if osaWithin(a.local, b.local, 1) || len(a.local) >= 8 && jw(a.local, b.local) >= 0.92 ||
			len(a.localPlain) >= 8 && scrambled(a.localPlain, b.localPlain) ||
			min(len(a.local), len(b.local)) >= 6 && osaWithin(a.local, b.local, 2) && namesAgree(a, b) {
			return 3 // a typo in the mailbox
		}
		return 4 // same company domain, another mailbox: a colleague
	case otherDomains(a, b):
		// Two known organisations and two mail domains: however alike the
		// addresses, they belong to namesakes or to a job change, never
		// to a typo.
		return 5
	case osaWithin(a.r.Email, b.r.Email, 2):
		return 3
	case len(a.local) >= 4 && a.local == b.local:
		if otherOrganisations(a, b) {
			// The same mailbox name at two organisations' own domains: a
			// namesake, or a person who changed jobs and is a new lead.
			return 5
		}
		return 3 // the same mailbox name on a mistyped domain
	case jw(a.local, b.local) >= 0.92 && (jw(a.domain, b.domain) >= 0.85 || osaWithin(a.domain, b.domain, 2)):
		return 3
	case scrambledAddress(a.r.Email, b.r.Email):
		return 3
	}
	return 5
}

// addressLetters drops the "@" and "." of an e-mail address.
var addressLetters = strings.NewReplacer("@", "", ".", "")

// scrambledAddress reports whether two long addresses are within three
// edits of each other once "@" and "." are dropped: a corrupted entry that
// moved letters across the "@" ("watsonth@masojones-stuart.iz" for
// "watsonthomas@jones-stuart.biz"). Both need 16 letters or more, so that
// three edits stay a small part of the address.
func scrambledAddress(a, b string) bool {
	a, b = addressLetters.Replace(a), addressLetters.Replace(b)
	return min(len(a), len(b)) >= 16 && osaWithin(a, b, 3)
}

func firstLevel(a, b string) int {
	if a == "" || b == "" {
		return -1
	}
	switch f := firstF(a, b); {
	case f == 1:
		return 0
	case f >= 0.92:
		return 1
	case f >= 0.85:
		return 2
	case scrambled(a, b):
		return 3
	}
	return 4
}

func lastLevel(a, b string) int {
	if a == "" || b == "" {
		return -1
	}
	switch l := lastL(a, b); {
	case l == 1 || nospace(a) == nospace(b):
		return 0
	case l >= 0.92:
		return 1
	case l >= 0.85:
		return 2
	case scrambled(a, b):
		return 3
	}
	return 4
}

// scrambled reports whether two words are the same letters in another
// order (sameLetters), perhaps less one letter (nearlySameLetters): a
// scrambled entry.
func scrambled(a, b string) bool { return sameLetters(a, b) || nearlySameLetters(a, b) }

// sameLetters reports whether two names of three or more letters are
// anagrams of each other (scrambled entry).
func sameLetters(a, b string) bool {
	a, b = nospace(a), nospace(b)
	if len(a) < 3 || len(a) != len(b) {
		return false
	}
	var n [256]int
	for i := 0; i < len(a); i++ {
		n[a[i]]++
		n[b[i]]--
	}
	for _, v := range n {
		if v != 0 {
			return false
		}
	}
	return true
}

// nearlySameLetters reports whether the letters of the shorter name are
// those of the longer one less one letter, in any order ("nacsoj" and
// "jackson"): a scrambled entry that also lost a letter. The shorter name
// needs four letters or more.
func nearlySameLetters(a, b string) bool {
	a, b = nospace(a), nospace(b)
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(a) < 4 || len(b) != len(a)+1 {
		return false
	}
	var n [256]int
	for i := 0; i < len(b); i++ {
		n[b[i]]++
	}
	for i := 0; i < len(a); i++ {
		if n[a[i]] == 0 {
			return false
		}
		n[a[i]]--
	}
	return true
}

func phoneLevel(a, b *prep, shared bool) int {
	c := phoneP(a, b, shared)
	switch {
	case !c.Comparable:
		return -1
	case c.Value == 1:
		return 0
	case c.Value > 0:
		return 1
	}
	return 2
}

func companyLevel(a, b *prep) int {
	c := companyC(a, b)
	switch {
	case !c.Comparable:
		return -1
	case c.Value == 1:
		return 0
	case c.Value >= 0.6:
		return 1
	}
	return 2
}

func streetSim(a, b *prep) float64 {
	if a.streetNS == b.streetNS {
		return 1
	}
	s := jw(a.streetNS, b.streetNS)
	if s >= 0.9 {
		return s // the bigram Dice cannot change the level
	}
	return max(s, dice(a.streetNS, b.streetNS))
}

func streetLevel(a, b *prep) int {
	if a.street == "" || b.street == "" {
		return -1
	}
	switch s := streetSim(a, b); {
	case s == 1:
		return 0
	case s >= 0.9:
		return 1
	case s >= 0.75 && sameStreetName(a, b):
		return 2
	}
	return 3
}

// streetType reports whether w is a street type word.
func streetType(w string) bool {
	switch w {
	case "street", "st", "road", "rd", "avenue", "ave", "av", "place", "pl", "crescent", "cres", "court", "ct",
		"drive", "dr", "lane", "ln", "circuit", "cct", "way", "close", "cl", "terrace", "tce", "parade", "pde",
		"boulevard", "blvd", "highway", "hwy", "square", "sq", "grove", "gr":
		return true
	}
	return false
}

// sameStreetName reports whether any name word of one street (a word of
// three or more letters) is close to one of the other's: the number and the
// type word ("Street") alone make "206 Jones Street" look like "266 Kelly
// Street" without naming the same street.
func sameStreetName(a, b *prep) bool {
	for _, x := range strings.Fields(a.street) {
		if len(x) < 3 || x[0] >= '0' && x[0] <= '9' || streetType(x) {
			continue
		}
		for _, y := range strings.Fields(b.street) {
			if len(y) >= 3 && !streetType(y) && jw(x, y) >= 0.85 {
				return true
			}
		}
	}
	return false
}

func numberLevel(a, b *prep) int {
	if a.streetNum == "" || b.streetNum == "" {
		return -1
	}
	if a.streetNum == b.streetNum {
		return 0
	}
	return 1
}

func postcodeLevel(a, b *prep) int {
	if a.postcode == "" || b.postcode == "" {
		return -1
	}
	switch {
	case a.postcode == b.postcode:
		return 0
	case osaWithin(a.postcode, b.postcode, 1):
		return 1
	}
	return 2
}

func cityLevel(a, b *prep) int {
	if a.city == "" || b.city == "" {
		return -1
	}
	switch {
	case a.cityNS == b.cityNS:
		return 0
	case jw(a.cityNS, b.cityNS) >= 0.88 || scrambled(a.cityNS, b.cityNS):
		return 1
	}
	return 2
}

func stateLevel(a, b *prep) int {
	if a.state == "" || b.state == "" {
		return -1
	}
	if strings.EqualFold(a.state, b.state) {
		return 0
	}
	return 1
}

// posterior turns a log2 Bayes factor and log2 prior odds into a match
// probability.
func posterior(w float64) float64 { return 1 / (1 + math.Exp2(-w)) }

// otherOrganisations reports whether two addresses sit on the own domains
// of two clearly different organisations (not free mail, not a typo of
// one another).
func otherOrganisations(a, b *prep) bool {
	return a.domain != "" && b.domain != "" && !a.r.EmailFreeMail && !b.r.EmailFreeMail &&
		jw(a.domain, b.domain) < 0.85 && !osaWithin(a.domain, b.domain, 2)
}
