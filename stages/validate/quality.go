package validate

import (
	"math"
	"unicode/utf8"

	"github.com/leadstream/leadstream/internal/lead"
)

// Quality weights (spec §3.1).
const (
	weightEmail   = 30
	weightPhone   = 25
	weightName    = 20
	weightCompany = 10
	weightDomain  = 5
	weightTitle   = 10
)

// SubScores are the six sub-scores of spec §3.1, each in [0,1].
type SubScores struct {
	Email, Phone, Name, Company, Domain, Title float64
}

// Total is round(30e + 25p + 20n + 10c + 5d + 10t).
func (s SubScores) Total() int {
	return int(math.Round(weightEmail*s.Email + weightPhone*s.Phone + weightName*s.Name +
		weightCompany*s.Company + weightDomain*s.Domain + weightTitle*s.Title))
}

// Score computes the sub-scores of l, and the machine-readable reasons for
// every sub-score below 1.
func Score(l *lead.Lead) (SubScores, []string) {
	var s SubScores
	var why []string
	primary, hasEmail := l.PrimaryEmail()
	switch {
	case !hasEmail:
		why = append(why, "no_email")
	case !primary.Usable():
		why = append(why, "email_invalid")
	default:
		s.Email = 0.7
		if primary.Status == lead.EmailVerified {
			s.Email = 1
		} else {
			why = append(why, "email_unverified")
		}
		if primary.Role {
			s.Email /= 2
			why = append(why, "email_role")
		}
	}

	s.Phone = phoneScore(l)
	switch {
	case s.Phone == 0 && len(l.Phones) == 0 && l.Phone == "":
		why = append(why, "no_phone")
	case s.Phone == 0:
		why = append(why, "phone_unparsed")
	case s.Phone < 0.5:
		why = append(why, "phone_unverified_format")
	case s.Phone < 1:
		why = append(why, "phone_not_direct")
	}

	switch {
	case l.FirstName != "" && l.LastName != "" && !isInitial(l.FirstName):
		s.Name = 1
	case l.FirstName != "" || l.LastName != "" || l.FullName != "":
		s.Name = 0.5
		why = append(why, "partial_name")
	default:
		why = append(why, "no_name")
	}

	if l.Company != "" && !lead.IsCompanyPlaceholder(l.Company) && utf8.RuneCountInString(l.Company) >= 2 {
		s.Company = 1
	} else {
		why = append(why, "no_company")
	}

	switch {
	case l.Domain == "":
		why = append(why, "no_domain")
	case hasEmail && lead.EmailDomain(primary.Address) == l.Domain:
		s.Domain = 1
	default:
		s.Domain = 0.6
		why = append(why, "domain_unconfirmed")
	}

	switch {
	case l.Title == "":
		why = append(why, "no_title")
	case lead.TitleDerivable(l.Title):
		s.Title = 1
	default:
		s.Title = 0.6
		why = append(why, "title_underivable")
	}
	return s, why
}

// Quality is the data-quality score of spec §3.1 and the reasons it is
// below 100.
func Quality(l *lead.Lead) (int, []string) {
	s, why := Score(l)
	return s.Total(), why
}

// phoneScore scores the best number: 1 for a valid direct or mobile, 0.8
// for a valid company or other number, 0.3 for a possible-only number.
func phoneScore(l *lead.Lead) float64 {
	best := 0.0
	for _, p := range l.Phones {
		v := 0.0
		switch {
		case p.Valid && (p.Kind == lead.PhoneDirect || p.Kind == lead.PhoneMobile):
			v = 1
		case p.Valid:
			v = 0.8
		case p.Possible:
			v = 0.3
		}
		best = max(best, v)
	}
	if len(l.Phones) == 0 && digits(l.Phone) >= 7 {
		best = 0.3 // a version-1 lead: the number was never checked
	}
	return best
}

// isInitial reports whether a first name is just an initial ("J", "J.").
func isInitial(first string) bool {
	n := 0
	for _, r := range first {
		if r != '.' {
			n++
		}
	}
	return n <= 1
}
