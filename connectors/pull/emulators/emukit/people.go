package emukit

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// peopleIndex finds dataset rows by the keys enrichment APIs match on.
type peopleIndex struct {
	byEmail    map[string][]int
	byName     map[string][]int // first|last|domain
	byCompany  map[string][]int // first|last|company
	byLinkedIn map[string][]int
	byDomain   map[string]int
}

func key(parts ...string) string {
	for i, p := range parts {
		parts[i] = strings.ToLower(strings.Join(strings.Fields(p), " "))
	}
	return strings.Join(parts, "|")
}

func (k *Kit) idx() *peopleIndex {
	if k.index != nil {
		return k.index
	}
	ix := &peopleIndex{byEmail: map[string][]int{}, byName: map[string][]int{}, byCompany: map[string][]int{}, byLinkedIn: map[string][]int{}, byDomain: map[string]int{}}
	for i := 0; i < k.Cfg.Records; i++ {
		p := k.Person(i)
		if p.Email != "" {
			ix.byEmail[key(p.Email)] = append(ix.byEmail[key(p.Email)], i)
		}
		if p.First != "" && p.Last != "" {
			if p.Domain != "" {
				ix.byName[key(p.First, p.Last, p.Domain)] = append(ix.byName[key(p.First, p.Last, p.Domain)], i)
			}
			if p.Company != "" {
				ix.byCompany[key(p.First, p.Last, p.Company)] = append(ix.byCompany[key(p.First, p.Last, p.Company)], i)
			}
		}
		if p.LinkedIn != "" {
			ix.byLinkedIn[key(p.LinkedIn)] = append(ix.byLinkedIn[key(p.LinkedIn)], i)
		}
		if _, ok := ix.byDomain[key(p.Domain)]; !ok && p.Domain != "" {
			ix.byDomain[key(p.Domain)] = i
		}
	}
	k.index = ix
	return ix
}

// Query is what an enrichment request identifies a person by.
type Query struct {
	ID              string
	Email, LinkedIn string
	First, Last     string
	Domain, Company string
}

// Find returns the one dataset person q identifies. Rows that share the
// key but disagree on the e-mail make the answer ambiguous: no match, as a
// provider that cannot tell two people apart answers.
func (k *Kit) Find(q Query) (Person, bool) {
	k.mu.Lock()
	ix := k.idx()
	k.mu.Unlock()
	var hits []int
	switch {
	case q.ID != "":
		var i int
		if _, err := fmt.Sscanf(q.ID, "%d", &i); err == nil && i >= 100000 && i-100000 < k.Cfg.Records {
			hits = []int{i - 100000}
		}
	case q.Email != "":
		hits = ix.byEmail[key(q.Email)]
	case q.LinkedIn != "":
		hits = ix.byLinkedIn[key(q.LinkedIn)]
	case q.First != "" && q.Last != "" && q.Domain != "":
		hits = ix.byName[key(q.First, q.Last, q.Domain)]
	case q.First != "" && q.Last != "" && q.Company != "":
		hits = ix.byCompany[key(q.First, q.Last, q.Company)]
	}
	if len(hits) == 0 {
		return Person{}, false
	}
	best := k.merged(hits)
	if best == nil {
		return Person{}, false
	}
	return *best, true
}

// merged folds the rows of one person into one answer (duplicates in a
// file often lack a phone or an e-mail); nil when they disagree.
func (k *Kit) merged(hits []int) *Person {
	var out *Person
	for _, i := range hits {
		p := k.Person(i)
		if out == nil {
			out = &p
			continue
		}
		if p.Email != "" && out.Email != "" && !strings.EqualFold(p.Email, out.Email) {
			return nil
		}
		if out.Email == "" {
			out.Email = p.Email
		}
		if out.Phone == "" {
			out.Phone = p.Phone
		}
		if out.Mobile == "" {
			out.Mobile = p.Mobile
		}
		if out.LinkedIn == "" {
			out.LinkedIn = p.LinkedIn
		}
	}
	return out
}

// CompanyFacts are the synthetic, deterministic facts of a company: the
// sandbox knows the people of a file but a canonical CSV carries no
// firmographics, so each domain gets stable made-up ones.
type CompanyFacts struct {
	Name         string
	Domain       string
	Industry     string
	Employees    int
	Revenue      int64
	Technologies []string
	LinkedIn     string
	FoundedYear  int
	// Signals: a funding round (Stage, Amount, Date as YYYY-MM-DD) for
	// half of the companies, the twelve-month headcount growth as a
	// fraction (0.12 = 12 %), and intent topics with a strength.
	FundingStage, FundingDate string
	FundingAmount             int64
	HeadcountGrowth           float64
	IntentStrength            string
	IntentTopics              []string
}

var (
	industries = []string{"Information Technology", "Healthcare", "Financial Services", "Manufacturing", "Retail", "Legal Services"}
	techs      = []string{"Microsoft 365", "Salesforce", "AWS", "Google Workspace", "HubSpot", "ConnectWise", "Cisco Meraki", "Okta"}
	stages     = []string{"Seed", "Series A", "Series B", "Series C"}
	topics     = []string{"Managed Services", "Cloud Backup", "SIEM", "Endpoint Security", "VoIP", "Microsoft 365 Migration"}
	strengths  = []string{"Low", "Medium", "High"}
)

// Company returns the facts of the company at domain, and whether any
// person of the dataset works there.
func (k *Kit) Company(domain string) (CompanyFacts, bool) {
	k.mu.Lock()
	ix := k.idx()
	k.mu.Unlock()
	i, ok := ix.byDomain[key(domain)]
	if !ok {
		return CompanyFacts{}, false
	}
	p := k.Person(i)
	h := fnv.New32a()
	_, _ = h.Write([]byte(key(domain)))
	v := int(h.Sum32())
	f := CompanyFacts{
		Name: p.Company, Domain: strings.ToLower(domain),
		Industry:        industries[v%len(industries)],
		Employees:       10 + (v/7)%4990,
		Revenue:         int64(1+(v/11)%200) * 1_000_000,
		Technologies:    []string{techs[v%len(techs)], techs[(v/3+1)%len(techs)]},
		LinkedIn:        "https://www.linkedin.com/company/" + strings.SplitN(strings.ToLower(domain), ".", 2)[0],
		FoundedYear:     1950 + (v/13)%75,
		HeadcountGrowth: float64((v/17)%40) / 100,
		IntentStrength:  strengths[(v/19)%len(strengths)],
		IntentTopics:    []string{topics[v%len(topics)], topics[(v/5+1)%len(topics)]},
	}
	if v%2 == 0 {
		f.FundingStage, f.FundingAmount = stages[(v/23)%len(stages)], int64(1+(v/29)%50)*500_000
		f.FundingDate = fmt.Sprintf("2026-%02d-15", 1+(v/31)%10)
	}
	return f, true
}

// ChargeFor spends n credits for a reveal of one person (or company) at
// one provider, remembering how often each was paid for, so a test can
// tell whether a caller paid twice for the same thing.
func (k *Kit) ChargeFor(item string, n float64) bool {
	if !k.Charge(n) {
		return false
	}
	if n > 0 {
		k.mu.Lock()
		k.paid[item]++
		k.mu.Unlock()
	}
	return true
}

// PaidTwice returns how many items were paid for more than once.
func (k *Kit) PaidTwice() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	for _, c := range k.paid {
		if c > 1 {
			n++
		}
	}
	return n
}

// PaidItems returns how many distinct items were paid for.
func (k *Kit) PaidItems() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.paid)
}

// ChargeOnce spends n credits for item unless it was paid for before (a
// provider that never charges a record twice, as UpLead).
func (k *Kit) ChargeOnce(item string, n float64) bool {
	k.mu.Lock()
	seen := k.paid[item] > 0
	k.mu.Unlock()
	if seen {
		return true
	}
	return k.ChargeFor(item, n)
}
