package lead

import (
	"strings"
	"unicode"
)

// CF_109 management levels (spec §2.7, §5.2).
const (
	SeniorityCSuite     = "C-Suite"
	SeniorityVP         = "VP"
	SenioritySVP        = "SVP"
	SeniorityDirector   = "Director"
	SeniorityManager    = "Manager"
	SeniorityIndividual = "Individual Contributor"
)

// CF_110 department functions (spec §2.7, §5.2).
const (
	DeptIT          = "IT"
	DeptFinance     = "Finance"
	DeptOperations  = "Operations"
	DeptHR          = "HR"
	DeptMarketing   = "Marketing"
	DeptSales       = "Sales"
	DeptLegal       = "Legal"
	DeptProcurement = "Procurement"
)

// providerSeniority maps unambiguous provider seniority values (spec §2.7
// rule 1), keyed by source key and then lower-cased value.
var providerSeniority = map[string]map[string]string{
	"apollo": {
		"owner": SeniorityCSuite, "founder": SeniorityCSuite, "c_suite": SeniorityCSuite,
		"partner": SeniorityCSuite, "vp": SeniorityVP, "head": SeniorityDirector,
		"director": SeniorityDirector, "manager": SeniorityManager,
		"senior": SeniorityIndividual, "entry": SeniorityIndividual, "intern": SeniorityIndividual,
	},
	"zoominfo": {
		"c-level": SeniorityCSuite, "vp-level": SeniorityVP, "director": SeniorityDirector,
		"manager": SeniorityManager, "non-manager": SeniorityIndividual,
	},
	"seamless": {
		"c-level": SeniorityCSuite, "vp": SeniorityVP, "director": SeniorityDirector,
		"manager": SeniorityManager, "senior": SeniorityIndividual,
		"mid-level": SeniorityIndividual, "entry level": SeniorityIndividual,
	},
	"uplead": {
		"c": SeniorityCSuite, "cx": SeniorityCSuite, "vp": SeniorityVP,
		"d": SeniorityDirector, "m": SeniorityManager,
	},
}

// keywordRule is one row of a keyword table: any of the words → value.
type keywordRule struct {
	words []string
	value string
}

// seniorityRules is the title table of spec §2.7, rows 1–5, in order.
var seniorityRules = padRules([]keywordRule{
	{[]string{"svp", "evp", "senior vice president", "executive vice president", "senior vp"}, SenioritySVP},
	{[]string{"vp", "vice president", "v p"}, SeniorityVP},
	{[]string{"chief", "ceo", "cfo", "cto", "coo", "cio", "ciso", "cmo", "cro", "chro", "president",
		"founder", "co founder", "cofounder", "owner", "managing director", "managing partner"}, SeniorityCSuite},
	{[]string{"director", "head of", "head"}, SeniorityDirector},
	{[]string{"manager", "mgr", "supervisor", "team lead"}, SeniorityManager},
})

// departmentRules is the department table of spec §2.7, in order.
var departmentRules = padRules([]keywordRule{
	{[]string{"procurement", "purchasing", "buyer", "sourcing", "supply chain", "vendor management"}, DeptProcurement},
	{[]string{"legal", "counsel", "attorney", "lawyer", "paralegal", "compliance", "privacy", "data protection"}, DeptLegal},
	{[]string{"finance", "financial", "accounting", "accountant", "controller", "treasury", "audit", "tax", "payroll", "cfo"}, DeptFinance},
	{[]string{"hr", "human resources", "people", "talent", "recruiting", "recruiter", "recruitment", "chro", "learning and development"}, DeptHR},
	{[]string{"marketing", "brand", "communications", "content", "demand generation", "cmo"}, DeptMarketing},
	{[]string{"sales", "business development", "account executive", "account manager", "bdr", "sdr", "partnerships", "customer success", "cro"}, DeptSales},
	{[]string{"it", "information technology", "technology", "engineering", "engineer", "software", "developer", "devops",
		"infrastructure", "network", "systems", "security", "cyber", "data", "helpdesk", "service desk", "cto", "cio", "ciso"}, DeptIT},
	{[]string{"operations", "ops", "coo", "facilities", "logistics", "administration", "office manager", "production", "manufacturing"}, DeptOperations},
})

// padRules surrounds every keyword with spaces once, so matching needs no
// allocation: titleWords pads the title the same way.
func padRules(rules []keywordRule) []keywordRule {
	for i := range rules {
		for j, w := range rules[i].words {
			rules[i].words[j] = " " + w + " "
		}
	}
	return rules
}

// titleWords is a title in match form: lower case, punctuation as space,
// padded with spaces so " word " finds whole words and phrases.
func titleWords(title string) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return ' '
	}, title)
	return " " + strings.Join(strings.Fields(s), " ") + " "
}

func matchRules(words string, rules []keywordRule) string {
	for _, r := range rules {
		for _, w := range r.words {
			if strings.Contains(words, w) {
				return r.value
			}
		}
	}
	return ""
}

// Seniority derives CF_109 (spec §2.7): an unambiguous provider value
// first, then the title table. source is the source key.
func Seniority(source, providerValue, title string) string {
	if m := providerSeniority[source]; m != nil {
		if v, ok := m[strings.ToLower(strings.TrimSpace(providerValue))]; ok {
			return v
		}
	}
	w := titleWords(title)
	if strings.TrimSpace(w) == "" {
		return ""
	}
	for _, p := range []string{" assistant ", " executive assistant ", " ea to ", " pa to "} {
		if strings.HasPrefix(w, p) {
			return SeniorityIndividual
		}
	}
	if strings.Contains(w, " assistant to ") {
		return SeniorityIndividual
	}
	if v := matchRules(w, seniorityRules); v != "" {
		return v
	}
	return SeniorityIndividual
}

// Department derives CF_110 (spec §2.7): the table applied to the
// provider's department string, then to the title.
func Department(providerValue, title string) string {
	if v := matchRules(titleWords(providerValue), departmentRules); v != "" {
		return v
	}
	return matchRules(titleWords(title), departmentRules)
}

// NormalizeTitle cleans a job title: white space collapsed, stray
// surrounding punctuation removed.
func NormalizeTitle(raw string) string {
	s, _ := cleanText(raw)
	return strings.Trim(s, " ,;:-|/")
}

// TitleDerivable reports whether a title yields a seniority or a
// department through the keyword tables themselves, not merely through
// the "any other title" fallback (spec §3.1 sub-score t).
func TitleDerivable(title string) bool {
	w := titleWords(title)
	if strings.TrimSpace(w) == "" {
		return false
	}
	if Seniority("", "", title) != SeniorityIndividual || matchRules(w, departmentRules) != "" {
		return true
	}
	for _, p := range []string{" assistant ", " executive assistant ", " ea to ", " pa to "} {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return strings.Contains(w, " assistant to ")
}
