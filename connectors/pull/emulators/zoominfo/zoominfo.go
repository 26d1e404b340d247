// Package zoominfo emulates ZoomInfo's GTM Data API V1 for tests: the
// client-credentials token endpoint, JSON:API contact search with
// page[number]/page[size] and contact enrich with matchStatus, the
// X-RateLimit-*-{Second,Hour,Day} headers, and 429 with Retry-After,
// X-RateLimit-Rejected-Bucket and error code ZI0004. Enrich matches a
// personId, an emailAddress, or firstName + lastName with companyName (or
// fullName), one credit per new record (re-enriching one is free).
package zoominfo

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"

	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
)

// Paths served.
const (
	TokenPath  = "/gtm/oauth/v1/token"
	SearchPath = "/gtm/data/v1/contacts/search"
	EnrichPath = "/gtm/data/v1/contacts/enrich"
	// IntentPath answers company intent (inferred shape: one Intent row
	// per topic with topic, category, signalDate, signalScore and
	// audienceStrength, as the legacy /enrich/intent); free.
	IntentPath = "/gtm/data/v1/intent/enrich"
	// CompanyEnrichPath answers companies by companyWebsite or
	// companyName, one credit per new company (never twice).
	CompanyEnrichPath = "/gtm/data/v1/companies/enrich"
	ClientID          = "emulator-client"
)

// Emulator is a running ZoomInfo emulator.
type Emulator struct {
	*httptest.Server
	Kit *emukit.Kit
	// TokenTTL is expires_in in seconds (default 3600).
	TokenTTL int

	// Handler serves the API (also without a Server, to mount elsewhere).
	Handler http.Handler

	mu     sync.Mutex
	tokens map[string]bool
	issued int
}

// New starts an emulator; the valid credentials are ClientID and cfg.Key.
func New(cfg emukit.Config) *Emulator {
	e := NewHandler(cfg)
	e.Server = httptest.NewServer(e.Handler)
	return e
}

// NewHandler returns an emulator that is not listening; mount e.Handler.
func NewHandler(cfg emukit.Config) *Emulator {
	e := &Emulator{Kit: emukit.New(cfg), tokens: map[string]bool{}, TokenTTL: 3600}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+TokenPath, e.token)
	mux.HandleFunc("POST "+SearchPath, e.search)
	mux.HandleFunc("POST "+EnrichPath, e.enrich)
	mux.HandleFunc("POST "+IntentPath, e.intent)
	mux.HandleFunc("POST "+CompanyEnrichPath, e.companyEnrich)
	e.Handler = mux
	return e
}

// RevokeAll invalidates every issued token (the next call gets 401).
func (e *Emulator) RevokeAll() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tokens = map[string]bool{}
}

// Issued returns how many tokens were issued.
func (e *Emulator) Issued() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.issued
}

func jsonAPIError(w http.ResponseWriter, status int, code, title, detail string) {
	w.Header().Set("Content-Type", "application/vnd.api+json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{
		"id": "e1", "code": code, "status": strconv.Itoa(status), "title": title, "detail": detail,
		"source": map[string]any{"header": "Authorization"}}}})
	_, _ = w.Write(b)
}

func (e *Emulator) responders() emukit.Responders {
	return emukit.Responders{RateLimited: func(w http.ResponseWriter, ra int) {
		w.Header().Set("Retry-After", strconv.Itoa(ra))
		w.Header().Set("X-RateLimit-Rejected-Bucket", "second")
		jsonAPIError(w, http.StatusTooManyRequests, "ZI0004", "Too Many Requests", "Rate limit exceeded")
	}}
}

func (e *Emulator) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != ClientID || secret != e.Kit.Cfg.Key {
		e.Kit.AuthFailed(r.URL.Path)
		jsonAPIError(w, http.StatusUnauthorized, "ZI0001", "Unauthorized", "invalid client credentials")
		return
	}
	g := e.Kit.Begin(r.URL.Path)
	if e.Kit.Fail(w, g, e.responders()) {
		return
	}
	e.mu.Lock()
	e.issued++
	tok := fmt.Sprintf("tok-%d", e.issued)
	e.tokens[tok] = true
	e.mu.Unlock()
	emukit.WriteJSON(w, http.StatusOK, fmt.Sprintf(`{"access_token":%q,"expires_in":%d,"token_type":"Bearer"}`, tok, e.TokenTTL))
}

func (e *Emulator) gate(w http.ResponseWriter, r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	e.mu.Lock()
	ok := len(auth) > 7 && auth[:7] == "Bearer " && e.tokens[auth[7:]]
	e.mu.Unlock()
	if !ok {
		e.Kit.AuthFailed(r.URL.Path)
		jsonAPIError(w, http.StatusUnauthorized, "ZI0001", "Unauthorized", "invalid or expired token")
		return false
	}
	g := e.Kit.Begin(r.URL.Path)
	if g.Remaining >= 0 {
		w.Header().Set("X-RateLimit-Limit-Second", strconv.Itoa(g.Limit))
		w.Header().Set("X-RateLimit-Remaining-Second", strconv.Itoa(g.Remaining))
	}
	w.Header().Set("X-RateLimit-Limit-Day", "648000")
	w.Header().Set("X-RateLimit-Remaining-Day", "640000")
	return !e.Kit.Fail(w, g, e.responders())
}

func attrs(p emukit.Person) map[string]any {
	return map[string]any{"firstName": p.First, "lastName": p.Last, "jobTitle": p.Title,
		"managementLevel": "VP-Level", "contactAccuracyScore": 95, "hasEmail": true,
		"company": map[string]any{"id": 346572700 + p.Index%7, "name": p.Company}}
}

func (e *Emulator) search(w http.ResponseWriter, r *http.Request) {
	if !e.gate(w, r) {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	num, _ := strconv.Atoi(r.URL.Query().Get("page[number]"))
	size, _ := strconv.Atoi(r.URL.Query().Get("page[size]"))
	if num < 1 {
		num = 1
	}
	if size < 1 || size > 100 {
		size = 25
	}
	from, to := e.Kit.Page((num-1)*size, size)
	rows := e.Kit.Rows(from, to, func(p emukit.Person) any {
		return map[string]any{"id": p.ID, "type": "Contact", "attributes": attrs(p)}
	})
	total := (e.Kit.Cfg.Records + size - 1) / size
	w.Header().Set("Content-Type", "application/vnd.api+json")
	fmt.Fprintf(w, `{"data":%s,"meta":{"totalResults":%d,"page":{"total":%d,"number":%d}},"links":{"first":"","last":"","prev":"","next":""}}`,
		rows, e.Kit.Cfg.Records, total, num)
}

func (e *Emulator) enrich(w http.ResponseWriter, r *http.Request) {
	if !e.gate(w, r) {
		return
	}
	var body struct {
		Data struct {
			Attributes struct {
				MatchPersonInput []struct {
					PersonID     json.Number `json:"personId"`
					EmailAddress string      `json:"emailAddress"`
					FirstName    string      `json:"firstName"`
					LastName     string      `json:"lastName"`
					FullName     string      `json:"fullName"`
					CompanyName  string      `json:"companyName"`
				} `json:"matchPersonInput"`
			} `json:"attributes"`
		} `json:"data"`
	}
	in := &body.Data.Attributes.MatchPersonInput
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil || len(*in) == 0 || len(*in) > 25 {
		jsonAPIError(w, http.StatusBadRequest, "ZI0002", "Bad Request", "matchPersonInput must hold 1 to 25 entries")
		return
	}
	var out []any
	for _, m := range *in {
		q := emukit.Query{ID: m.PersonID.String(), Email: m.EmailAddress, First: m.FirstName, Last: m.LastName, Company: m.CompanyName}
		if q.First == "" && q.Last == "" {
			if f := strings.Fields(m.FullName); len(f) >= 2 {
				q.First, q.Last = f[0], strings.Join(f[1:], " ")
			}
		}
		p, found := e.Kit.Find(q)
		if !found {
			out = append(out, map[string]any{"id": "0", "type": "NoMatch", "meta": map[string]any{"input": map[string]any{"personId": m.PersonID}, "matchStatus": "NO_MATCH"}})
			continue
		}
		if !e.Kit.ChargeOnce("person:"+p.ID, 1) {
			out = append(out, map[string]any{"id": "0", "type": "NoMatch", "meta": map[string]any{"input": map[string]any{"personId": m.PersonID}, "matchStatus": "LIMIT_EXCEEDED"}})
			continue
		}
		a := attrs(p)
		a["email"], a["phone"], a["mobilePhone"] = p.Email, p.Phone, p.Mobile
		a["managementLevel"] = []string{"VP-Level"}
		a["jobFunction"] = map[string]any{"name": p.Department, "department": p.Department}
		a["city"], a["state"], a["country"] = p.City, p.State, p.Country
		a["externalUrls"] = []any{map[string]any{"type": "linkedin.com", "url": p.LinkedIn}}
		if c, ok := e.Kit.Company(p.Domain); ok {
			a["company"] = map[string]any{"id": 346572700 + p.Index%7, "name": p.Company, "employeeCount": c.Employees,
				"primaryIndustry": []string{c.Industry}, "website": "www." + c.Domain, "revenue": strconv.FormatInt(c.Revenue/1000, 10)}
		}
		out = append(out, map[string]any{"id": p.ID, "type": "Contact", "attributes": a,
			"meta": map[string]any{"input": map[string]any{"personId": m.PersonID}, "matchStatus": "FULL_MATCH"}})
	}
	b, _ := json.Marshal(map[string]any{"data": out})
	w.Header().Set("Content-Type", "application/vnd.api+json")
	_, _ = w.Write(b)
}

// intent answers the intent topics of each company of matchCompanyInput
// (companyWebsite, else companyName), tagged with the input's index.
func (e *Emulator) intent(w http.ResponseWriter, r *http.Request) {
	if !e.gate(w, r) {
		return
	}
	var body struct {
		Data struct {
			Attributes struct {
				MatchCompanyInput []struct {
					CompanyWebsite string `json:"companyWebsite"`
					CompanyName    string `json:"companyName"`
				} `json:"matchCompanyInput"`
			} `json:"attributes"`
		} `json:"data"`
	}
	in := &body.Data.Attributes.MatchCompanyInput
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil || len(*in) == 0 || len(*in) > 25 {
		jsonAPIError(w, http.StatusBadRequest, "ZI0002", "Bad Request", "matchCompanyInput must hold 1 to 25 entries")
		return
	}
	out := []any{}
	for i, m := range *in {
		c, ok := e.Kit.Company(siteDomain(m.CompanyWebsite))
		if !ok {
			continue
		}
		for k, t := range c.IntentTopics {
			out = append(out, map[string]any{"id": fmt.Sprintf("%d-%d", i, k), "type": "Intent", "attributes": map[string]any{
				"topic": t, "category": "IT Services", "signalDate": fmt.Sprintf("2026-11-%02d", 10+k), "signalScore": 60 + 10*k,
				"audienceStrength": c.IntentStrength}, "meta": map[string]any{"input": map[string]any{"index": i, "companyWebsite": m.CompanyWebsite}}})
		}
	}
	b, _ := json.Marshal(map[string]any{"data": out})
	w.Header().Set("Content-Type", "application/vnd.api+json")
	_, _ = w.Write(b)
}

// siteDomain turns a companyWebsite into its domain.
func siteDomain(w string) string {
	d := strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(w)), "https://"), "http://")
	d, _, _ = strings.Cut(d, "/")
	return strings.TrimPrefix(d, "www.")
}

// companyEnrich answers matchCompanyInput entries (≤25) by website: the
// company's attributes with revenue in thousands, or NO_MATCH.
func (e *Emulator) companyEnrich(w http.ResponseWriter, r *http.Request) {
	if !e.gate(w, r) {
		return
	}
	var body struct {
		Data struct {
			Attributes struct {
				MatchCompanyInput []struct {
					CompanyWebsite string `json:"companyWebsite"`
				} `json:"matchCompanyInput"`
			} `json:"attributes"`
		} `json:"data"`
	}
	in := &body.Data.Attributes.MatchCompanyInput
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil || len(*in) == 0 || len(*in) > 25 {
		jsonAPIError(w, http.StatusBadRequest, "ZI0002", "Bad Request", "matchCompanyInput must hold 1 to 25 entries")
		return
	}
	out := []any{}
	for _, m := range *in {
		c, ok := e.Kit.Company(siteDomain(m.CompanyWebsite))
		switch {
		case !ok:
			out = append(out, map[string]any{"id": "0", "type": "NoMatch", "meta": map[string]any{"matchStatus": "NO_MATCH"}})
		case !e.Kit.ChargeOnce("org:"+c.Domain, 1):
			out = append(out, map[string]any{"id": "0", "type": "NoMatch", "meta": map[string]any{"matchStatus": "LIMIT_EXCEEDED"}})
		default:
			out = append(out, map[string]any{"id": "co" + c.Domain, "type": "Company", "attributes": map[string]any{
				"name": c.Name, "website": "www." + c.Domain, "employeeCount": c.Employees, "revenue": c.Revenue / 1000,
				"primaryIndustry": []string{c.Industry}, "foundedYear": c.FoundedYear,
				"socialMediaUrls": []any{map[string]any{"type": "LINKED_IN", "url": c.LinkedIn}}},
				"meta": map[string]any{"matchStatus": "FULL_MATCH"}})
		}
	}
	b, _ := json.Marshal(map[string]any{"data": out})
	w.Header().Set("Content-Type", "application/vnd.api+json")
	_, _ = w.Write(b)
}
