package lead

import (
	"strings"
	"unicode"

	"github.com/leadstream/leadstream/internal/accents"
)

// legalForms are legal-form tokens (spec §2.4) in their dot-free,
// space-free form, covering English, German, French, Spanish, Italian,
// Dutch, Nordic, Polish, Czech, Hungarian, Portuguese and Asian forms.
var legalForms = map[string]bool{
	"inc": true, "incorporated": true, "corp": true, "corporation": true, "co": true,
	"company": true, "llc": true, "ltd": true, "limited": true, "plc": true, "llp": true,
	"lp": true, "pllc": true, "gmbh": true, "mbh": true, "ag": true, "kg": true,
	"ug": true, "ev": true, "sa": true, "sas": true, "sarl": true, "srl": true,
	"spa": true, "bv": true, "nv": true, "ab": true, "as": true, "aps": true,
	"asa": true, "oy": true, "oyj": true, "pty": true, "pte": true, "sdnbhd": true,
	"bhd": true, "kk": true, "pvt": true, "privatelimited": true, "cic": true,
	"sl": true, "slu": true, "sadecv": true, "ltda": true, "lda": true, "kft": true,
	"zrt": true, "spzoo": true, "sro": true, "spolsro": true,
	// Common variants of the above.
	"gmbhcokg": true, "kgaa": true, "se": true, "sasu": true, "eurl": true, "sca": true,
	"snc": true, "vof": true, "cv": true, "ohg": true, "gbr": true, "ltee": true,
	"ss": true, "sapi": true, "sapidecv": true, "pteltd": true, "ptyltd": true,
}

// weakTrailing are trailing words that do not distinguish a company.
var weakTrailing = map[string]bool{
	"group": true, "holdings": true, "holding": true, "international": true,
	"global": true, "worldwide": true, "uk": true, "usa": true, "us": true,
	"europe": true, "emea": true, "apac": true, "gb": true, "de": true, "na": true,
	"america": true, "americas": true, "asia": true, "australia": true, "canada": true,
	"deutschland": true, "france": true, "ireland": true, "india": true,
}

// upperLegalForms are legal forms written in capitals when a one-case
// name is title-cased; the others are capitalised ("Ltd", "Inc").
var upperLegalForms = map[string]bool{
	"llc": true, "llp": true, "lp": true, "pllc": true, "plc": true, "ag": true, "kg": true,
	"ug": true, "sa": true, "sas": true, "sarl": true, "srl": true, "bv": true, "nv": true,
	"ab": true, "as": true, "asa": true, "kk": true, "cic": true, "sl": true, "slu": true,
	"oy": true, "oyj": true,
}

// companyPlaceholders are values that are not company names.
var companyPlaceholders = map[string]bool{
	"n/a": true, "na": true, "none": true, "unknown": true, "self-employed": true,
	"self employed": true, "freelance": true, "freelancer": true, "retired": true,
	"student": true, "-": true, "--": true, ".": true, "null": true, "nil": true,
	"not available": true, "private": true, "confidential": true, "various": true,
}

// IsCompanyPlaceholder reports whether name is a filler, not a company.
func IsCompanyPlaceholder(name string) bool {
	return companyPlaceholders[strings.ToLower(strings.TrimSpace(name))]
}

// NormalizeCompany returns the display form of a company name (spec §2.4):
// cleaned, the legal suffix kept, title-cased when the name is in one case
// and longer than 4 letters. A placeholder gives "".
func NormalizeCompany(raw string) string {
	s, _ := cleanText(raw)
	s = strings.Trim(s, " ,;")
	if IsCompanyPlaceholder(s) || letterOrDigitCount(s) == 0 {
		return ""
	}
	if letterCount(s) <= 4 || !isAllUpperOrLower(s) {
		return s
	}
	words := strings.Fields(s)
	for i, w := range words {
		lw := strings.ToLower(strings.Trim(strings.ReplaceAll(w, ".", ""), ","))
		switch {
		case lw == "gmbh" || lw == "mbh":
			words[i] = strings.Replace(strings.ToLower(w), "gmbh", "GmbH", 1)
			words[i] = strings.Replace(words[i], "mbh", "mbH", 1)
		case upperLegalForms[lw]:
			words[i] = strings.ToUpper(w)
		case i > 0 && (lw == "and" || lw == "of" || lw == "the" || lw == "for"):
			words[i] = lw
		default:
			words[i] = capitalise(w)
		}
	}
	return strings.Join(words, " ")
}

func letterOrDigitCount(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n
}

// CompanyKey is the company name reduced for matching (spec §2.4): lower
// case, accents removed, "&" read as "and", punctuation as space, a leading
// "the" dropped, trailing legal forms (Inc, GmbH, S.A., Pty Ltd, B.V., …)
// and weak words (Group, Holdings, UK, …) removed repeatedly, and finally
// all spaces removed. Only trailing tokens go, and never the last one left.
func CompanyKey(name string) string {
	toks := companyTokens(name)
	if len(toks) == 0 || IsCompanyPlaceholder(name) {
		return ""
	}
	if toks[0] == "the" && len(toks) > 1 {
		toks = toks[1:]
	}
	for removed := true; removed && len(toks) > 1; {
		removed = false
		// The longest trailing run of up to 4 tokens that spells a legal
		// form without spaces (so "s a", "b v", "sp z o o" count).
		for k := min(4, len(toks)-1); k >= 1; k-- {
			if legalForms[strings.Join(toks[len(toks)-k:], "")] {
				toks = toks[:len(toks)-k]
				removed = true
				break
			}
		}
		if !removed && weakTrailing[toks[len(toks)-1]] {
			toks = toks[:len(toks)-1]
			removed = true
		}
		// "GmbH & Co. KG": a connector left trailing goes too.
		if removed && len(toks) > 1 && toks[len(toks)-1] == "and" {
			toks = toks[:len(toks)-1]
		}
	}
	return strings.Join(toks, "")
}

// companyJoin removes characters that do not split words in a company
// name.
var companyJoin = strings.NewReplacer(".", "", "'", "", "’", "")

// companyTokens lower-cases, strips accents and splits on anything that is
// not a letter or digit, reading "&" as "and".
func companyTokens(name string) []string {
	s, _ := cleanText(name)
	s = strings.ToLower(accents.Strip(s))
	s = strings.ReplaceAll(s, "&", " and ")
	// Dots inside abbreviations ("s.a.", "b.v.") and apostrophes
	// ("macy's") do not split words.
	s = companyJoin.Replace(s)
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}
