package lead

import (
	"strings"
	"unicode/utf8"

	"github.com/leadstream/leadstream/internal/accents"
)

// honorifics are removed from the front of a name (spec §2.3).
var honorifics = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "miss": true, "mx": true, "dr": true,
	"prof": true, "sir": true, "dame": true,
}

// postNominals are removed from the end of a name (spec §2.3).
var postNominals = map[string]bool{
	"jr": true, "sr": true, "ii": true, "iii": true, "iv": true, "phd": true,
	"mba": true, "cpa": true, "cfa": true, "md": true, "esq": true,
}

// particles are surname prefixes that stay lower case (spec §2.3).
var particles = map[string]bool{
	"van": true, "von": true, "de": true, "der": true, "den": true, "da": true,
	"di": true, "del": true, "della": true, "du": true, "dos": true, "la": true,
	"le": true, "bin": true, "al": true,
}

// notMac are surnames that start with "mac" without being Gaelic.
var notMac = map[string]bool{
	"machado": true, "macias": true, "macedo": true, "machin": true, "mackie": true,
	"maciel": true, "macleay": false, "macario": true, "machida": true, "maccarone": true,
	"macaulay": false, "machell": true, "macknight": false,
}

// PersonName is a cleaned person name.
type PersonName struct {
	First, Last string
	// Removed holds the honorifics and post-nominals taken off.
	Removed []string
}

// Full is "First Last", skipping an empty part.
func (n PersonName) Full() string {
	return strings.TrimSpace(n.First + " " + n.Last)
}

// NormalizeName cleans the first, last and full name of one record per
// spec §2.3. A full name is split only when first and last are both
// missing.
func NormalizeName(first, last, full string) PersonName {
	var n PersonName
	ft, lt := nameTokens(first), nameTokens(last)
	if len(ft) == 0 && len(lt) == 0 {
		ft, lt = splitFullName(full)
	}
	ft, n.Removed = stripHonorifics(ft, n.Removed)
	lt, n.Removed = stripPostNominals(lt, n.Removed)
	if len(lt) == 0 {
		// "John Smith Jr" given as first name only, or a name with no
		// surname: post-nominals can still trail the first name.
		ft, n.Removed = stripPostNominals(ft, n.Removed)
	}
	if len(ft) == 0 {
		lt, n.Removed = stripHonorifics(lt, n.Removed)
	}
	n.First = caseName(ft, true)
	n.Last = caseName(lt, len(ft) == 0)
	return n
}

// nameJunk removes characters that are never part of a name.
var nameJunk = strings.NewReplacer("\"", "", "(", "", ")", "")

// nameTokens cleans s and splits it into tokens, dropping stray
// punctuation that is not part of a name.
func nameTokens(s string) []string {
	s, _ = cleanText(s)
	s = strings.Trim(s, " ,;:\"()[]{}")
	return strings.Fields(nameJunk.Replace(s))
}

// splitFullName splits a full name: "Last, First" is honoured, otherwise
// the last token is the surname and lower-case particles before it join it.
func splitFullName(full string) (first, last []string) {
	s, _ := cleanText(full)
	if before, after, ok := strings.Cut(s, ","); ok {
		lt, ft := nameTokens(before), nameTokens(after)
		// "Smith, Jr" or "John Smith, PhD" is not the comma form.
		if len(ft) > 0 && !allPostNominal(ft) {
			return ft, lt
		}
		s = before + " " + after
	}
	toks := nameTokens(s)
	toks, _ = stripPostNominals(toks, nil)
	if len(toks) <= 1 {
		return toks, nil
	}
	i := len(toks) - 1
	for i > 1 && particles[toks[i-1]] {
		i--
	}
	return toks[:i], toks[i:]
}

func allPostNominal(toks []string) bool {
	for _, t := range toks {
		if !postNominals[bare(t)] {
			return false
		}
	}
	return true
}

// bare is a token lower-cased without dots, for list lookups.
func bare(t string) string { return strings.ToLower(strings.Trim(strings.ReplaceAll(t, ".", ""), ",")) }

func stripHonorifics(toks, removed []string) ([]string, []string) {
	for len(toks) > 1 && honorifics[bare(toks[0])] {
		removed = append(removed, toks[0])
		toks = toks[1:]
	}
	if len(toks) == 1 && honorifics[bare(toks[0])] && strings.HasSuffix(toks[0], ".") {
		removed = append(removed, toks[0])
		toks = nil
	}
	return toks, removed
}

func stripPostNominals(toks, removed []string) ([]string, []string) {
	for len(toks) > 1 && postNominals[bare(toks[len(toks)-1])] {
		removed = append(removed, toks[len(toks)-1])
		toks = toks[:len(toks)-1]
	}
	if n := len(toks); n > 0 {
		toks[n-1] = strings.TrimSuffix(toks[n-1], ",")
	}
	return toks, removed
}

// caseName joins tokens, title-casing them only when the whole name is in
// one case. first says whether the tokens start the person's name (a
// leading particle is then capitalised).
func caseName(toks []string, first bool) string {
	s := strings.Join(toks, " ")
	if !isAllUpperOrLower(s) {
		return s
	}
	out := make([]string, len(toks))
	for i, t := range toks {
		lt := strings.ToLower(t)
		if particles[lt] && !(first && i == 0) && i < len(toks)-1 {
			out[i] = lt
			continue
		}
		out[i] = caseNameToken(t)
	}
	return strings.Join(out, " ")
}

// caseNameToken title-cases one token: each hyphen part is capitalised,
// and Mc, Mac and O' are followed by a capital. "Mac" only counts before
// at least three more letters and not in notMac, so Mack, Macy and
// Machado stay as they are.
func caseNameToken(t string) string {
	parts := strings.Split(t, "-")
	for i, p := range parts {
		c := capitalise(p)
		lc := strings.ToLower(p)
		switch {
		case strings.HasPrefix(lc, "mc") && letterCount(lc) > 2:
			c = "Mc" + capitalise(c[2:])
		case strings.HasPrefix(lc, "mac") && letterCount(lc) > 5 && !notMac[lc]:
			c = "Mac" + capitalise(c[3:])
		case (strings.HasPrefix(lc, "o'") || strings.HasPrefix(lc, "o’")) && letterCount(lc) > 1:
			_, size := utf8.DecodeRuneInString(lc[1:])
			c = "O" + lc[1:1+size] + capitalise(c[1+size:])
		case strings.HasPrefix(lc, "d'") && letterCount(lc) > 1:
			c = "D'" + capitalise(c[2:])
		}
		parts[i] = c
	}
	return strings.Join(parts, "-")
}

// NameMatchForm is the name reduced for fuzzy matching (spec §2.3): lower
// case, accents removed, hyphens and apostrophes turned into spaces.
func NameMatchForm(s string) string {
	out := strings.ToLower(accents.Strip(s))
	out = strings.Map(func(r rune) rune {
		if r == '-' || r == '\'' || r == '’' || r == '‘' {
			return ' '
		}
		return r
	}, out)
	return strings.Join(strings.Fields(out), " ")
}
