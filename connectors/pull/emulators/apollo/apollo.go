// Package apollo emulates Apollo.io's People API Search and bulk match for
// tests: x-api-key auth (401 text/plain), 403 API_INACCESSIBLE for a
// configured key, page/per_page search with total_entries, bulk_match with
// credits_consumed, the x-{minute,hourly,daily}-* headers and a 429 with
// Apollo's message and Retry-After.
package apollo

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"

	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
)

// Paths served, relative to the server URL (use URL+"/api/v1" as base).
const (
	SearchPath = "/api/v1/mixed_people/api_search"
	MatchPath  = "/api/v1/people/bulk_match"
)

// Emulator is a running Apollo emulator.
type Emulator struct {
	*httptest.Server
	Kit *emukit.Kit
	// ForbiddenKey is answered with 403 API_INACCESSIBLE.
	ForbiddenKey string
}

// New starts an emulator; Close it when done.
func New(cfg emukit.Config) *Emulator {
	e := &Emulator{Kit: emukit.New(cfg)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+SearchPath, e.search)
	mux.HandleFunc("POST "+MatchPath, e.match)
	e.Server = httptest.NewServer(mux)
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

func (e *Emulator) match(w http.ResponseWriter, r *http.Request) {
	if _, ok := e.gate(w, r); !ok {
		return
	}
	var body struct {
		Details []struct {
			ID string `json:"id"`
		} `json:"details"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil || len(body.Details) == 0 || len(body.Details) > 10 {
		emukit.WriteJSON(w, http.StatusUnprocessableEntity, `{"error":"Invalid parameters"}`)
		return
	}
	var matches []any
	found := 0
	for _, d := range body.Details {
		i, err := strconv.Atoi(d.ID)
		if err != nil || i < 100000 || i-100000 >= e.Kit.Cfg.Records {
			matches = append(matches, nil)
			continue
		}
		p := e.Kit.Person(i - 100000)
		found++
		matches = append(matches, map[string]any{
			"id": p.ID, "first_name": p.First, "last_name": p.Last, "name": p.First + " " + p.Last,
			"title": p.Title, "seniority": p.Seniority, "departments": []string{p.Department},
			"email": p.Email, "email_status": "verified", "linkedin_url": p.LinkedIn,
			"city": p.City, "state": p.State, "country": p.Country,
			"organization": map[string]any{"id": "org" + p.Domain, "name": p.Company, "primary_domain": p.Domain,
				"website_url": "http://www." + p.Domain, "estimated_num_employees": p.Employees},
		})
	}
	if !e.Kit.Charge(float64(found)) {
		emukit.WriteJSON(w, http.StatusPaymentRequired, `{"error":"You have insufficient credits","error_code":"INSUFFICIENT_CREDITS"}`)
		return
	}
	b, _ := json.Marshal(map[string]any{
		"status": "success", "error_code": nil, "error_message": nil,
		"total_requested_enrichments": len(body.Details), "unique_enriched_records": found,
		"missing_records": len(body.Details) - found, "credits_consumed": found, "matches": matches,
	})
	emukit.WriteJSON(w, http.StatusOK, string(b))
}
