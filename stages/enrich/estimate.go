package enrich

import (
	"slices"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/stages/enrich/ledger"
	"github.com/leadstream/leadstream/stages/enrich/waterfall"
)

// Estimate is what enriching a set of leads would cost, before any call.
type Estimate struct {
	Leads int `json:"leads"`
	// Need is how many leads need at least one attribute.
	Need int `json:"need"`
	// People and Domains are the distinct persons and company domains
	// that would be looked up (one lookup serves every lead of a person).
	People  int `json:"people"`
	Domains int `json:"domains"`
	// First is the credits per provider if each waterfall's first
	// provider fills everything it is asked (the usual case).
	First map[string]float64 `json:"first_provider_credits"`
	// Worst is the credits if every provider of every waterfall is asked
	// (nothing found until the last): the upper bound.
	Worst map[string]float64 `json:"worst_case_credits"`
}

// FirstTotal and WorstTotal sum the per-provider figures.
func (e Estimate) FirstTotal() float64 { return sum(e.First) }

// WorstTotal sums the worst-case credits.
func (e Estimate) WorstTotal() float64 { return sum(e.Worst) }

func sum(m map[string]float64) float64 {
	t := 0.0
	for _, v := range m {
		t += v
	}
	return t
}

// EstimateCredits estimates the credits cfg would spend on leads with an
// empty cache; cost gives a provider's credits per person for the wanted
// attributes (Provider.Cost), company lookups cost one credit a domain.
func EstimateCredits(cfg waterfall.Config, cost func(provider string, want []enrich.Attribute) float64, leads []*lead.Lead, now time.Time) Estimate {
	e := Estimate{Leads: len(leads), First: map[string]float64{}, Worst: map[string]float64{}}
	people := map[string]bool{}
	domains := map[string]bool{}
	for _, l := range leads {
		need := cfg.Needs(l, now)
		if len(need) == 0 {
			continue
		}
		e.Need++
		pk, dk := ledger.PersonKey(l), ledger.DomainKey(l.Domain)
		first := map[string][]enrich.Attribute{}
		worst := map[string][]enrich.Attribute{}
		for _, a := range need {
			provs := cfg.Attributes[a].Providers
			if a == enrich.Company {
				if dk == "" || domains[dk] {
					continue
				}
				domains[dk] = true
				e.First[provs[0]]++
				for _, p := range provs {
					e.Worst[p]++
				}
				continue
			}
			if pk == "" || people[pk] {
				continue
			}
			first[provs[0]] = append(first[provs[0]], a)
			for _, p := range provs {
				if !slices.Contains(worst[p], a) {
					worst[p] = append(worst[p], a)
				}
			}
		}
		if pk != "" && !people[pk] && len(first) > 0 {
			people[pk] = true
			for p, want := range first {
				e.First[p] += cost(p, want)
			}
			for p, want := range worst {
				e.Worst[p] += cost(p, want)
			}
		}
	}
	e.People, e.Domains = len(people), len(domains)
	return e
}
