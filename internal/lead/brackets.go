package lead

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CF_108 headcount brackets and CF_107 revenue brackets (spec §5.2).
var (
	employeeBrackets = []bracket{
		{10, "1-10"}, {50, "11-50"}, {200, "51-200"}, {1000, "201-1000"}, {5000, "1001-5000"},
		{math.MaxInt64, "5000+"},
	}
	revenueBrackets = []bracket{
		{999_999, "<$1M"}, {4_999_999, "$1M-$5M"}, {24_999_999, "$5M-$25M"},
		{99_999_999, "$25M-$100M"}, {math.MaxInt64, "$100M+"},
	}
)

// bracket is a picklist value for values up to and including upTo.
type bracket struct {
	upTo  int64
	label string
}

func pick(bs []bracket, v int64) string {
	for _, b := range bs {
		if v <= b.upTo {
			return b.label
		}
	}
	return ""
}

// rangeBracket maps a value or range to its bracket: the bracket holding
// both ends, else the bracket of the midpoint; an open range uses its
// minimum. Zero or negative means unknown and gives "".
func rangeBracket(bs []bracket, r *Range) string {
	if r == nil || r.Min <= 0 && r.Max <= 0 {
		return ""
	}
	lo, hi := r.Min, r.Max
	switch {
	case hi <= 0:
		return pick(bs, lo)
	case lo <= 0:
		return pick(bs, hi)
	}
	if a, b := pick(bs, lo), pick(bs, hi); a == b {
		return a
	}
	return pick(bs, lo+(hi-lo)/2)
}

// EmployeeBracket is the CF_108 value of a headcount, or "".
func EmployeeBracket(r *Range) string { return rangeBracket(employeeBrackets, r) }

// RevenueBracket is the CF_107 value of a USD revenue, or "".
func RevenueBracket(r *Range) string { return rangeBracket(revenueBrackets, r) }

// ParseRange reads a count or amount as providers write it: "250",
// "1,200", "51-200", "51 to 200", "10001+", "5k", "$1.5M", "2.3B",
// "$1M-$5M", "€3 mln". Currency symbols are ignored (conversion is the
// adapter's job). It returns nil for an empty value and ok=false for one
// it cannot read.
func ParseRange(raw string) (r *Range, ok bool) {
	s, _ := cleanText(raw)
	s = strings.ToLower(s)
	if s == "" {
		return nil, true
	}
	open := strings.HasSuffix(s, "+") || strings.HasPrefix(s, ">") || strings.HasSuffix(s, " or more")
	s = strings.TrimSuffix(strings.TrimSuffix(s, "+"), " or more")
	s = strings.TrimLeft(s, "><=~ ")
	var lo, hi string
	for _, sep := range []string{" to ", "–", "—", " - ", "-"} {
		if a, b, found := strings.Cut(s, sep); found {
			lo, hi = a, b
			break
		}
	}
	if lo == "" && hi == "" {
		v, ok := parseAmount(s)
		if !ok {
			return nil, false
		}
		if open {
			return &Range{Min: v}, true
		}
		return &Range{Min: v, Max: v}, true
	}
	// "1-5M": a scale on the upper end only applies to both.
	hv, okH := parseAmount(hi)
	lv, okL := parseAmount(lo)
	if !okH || !okL {
		return nil, false
	}
	if m := scaleOf(hi); m > 1 && scaleOf(lo) == 1 && lv > 0 && lv*m <= hv {
		lv *= m
	}
	if hv < lv {
		lv, hv = hv, lv
	}
	return &Range{Min: lv, Max: hv}, true
}

// scaleOf returns the multiplier a suffix stands for.
func scaleOf(s string) int64 {
	s = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(s), "."))
	switch {
	case strings.HasSuffix(s, "bn"), strings.HasSuffix(s, "b"), strings.HasSuffix(s, "billion"):
		return 1_000_000_000
	case strings.HasSuffix(s, "mm"), strings.HasSuffix(s, "mln"), strings.HasSuffix(s, "m"), strings.HasSuffix(s, "million"):
		return 1_000_000
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "thousand"):
		return 1_000
	}
	return 1
}

// parseAmount reads one number with an optional scale suffix.
func parseAmount(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	m := scaleOf(s)
	s = strings.TrimRight(s, "abcdefghijklmnopqrstuvwxyz. ")
	s = strings.TrimLeft(s, "$€£¥usdeurgbp ")
	s = strings.Map(func(r rune) rune {
		if r == ',' || r == '_' || r == ' ' || r == '\'' {
			return -1
		}
		return r
	}, s)
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) || f*float64(m) > 1e15 {
		return 0, false
	}
	return int64(math.Round(f * float64(m))), true
}

// ParseFoundedYear reads a founding year; ok is false for anything that
// is not a plausible year (1800 to next year).
func ParseFoundedYear(raw string, now time.Time) (int, bool) {
	s, _ := cleanText(raw)
	if s == "" {
		return 0, true
	}
	y, err := strconv.Atoi(strings.TrimSuffix(s, ".0"))
	if err != nil || y < 1800 || y > now.Year()+1 {
		return 0, false
	}
	return y, true
}

// Rederive recomputes the derived custom-field values after attributes
// were added outside normalisation and merging (enrichment).
func (l *Lead) Rederive() { l.CustomFields = l.derive() }

// derive computes the custom-field values that follow from the lead's
// attributes (spec §5.2), or nil when none does.
func (l *Lead) derive() *CustomFields {
	cf := CustomFields{
		LeadSource:       sourceDisplay[l.FirstSource],
		DoNotContact:     l.DoNotContact,
		RevenueRange:     RevenueBracket(l.RevenueUSD),
		EmployeeRange:    EmployeeBracket(l.EmployeeCount),
		ManagementLevel:  l.Seniority,
		Department:       l.Department,
		TechnologyStack:  technologyStack(l.Technologies),
		LocationHQ:       hqLine(l.HQ),
		GrowthSignals:    GrowthSignals(l.FundingEvents, l.Growth, time.Now().UTC()),
		ProjectPipelines: ProjectPipelines(l.UpcomingTechnologies, l.JobPostings),
		IntentSignals:    IntentSignals(l.Intent),
	}
	if l.FoundedYear >= 1800 && l.FoundedYear <= time.Now().UTC().Year() {
		cf.FoundedYear = l.FoundedYear
	}
	if cf == (CustomFields{}) {
		return nil
	}
	return &cf
}

// technologyStack is CF_106: names sorted case-insensitively, joined ", ",
// truncated at a whole item within 4000 characters.
func technologyStack(techs []string) string {
	if len(techs) == 0 {
		return ""
	}
	s := slices.Clone(techs)
	slices.SortFunc(s, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	var b strings.Builder
	for _, t := range s {
		if b.Len()+len(t)+2 > 4000 {
			break
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t)
	}
	return b.String()
}

// hqLine is CF_113: "street, city, state postcode, country name".
func hqLine(a *Address) string {
	if a.empty() {
		return ""
	}
	var parts []string
	for _, p := range []string{a.Street, a.City, strings.TrimSpace(a.State + " " + a.Postcode)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if a.Country != "" {
		parts = append(parts, CountryName(a.Country))
	}
	s := strings.Join(parts, ", ")
	if len(s) > 1000 {
		s = s[:1000]
	}
	return s
}

// sourceDisplay is the CF_101 display value of each provider key (spec
// §1.1). halopsa and review never feed CF_101.
var sourceDisplay = map[string]string{
	"apollo": "Apollo.io", "zoominfo": "ZoomInfo", "lusha": "Lusha", "seamless": "Seamless.ai",
	"uplead": "UpLead", "rocketreach": "RocketReach", "lead411": "Lead411", "hunter": "Hunter.io",
	"bookyourdata": "BookYourData", "leadsblue": "LeadsBlue",
}
