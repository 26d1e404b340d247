package lead

import (
	"math"
	"slices"
	"strings"
)

// FitInput are the inputs of the fit score (crm.md §3.3): the CF_109
// management level, the CF_108 headcount bracket, the industry, the
// technologies and the ISO country.
type FitInput struct {
	Seniority     string
	EmployeeRange string
	Industry      string
	Technologies  []string
	Country       string
}

// FitInput gathers the lead's fit inputs.
func (l *Lead) FitInput() FitInput {
	in := FitInput{Seniority: l.Seniority, EmployeeRange: EmployeeBracket(l.EmployeeCount), Industry: l.Industry,
		Technologies: l.Technologies, Country: l.Country}
	if in.Country == "" && l.HQ != nil {
		in.Country = l.HQ.Country
	}
	return in
}

// The default ideal customer profile of crm.md §3.3.
var (
	fitWeights         = map[string]float64{"seniority": 0.30, "company_size": 0.25, "industry": 0.20, "technologies": 0.15, "region": 0.10}
	seniorityScore     = map[string]float64{"C-Suite": 1.0, "SVP": 1.0, "VP": 0.9, "Director": 0.8, "Manager": 0.5, "Individual Contributor": 0.2}
	sizeScore          = map[string]float64{"1-10": 0.2, "11-50": 0.6, "51-200": 1.0, "201-1000": 1.0, "1001-5000": 0.6, "5000+": 0.4}
	targetIndustries   = []string{"healthcare", "legal services", "finance", "manufacturing", "professional services"}
	targetTechnologies = []string{"microsoft 365", "microsoft azure", "amazon web services", "google workspace", "salesforce", "hubspot", "cisco", "fortinet", "vmware"}
	targetCountries    = []string{"GB", "IE"}
	secondaryCountries = []string{"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IT", "LV", "LT", "LU", "MT",
		"NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "CH", "NO", "IS", "US", "CA", "AU", "NZ"}
)

// unknownFitScore is the sub-score of a component whose input is unknown.
const unknownFitScore = 0.3

// Fit is the fit score 0–100 of crm.md §3.3 with the default weights and
// profile.
func Fit(in FitInput) int {
	sub := map[string]float64{
		"seniority":    lookup(seniorityScore, in.Seniority),
		"company_size": lookup(sizeScore, in.EmployeeRange),
		"industry":     industryScore(in.Industry),
		"technologies": technologyScore(in.Technologies),
		"region":       regionScore(in.Country),
	}
	var sum, weights float64
	for k, w := range fitWeights {
		sum += w * sub[k]
		weights += w
	}
	return int(math.Round(100 * sum / weights))
}

// FitBucket is hot (> 80), warm (60–80) or cold (< 60).
func FitBucket(fit int) string {
	switch {
	case fit > 80:
		return "hot"
	case fit >= 60:
		return "warm"
	default:
		return "cold"
	}
}

func lookup(m map[string]float64, k string) float64 {
	if v, ok := m[k]; ok {
		return v
	}
	return unknownFitScore
}

func industryScore(ind string) float64 {
	ind = strings.ToLower(strings.TrimSpace(ind))
	switch {
	case ind == "":
		return unknownFitScore
	case slices.Contains(targetIndustries, ind):
		return 1.0
	default:
		return 0.2
	}
}

func technologyScore(techs []string) float64 {
	if len(techs) == 0 {
		return unknownFitScore
	}
	n := 0
	for _, t := range techs {
		if slices.Contains(targetTechnologies, strings.ToLower(strings.TrimSpace(t))) {
			n++
		}
	}
	switch {
	case n >= 2:
		return 1.0
	case n == 1:
		return 0.6
	default:
		return 0.2
	}
}

func regionScore(country string) float64 {
	c := strings.ToUpper(strings.TrimSpace(country))
	switch {
	case c == "":
		return unknownFitScore
	case slices.Contains(targetCountries, c):
		return 1.0
	case slices.Contains(secondaryCountries, c):
		return 0.5
	default:
		return 0.1
	}
}
