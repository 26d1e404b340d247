package lead

import (
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// countryIndex maps normalised country names, alpha-2 and alpha-3 codes
// to ISO 3166-1 alpha-2. It is built once from the CLDR data shipped with
// golang.org/x/text plus the aliases below, and only read afterwards.
var countryIndex = buildCountryIndex()

// countryAliases are names that CLDR does not give (spec §2.6), keyed by
// their normalised form.
var countryAliases = map[string]string{
	"uk": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
	"wales": "GB", "northern ireland": "GB", "united kingdom of great britain and northern ireland": "GB",
	"usa": "US", "u s a": "US", "u s": "US", "united states of america": "US", "america": "US",
	"the united states": "US", "deutschland": "DE", "bundesrepublik deutschland": "DE",
	"uae": "AE", "u a e": "AE", "holland": "NL", "the netherlands": "NL", "nederland": "NL",
	"espana": "ES", "españa": "ES", "italia": "IT", "schweiz": "CH", "suisse": "CH",
	"svizzera": "CH", "osterreich": "AT", "österreich": "AT", "sverige": "SE", "norge": "NO",
	"danmark": "DK", "suomi": "FI", "polska": "PL", "brasil": "BR", "mexico": "MX",
	"méxico": "MX", "republic of ireland": "IE", "eire": "IE", "éire": "IE",
	"russia": "RU", "russian federation": "RU", "south korea": "KR", "korea": "KR",
	"republic of korea": "KR", "korea republic of": "KR", "iran islamic republic of": "IR",
	"taiwan province of china": "TW", "russian federation the": "RU", "north korea": "KP", "czech republic": "CZ", "czechia": "CZ",
	"ivory coast": "CI", "cote d ivoire": "CI", "côte d ivoire": "CI", "burma": "MM",
	"vietnam": "VN", "viet nam": "VN", "turkey": "TR", "türkiye": "TR", "turkiye": "TR",
	"hong kong sar": "HK", "macau": "MO", "taiwan roc": "TW", "new zealand": "NZ",
	"aotearoa": "NZ", "the bahamas": "BS", "the gambia": "GM", "cape verde": "CV",
	"swaziland": "SZ", "macedonia": "MK", "republic of china": "TW", "prc": "CN",
	"peoples republic of china": "CN", "people s republic of china": "CN",
	"ksa": "SA", "kingdom of saudi arabia": "SA", "nippon": "JP", "bharat": "IN",
	"vatican": "VA", "holy see": "VA", "laos": "LA", "syria": "SY", "iran": "IR",
	"moldova": "MD", "bolivia": "BO", "venezuela": "VE", "tanzania": "TZ",
	"brunei": "BN", "palestine": "PS", "micronesia": "FM", "st lucia": "LC",
	"saint lucia": "LC", "st kitts and nevis": "KN", "trinidad": "TT",
}

// notCountries are sales regions and other values that look like, but are
// not, countries (spec §2.6). They must not resolve through alpha-2 codes
// ("EU") or aliases.
var notCountries = map[string]bool{
	"europe": true, "eu": true, "emea": true, "apac": true, "latam": true, "nordic countries": true,
	"nordics": true, "nordic": true, "benelux": true, "dach": true, "americas": true,
	"north america": true, "south america": true, "asia": true, "africa": true,
	"middle east": true, "global": true, "worldwide": true, "international": true,
	"world": true, "zz": true, "xx": true, "un": true, "ez": true, "qo": true,
}

// reservedCodes are exceptionally or transitionally reserved alpha-2
// codes that CLDR knows but that are not ISO 3166-1 country codes.
var reservedCodes = map[string]bool{
	"AC": true, "AN": true, "BU": true, "CP": true, "CS": true, "DD": true, "DG": true,
	"EA": true, "EU": true, "EZ": true, "FX": true, "IC": true, "NT": true, "SU": true,
	"TA": true, "TP": true, "UK": true, "UN": true, "YU": true, "ZR": true, "QO": true,
}

func buildCountryIndex() map[string]string {
	idx := make(map[string]string, 1200)
	names := display.English.Regions()
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			code := string([]rune{a, b})
			r, err := language.ParseRegion(code)
			if err != nil || !r.IsCountry() || r.String() != code || r.ISO3() == "" {
				continue
			}
			if notCountries[strings.ToLower(code)] || reservedCodes[code] {
				continue
			}
			idx[strings.ToLower(code)] = code
			idx[strings.ToLower(r.ISO3())] = code
			if n := names.Name(r); n != "" {
				idx[countryForm(n)] = code
			}
		}
	}
	for k, v := range countryAliases {
		idx[countryForm(k)] = v
	}
	return idx
}

// countryForm is a country value reduced for lookup: lower case, "&" as
// "and", punctuation as space, single spaces.
func countryForm(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, "&", " and "))
	s = strings.Map(func(r rune) rune {
		switch r {
		case '.', ',', '\'', '’', '(', ')', '-', '_', '/':
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// NormalizeCountry converts a country code or name to ISO 3166-1 alpha-2
// (spec §2.6). ok is false for a non-empty value that does not resolve,
// such as a sales region; the code is then "".
func NormalizeCountry(raw string) (code string, ok bool) {
	s, _ := cleanText(raw)
	f := countryForm(s)
	if f == "" {
		return "", true
	}
	if notCountries[f] {
		return "", false
	}
	if c, found := countryIndex[f]; found {
		return c, true
	}
	if g, found := strings.CutPrefix(f, "the "); found {
		if c, found := countryIndex[g]; found {
			return c, true
		}
	}
	return "", false
}

// CountryName is the English short name of an alpha-2 code, or the code
// itself when it is unknown.
func CountryName(code string) string {
	r, err := language.ParseRegion(code)
	if err != nil {
		return code
	}
	if n := display.English.Regions().Name(r); n != "" {
		return n
	}
	return code
}
