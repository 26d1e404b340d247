// Package apollo emulates Apollo.io's People API Search, people match,
// bulk match and organization enrich for tests: x-api-key auth (401
// text/plain), 403 API_INACCESSIBLE for a configured key, page/per_page
// search with total_entries, match (one person, keys in the query or a
// JSON body, answered as {"person": …|null}) and bulk_match (≤10, as
// matches[]) by id or by name, domain, e-mail or LinkedIn with credits (1
// per match, +8 per revealed mobile, 0 for no match; bulk_match reports
// credits_consumed), phone reveals
// delivered asynchronously to the request's webhook_url and kept for GET
// /webhook_result/{request_id} (pending for Config.PendingPolls reads), the
// x-{minute,hourly,daily}-* headers and a 429 with Apollo's message and
// Retry-After.
package apollo

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

// Paths served, relative to the server URL (use URL+"/api/v1" as base).
const (
	SearchPath        = "/api/v1/mixed_people/api_search"
	MatchPath         = "/api/v1/people/bulk_match"
	SingleMatchPath   = "/api/v1/people/match"
	OrgEnrichPath     = "/api/v1/organizations/enrich"
	WebhookResultPath = "/api/v1/webhook_result/"
)

// Emulator is a running Apollo emulator.
type Emulator struct {
	*httptest.Server
	Kit *emukit.Kit
	// ForbiddenKey is answered with 403 API_INACCESSIBLE.
	ForbiddenKey string
	// Handler serves the API (also without a Server, to mount elsewhere).
	Handler http.Handler
	// Webhooks delivers phone reveals (default http.DefaultClient).
	Webhooks *http.Client

	mu      sync.Mutex
	reqSeq  int64
	results map[string]*asyncResult
}

type asyncResult struct {
	polls   int
	payload map[string]any
}

// New starts an emulator; Close it when done.
func New(cfg emukit.Config) *Emulator {
	e := NewHandler(cfg)
	e.Server = httptest.NewServer(e.Handler)
	return e
}

// NewHandler returns an emulator that is not listening; mount e.Handler.
func NewHandler(cfg emukit.Config) *Emulator {
	e := &Emulator{Kit: emukit.New(cfg), results: map[string]*asyncResult{}, Webhooks: http.DefaultClient}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+SearchPath, e.search)
	mux.HandleFunc("POST "+MatchPath, e.match)
	mux.HandleFunc("POST "+SingleMatchPath, e.matchOne)
	mux.HandleFunc("GET "+OrgEnrichPath, e.orgEnrich)
	mux.HandleFunc("GET "+WebhookResultPath+"{id}", e.webhookResult)
	e.Handler = mux
	return e
}

// BaseURL is what the puller should use.
func (e *Emulator) BaseURL() string { return e.URL + "/api/v1" }

func (e *Emulator) gate(w http.ResponseWriter, r *http.Request) (emukit.Gate, bool) {
	key := r.Header.Get("x-api-key")
	if key == "" || (key != e.Kit.Cfg.Key && key != e.ForbiddenKey) {
		e.Kit.AuthFailed(r.URL.Path)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, "Invalid API key. See https://docs.apollo.io/reference/authentication for more details.")
		return emukit.Gate{}, false
	}
	if key == e.ForbiddenKey {
		e.Kit.AuthFailed(r.URL.Path)
		emukit.WriteJSON(w, http.StatusForbidden, fmt.Sprintf(`{"error":"This API key is not authorized to access %s","error_code":"API_INACCESSIBLE"}`, r.URL.Path[1:]))
		return emukit.Gate{}, false
	}
	g := e.Kit.Begin(r.URL.Path)
	if g.Remaining >= 0 {
		w.Header().Set("x-rate-limit-minute", strconv.Itoa(g.Limit))
		w.Header().Set("x-minute-requests-left", strconv.Itoa(g.Remaining))
		w.Header().Set("x-minute-usage", strconv.Itoa(g.Limit-g.Remaining))
	}
	w.Header().Set("x-rate-limit-daily", "10000")
	w.Header().Set("x-daily-requests-left", "9000")
	if e.Kit.Fail(w, g, emukit.Responders{RateLimited: func(w http.ResponseWriter, ra int) {
		w.Header().Set("Retry-After", strconv.Itoa(ra))
		emukit.WriteJSON(w, http.StatusTooManyRequests, fmt.Sprintf(`{"message":"The maximum number of api calls allowed for %s is 600 times per hour. Please upgrade your plan from https://app.apollo.io/#/settings/plans/upgrade."}`, r.URL.Path[1:]))
	}}) {
		return g, false
	}
	return g, true
}

// params reads page/per_page from the query string or the JSON body.
func params(r *http.Request) (page, perPage int) {
	var body struct {
		Page    int `json:"page"`
		PerPage int `json:"per_page"`
	}
	_ = json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body)
	page, perPage = body.Page, body.PerPage
	if v, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil {
		page = v
	}
	if v, err := strconv.Atoi(r.URL.Query().Get("per_page")); err == nil {
		perPage = v
	}
	if page < 1 {
		page = 1
	}
	if perPage < 1 || perPage > 100 {
		perPage = 10
	}
	return page, perPage
}

func (e *Emulator) search(w http.ResponseWriter, r *http.Request) {
	if _, ok := e.gate(w, r); !ok {
		return
	}
	page, per := params(r)
	from, to := e.Kit.Page((page-1)*per, per)
	rows := e.Kit.Rows(from, to, func(p emukit.Person) any {
		return map[string]any{
			"id": p.ID, "first_name": p.First, "last_name_obfuscated": p.Last[:1] + "***", "title": p.Title,
			"has_email": true, "has_city": true, "has_direct_phone": "Yes",
			"organization": map[string]any{"name": p.Company, "has_industry": true},
		}
	})
	emukit.WriteJSON(w, http.StatusOK, fmt.Sprintf(`{"total_entries":%d,"people":%s}`, e.Kit.Cfg.Records, rows))
}

// matchDetail is one entry of bulk_match's details.
type matchDetail struct {
	ID               string `json:"id"`
	FirstName        string `json:"first_name"`
	LastName         string `json:"last_name"`
	Name             string `json:"name"`
	Email            string `json:"email"`
	OrganizationName string `json:"organization_name"`
	Domain           string `json:"domain"`
	LinkedInURL      string `json:"linkedin_url"`
}

func (d matchDetail) query() emukit.Query {
	first, last := d.FirstName, d.LastName
	if first == "" && last == "" {
		if f := strings.Fields(d.Name); len(f) >= 2 {
			first, last = f[0], strings.Join(f[1:], " ")
		}
	}
	return emukit.Query{ID: d.ID, Email: d.Email, LinkedIn: d.LinkedInURL, First: first, Last: last, Domain: d.Domain, Company: d.OrganizationName}
}

func org(e *Emulator, p emukit.Person) map[string]any {
	o := map[string]any{"id": "org" + p.Domain, "name": p.Company, "primary_domain": p.Domain,
		"website_url": "http://www." + p.Domain, "estimated_num_employees": p.Employees}
	if c, ok := e.Kit.Company(p.Domain); ok {
		o["industry"] = strings.ToLower(c.Industry)
		o["estimated_num_employees"] = c.Employees
		o["annual_revenue"] = c.Revenue
		o["technology_names"] = c.Technologies
		o["linkedin_url"] = c.LinkedIn
		o["founded_year"] = c.FoundedYear
	}
	return o
}

// matchedPerson is a person as match and bulk_match return it.
func matchedPerson(e *Emulator, p emukit.Person) map[string]any {
	return map[string]any{
		"id": p.ID, "first_name": p.First, "last_name": p.Last, "name": p.First + " " + p.Last,
		"title": p.Title, "seniority": p.Seniority, "departments": []string{p.Department},
		"email": strings.ToLower(p.Email), "email_status": "verified", "linkedin_url": p.LinkedIn,
		"city": p.City, "state": p.State, "country": p.Country,
		"organization": org(e, p),
	}
}

// matchOne answers POST /people/match: one person, its keys in the query
// string or a JSON body (the query wins), reveal_phone_number and
// webhook_url as for bulk_match. A miss answers {"person":null} and costs
// nothing.
func (e *Emulator) matchOne(w http.ResponseWriter, r *http.Request) {
	if _, ok := e.gate(w, r); !ok {
		return
	}
	var d matchDetail
	if b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20)); len(strings.TrimSpace(string(b))) > 0 {
		if err := json.Unmarshal(b, &d); err != nil {
			emukit.WriteJSON(w, http.StatusUnprocessableEntity, `{"error":"Invalid parameters"}`)
			return
		}
	}
	q := r.URL.Query()
	for k, f := range map[string]*string{"id": &d.ID, "first_name": &d.FirstName, "last_name": &d.LastName, "name": &d.Name,
		"email": &d.Email, "organization_name": &d.OrganizationName, "domain": &d.Domain, "linkedin_url": &d.LinkedInURL} {
		if v := q.Get(k); v != "" {
			*f = v
		}
	}
	if d == (matchDetail{}) {
		emukit.WriteJSON(w, http.StatusUnprocessableEntity, `{"error":"Invalid parameters"}`)
		return
	}
	revealPhone := q.Get("reveal_phone_number") == "true"
	hook := q.Get("webhook_url")
	if revealPhone && hook == "" {
		emukit.WriteJSON(w, http.StatusUnprocessableEntity, `{"error":"Please add a valid 'webhook_url' parameter when using 'reveal_phone_number'"}`)
		return
	}
	p, ok := e.Kit.Find(d.query())
	if !ok {
		emukit.WriteJSON(w, http.StatusOK, `{"person":null}`)
		return
	}
	cost := 1.0
	if revealPhone && p.Mobile != "" {
		cost += 8
	}
	if !e.Kit.ChargeFor("person:"+p.ID, cost) {
		emukit.WriteJSON(w, http.StatusPaymentRequired, `{"error":"You have insufficient credits","error_code":"INSUFFICIENT_CREDITS"}`)
		return
	}
	resp := map[string]any{"person": matchedPerson(e, p)}
	if revealPhone {
		id := e.startReveal([]emukit.Person{p}, hook)
		resp["request_id"] = json.Number(id)
		resp["waterfall"] = map[string]any{"status": "accepted", "message": "Results will be delivered to the webhook_url"}
	}
	b, _ := json.Marshal(resp)
	emukit.WriteJSON(w, http.StatusOK, string(b))
}

func (e *Emulator) match(w http.ResponseWriter, r *http.Request) {
	if _, ok := e.gate(w, r); !ok {
		return
	}
	var body struct {
		Details []matchDetail `json:"details"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil || len(body.Details) == 0 || len(body.Details) > 10 {
		emukit.WriteJSON(w, http.StatusUnprocessableEntity, `{"error":"Invalid parameters"}`)
		return
	}
	q := r.URL.Query()
	revealPhone := q.Get("reveal_phone_number") == "true"
	hook := q.Get("webhook_url")
	if revealPhone && hook == "" {
		emukit.WriteJSON(w, http.StatusUnprocessableEntity, `{"error":"Please add a valid 'webhook_url' parameter when using 'reveal_phone_number'"}`)
		return
	}
	var matches []any
	var people []emukit.Person
	found, credits := 0, 0.0
	for _, d := range body.Details {
		p, ok := e.Kit.Find(d.query())
		if !ok {
			matches = append(matches, nil)
			continue
		}
		found++
		people = append(people, p)
		cost := 1.0
		if revealPhone && p.Mobile != "" {
			cost += 8
		}
		credits += cost
		matches = append(matches, matchedPerson(e, p))
	}
	// One charge per person revealed (a repeat is charged again, as Apollo does).
	for i, p := range people {
		_ = i
		cost := 1.0
		if revealPhone && p.Mobile != "" {
			cost += 8
		}
		if !e.Kit.ChargeFor("person:"+p.ID, cost) {
			emukit.WriteJSON(w, http.StatusPaymentRequired, `{"error":"You have insufficient credits","error_code":"INSUFFICIENT_CREDITS"}`)
			return
		}
	}
	resp := map[string]any{
		"status": "success", "error_code": nil, "error_message": nil,
		"total_requested_enrichments": len(body.Details), "unique_enriched_records": found,
		"missing_records": len(body.Details) - found, "credits_consumed": credits, "matches": matches,
	}
	if revealPhone {
		id := e.startReveal(people, hook)
		resp["request_id"] = json.Number(id)
		resp["waterfall"] = map[string]any{"status": "accepted", "message": "Results will be delivered to the webhook_url"}
	}
	b, _ := json.Marshal(resp)
	emukit.WriteJSON(w, http.StatusOK, string(b))
}

// startReveal keeps the phone payload for /webhook_result and delivers it
// to hook in the background (a lost delivery is what the fallback is for).
func (e *Emulator) startReveal(people []emukit.Person, hook string) string {
	e.mu.Lock()
	e.reqSeq++
	id := strconv.FormatInt(-(1_039_995_589_705_121_900 + e.reqSeq), 10)
	var rows []any
	for _, p := range people {
		var phones []any
		if p.Phone != "" {
			phones = append(phones, map[string]any{"raw_number": p.Phone, "sanitized_number": p.Phone, "type_cd": "work_direct", "status_cd": "valid_number"})
		}
		if p.Mobile != "" {
			phones = append(phones, map[string]any{"raw_number": p.Mobile, "sanitized_number": p.Mobile, "type_cd": "mobile", "status_cd": "valid_number"})
		}
		rows = append(rows, map[string]any{"id": p.ID, "phone_numbers": phones})
	}
	payload := map[string]any{"status": "success", "total_requested_enrichments": len(people), "unique_enriched_records": len(people),
		"missing_records": 0, "credits_consumed": 0, "people": rows}
	e.results[id] = &asyncResult{payload: payload}
	e.mu.Unlock()
	if hook != "" && !strings.Contains(hook, ".invalid/") {
		go func() {
			b, _ := json.Marshal(payload)
			req, err := http.NewRequest(http.MethodPost, hook, strings.NewReader(string(b)))
			if err != nil {
				return
			}
			req.Header.Set("Content-Type", "application/json")
			if resp, err := e.Webhooks.Do(req); err == nil {
				_ = resp.Body.Close()
			}
		}()
	}
	return id
}

func (e *Emulator) webhookResult(w http.ResponseWriter, r *http.Request) {
	if _, ok := e.gate(w, r); !ok {
		return
	}
	id := r.PathValue("id")
	e.mu.Lock()
	res, ok := e.results[id]
	pending := false
	if ok {
		res.polls++
		pending = e.Kit.Cfg.NeverComplete || res.polls <= e.Kit.Cfg.PendingPolls
	}
	e.mu.Unlock()
	if !ok {
		emukit.WriteJSON(w, http.StatusNotFound, `{"error":"Webhook result not found","error_code":"NOT_FOUND"}`)
		return
	}
	out := map[string]any{"request_id": id, "request_type": "phone", "last_dispatched_at": "2026-12-01T10:00:00Z", "failure_reason": nil}
	if pending {
		out["webhook_status"] = "pending"
		out["webhook_result"] = nil
	} else {
		out["webhook_status"] = "success"
		out["webhook_result"] = res.payload
	}
	b, _ := json.Marshal(out)
	emukit.WriteJSON(w, http.StatusOK, string(b))
}

// orgEnrich answers GET /organizations/enrich?domain=, one credit when the
// organisation is known.
func (e *Emulator) orgEnrich(w http.ResponseWriter, r *http.Request) {
	if _, ok := e.gate(w, r); !ok {
		return
	}
	domain := r.URL.Query().Get("domain")
	if domain == "" {
		emukit.WriteJSON(w, http.StatusUnprocessableEntity, `{"error":"Invalid parameters"}`)
		return
	}
	c, ok := e.Kit.Company(domain)
	if !ok {
		emukit.WriteJSON(w, http.StatusOK, `{"organization":{}}`)
		return
	}
	if !e.Kit.ChargeFor("org:"+c.Domain, 1) {
		emukit.WriteJSON(w, http.StatusPaymentRequired, `{"error":"You have insufficient credits","error_code":"INSUFFICIENT_CREDITS"}`)
		return
	}
	b, _ := json.Marshal(map[string]any{"organization": map[string]any{"id": "org" + c.Domain, "name": c.Name,
		"primary_domain": c.Domain, "website_url": "http://www." + c.Domain, "industry": strings.ToLower(c.Industry),
		"estimated_num_employees": c.Employees, "annual_revenue": c.Revenue, "technology_names": c.Technologies,
		"linkedin_url": c.LinkedIn, "founded_year": c.FoundedYear, "organization_headcount_twelve_month_growth": c.HeadcountGrowth,
		"funding_events": fundingEvents(c)}})
	emukit.WriteJSON(w, http.StatusOK, string(b))
}

// fundingEvents renders the company's funding round as Apollo's
// organization funding_events (empty when it has none).
func fundingEvents(c emukit.CompanyFacts) []any {
	if c.FundingStage == "" {
		return []any{}
	}
	return []any{map[string]any{"id": "fe" + c.Domain, "date": c.FundingDate + "T00:00:00.000+00:00", "type": c.FundingStage,
		"investors": "Example Ventures", "amount": c.FundingAmount, "currency": "$"}}
}
