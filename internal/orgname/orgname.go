// Package orgname normalises organisation names for matching (crm.md
// §4.3, issue 12): real company lists spell one organisation many ways —
// "Koninklijke Philips Electronics N.V.", "ELECTRONICS KONINK PHILIPS",
// "Philips" — and a match on the raw name misses most of them.
//
// [Tokens] lower-cases the name, strips accents and punctuation, reads "&"
// and "+" as "and", and drops the words that do not tell organisations
// apart: legal forms in many languages (N.V., B.V., GmbH, S.A., Ltd, Inc,
// …, also spelt out: naamloze vennootschap, société anonyme), stop words
// (the, de, of, and, …), generic company words and their abbreviations
// (Internat, International, Mij, Maatschappij, Konink, Koninklijke, Cia,
// Soc, Company, Group, Holding) and country names. What is left are the
// core tokens, in sorted order, so word order does not matter.
//
// [Compare] decides whether two names name one organisation: the core
// tokens of the shorter name all agree with tokens of the longer one
// (equal, or a typo apart: one substitution or swap of neighbours for
// words of four letters or more, or Jaro–Winkler ≥ 0.9 for five or more), and the longer one has at most one token
// more (a city, a division: "DSM Heerlen"); or one name is the other's
// tokens written together ("GISTBROCADES").
package orgname

import (
	"sort"
	"strings"
	"unicode"

	"github.com/leadstream/leadstream/internal/accents"
)

// dropped are the words that do not tell organisations apart.
var dropped = map[string]bool{}

func init() {
	for _, list := range []string{
		// legal forms (spelt without dots; see Tokens for "n v")
		"nv bv vof cv ag gmbh mbh kg ohg ug se sa sas sarl srl spa sl slu ltd limited inc incorporated corp corporation llc llp lp plc pty pte co cie kk oy ab as asa aps bhd sdn kft zrt sro spzoo oyj ltda eirl gie vnl",
		"naamloze naamlooze vennootschap besloten societe anonyme aktiengesellschaft gesellschaft beschrankter haftung sociedad anonima societa",
		// stop words, several languages
		"the of and und et en y e de den der des die das het le la les du dela del della di da do dos te van von voor for a an",
		// generic company words and their abbreviations
		"internat internatl intl international internationale internacional mij maatschappij maatschapij maatshappij maasschappij maatschpij maatschappy konink koninkl koninklijke koninklike koninklije kon royal cia compania companhia company compagnie comp soc societa society group groep gruppe holding holdings",
		// countries and their adjectives
		"nl netherlands netherland nederland nederlandse holland holandesa dutch us usa america uk gb england british de deutschland germany france french belgium belgie belgique europe european",
	} {
		for _, w := range strings.Fields(list) {
			dropped[w] = true
		}
	}
}

// Tokens returns the core tokens of an organisation name, sorted (see the
// package doc). A name made only of dropped words keeps them, so "The
// Company" is not empty.
func Tokens(name string) []string {
	s := accents.Strip(strings.ToLower(name))
	s = strings.NewReplacer("&", " and ", "+", " and ", ".", "", "'", "", "’", "").Replace(s)
	words := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	// Single letters spelling a legal form ("n v", "b v", "s a").
	var joined []string
	for i := 0; i < len(words); i++ {
		if i+1 < len(words) && len(words[i]) == 1 && len(words[i+1]) == 1 && dropped[words[i]+words[i+1]] {
			i++
			continue
		}
		joined = append(joined, words[i])
	}
	var core []string
	for _, w := range joined {
		if !dropped[w] && !(len(w) == 1 && len(joined) > 1) {
			core = append(core, w)
		}
	}
	if len(core) == 0 {
		core = joined
	}
	sort.Strings(core)
	return dedup(core)
}

func dedup(s []string) []string {
	out := s[:0]
	for i, w := range s {
		if i == 0 || w != s[i-1] {
			out = append(out, w)
		}
	}
	return out
}

// Key is the core tokens joined: names with an equal key name one
// organisation whatever their word order, legal form or punctuation.
func Key(name string) string { return strings.Join(Tokens(name), " ") }

// Compare reports whether two organisation names, as core tokens (see
// [Tokens]), name one organisation (see the package doc).
func Compare(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 {
		return written(a, b)
	}
	used := make([]bool, len(b))
	for _, x := range a {
		found := false
		for j, y := range b {
			if !used[j] && TokensAgree(x, y) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			return written(a, b)
		}
	}
	// All of the shorter name agrees. A short single word (an initialism:
	// "DSM") inside a longer name is as often another organisation's name
	// ("DSM IP Assets") as a branch of its own: only equal names match.
	return len(a) > 1 || len(b) == 1 || len(a[0]) >= 5
}

// written reports whether one name is the other's tokens written
// together, in any order ("gistbrocades" and "brocades gist").
func written(a, b []string) bool {
	if len(a) != 1 || len(b) < 2 || len(b) > 3 {
		return false
	}
	var perm func(rest []string, acc string) bool
	perm = func(rest []string, acc string) bool {
		if len(rest) == 0 {
			return TokensAgree(acc, a[0])
		}
		for i := range rest {
			next := append(append([]string{}, rest[:i]...), rest[i+1:]...)
			if perm(next, acc+rest[i]) {
				return true
			}
		}
		return false
	}
	return perm(b, "")
}

// TokensAgree reports whether two core tokens are equal or a typo apart.
func TokensAgree(x, y string) bool {
	if x == y {
		return true
	}
	n := min(len(x), len(y))
	switch {
	case n >= 5:
		return jaroWinkler(x, y) >= 0.9 || len(x) == len(y) && editsWithin1(x, y)
	case n == 4:
		return len(x) == len(y) && editsWithin1(x, y)
	}
	return false
}

// editsWithin1 reports whether two equal-length strings differ in one
// position or by one swap of neighbours.
func editsWithin1(x, y string) bool {
	var diff []int
	for i := 0; i < len(x); i++ {
		if x[i] != y[i] {
			diff = append(diff, i)
		}
	}
	switch len(diff) {
	case 0, 1:
		return true
	case 2:
		i, j := diff[0], diff[1]
		return j == i+1 && x[i] == y[j] && x[j] == y[i]
	}
	return false
}

// jaroWinkler is the Jaro–Winkler similarity of two strings (bytes).
func jaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 0
	}
	window := max(la, lb)/2 - 1
	if window < 0 {
		window = 0
	}
	ma := make([]bool, la)
	mb := make([]bool, lb)
	m := 0
	for i := 0; i < la; i++ {
		lo, hi := max(0, i-window), min(lb, i+window+1)
		for j := lo; j < hi; j++ {
			if !mb[j] && a[i] == b[j] {
				ma[i], mb[j] = true, true
				m++
				break
			}
		}
	}
	if m == 0 {
		return 0
	}
	t, k := 0, 0
	for i := 0; i < la; i++ {
		if !ma[i] {
			continue
		}
		for !mb[k] {
			k++
		}
		if a[i] != b[k] {
			t++
		}
		k++
	}
	fm := float64(m)
	jaro := (fm/float64(la) + fm/float64(lb) + (fm-float64(t)/2)/fm) / 3
	p := 0
	for p < min(4, la, lb) && a[p] == b[p] {
		p++
	}
	return jaro + float64(p)*0.1*(1-jaro)
}
