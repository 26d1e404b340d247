// Package uplead emulates UpLead's prospector search, person search and
// company search for tests: bare-key
// Authorization header, page/per_page with data.results + data.meta, the
// data/userInfo envelope with availableCredits, per-record charging (not for
// emails whose status is invalid), X-RateLimit-* headers on every answer and
// the documented 429 body with Retry-After.
package uplead

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"

	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
)

// Paths served; use URL+"/v2" as the base URL.
const (
	SearchPath        = "/v2/prospector-search"
	PersonSearchPath  = "/v2/person-search"
	CompanySearchPath = "/v2/company-search"
)

// Emulator is a running UpLead emulator.
type Emulator struct {
	*httptest.Server
	Kit *emukit.Kit
	// Handler serves the API (also without a Server, to mount elsewhere).
	Handler http.Handler
}

// New starts an emulator.
func New(cfg emukit.Config) *Emulator {
	e := NewHandler(cfg)
	e.Server = httptest.NewServer(e.Handler)
	return e
}

// NewHandler returns an emulator that is not listening; mount e.Handler.
func NewHandler(cfg emukit.Config) *Emulator {
	e := &Emulator{Kit: emukit.New(cfg)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+SearchPath, e.search)
	mux.HandleFunc("POST "+PersonSearchPath, e.personSearch)
	mux.HandleFunc("POST "+CompanySearchPath, e.companySearch)
	e.Handler = mux
	return e
}

// envelope writes data with the userInfo block.
func (e *Emulator) envelope(w http.ResponseWriter, data any) {
	credits := any(nil)
	if left := e.Kit.CreditsLeft(); left >= 0 {
		credits = left
	}
	b, _ := json.Marshal(map[string]any{"data": data, "userInfo": map[string]any{"availableCredits": credits}})
	emukit.WriteJSON(w, http.StatusOK, string(b))
}

// personSearch finds one person by email, or first_name + last_name +
// domain; one credit for a record with an address, never twice for one
// record.
func (e *Emulator) personSearch(w http.ResponseWriter, r *http.Request) {
	if !e.gate(w, r) {
		return
	}
	var body struct {
		Email     string `json:"email"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Domain    string `json:"domain"`
		ID        string `json:"id"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil ||
		(body.Email == "" && body.ID == "" && (body.FirstName == "" || body.LastName == "" || body.Domain == "")) {
		emukit.WriteJSON(w, http.StatusBadRequest, `{"error":{"type":"invalid_request","message":"email, or first_name, last_name and domain are required"}}`)
		return
	}
	p, ok := e.Kit.Find(emukit.Query{ID: body.ID, Email: body.Email, First: body.FirstName, Last: body.LastName, Domain: body.Domain})
	if !ok {
		e.envelope(w, nil)
		return
	}
	if !e.Kit.ChargeOnce("person:"+p.ID, 1) {
		emukit.WriteJSON(w, http.StatusForbidden, `{"error":{"type":"credits","message":"Not enough credits"}}`)
		return
	}
	d := map[string]any{"id": p.ID, "first_name": p.First, "last_name": p.Last, "title": p.Title,
		"job_function": p.Department, "management_level": "VP", "email": strings.ToLower(p.Email), "email_status": "valid",
		"phone_number": p.Phone, "mobile_directdial": p.Mobile, "city": p.City, "state": p.State,
		"country": p.Country, "linkedin_url": p.LinkedIn, "domain": p.Domain, "company_name": p.Company}
	if c, ok := e.Kit.Company(p.Domain); ok {
		d["industry"] = c.Industry
	}
	e.envelope(w, d)
}

// companySearch finds a company by domain; one credit, never twice.
func (e *Emulator) companySearch(w http.ResponseWriter, r *http.Request) {
	if !e.gate(w, r) {
		return
	}
	var body struct {
		Domain string `json:"domain"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil || body.Domain == "" {
		emukit.WriteJSON(w, http.StatusBadRequest, `{"error":{"type":"invalid_request","message":"domain is required"}}`)
		return
	}
	c, ok := e.Kit.Company(body.Domain)
	if !ok {
		e.envelope(w, nil)
		return
	}
	if !e.Kit.ChargeOnce("org:"+c.Domain, 1) {
		emukit.WriteJSON(w, http.StatusForbidden, `{"error":{"type":"credits","message":"Not enough credits"}}`)
		return
	}
	e.envelope(w, map[string]any{"id": "co_" + c.Domain, "company_name": c.Name, "domain": c.Domain,
		"employees": employeeRange(c.Employees), "revenue": revenueRange(c.Revenue), "industry": c.Industry,
		"linkedin_url": c.LinkedIn, "year_founded": c.FoundedYear})
}

func employeeRange(n int) string {
	for _, b := range [][2]int{{1, 10}, {11, 50}, {51, 200}, {201, 500}, {501, 1000}, {1001, 5000}, {5001, 10000}} {
		if n <= b[1] {
			return fmt.Sprintf("%d - %d", b[0], b[1])
		}
	}
	return "10001+"
}

func revenueRange(v int64) string {
	switch {
	case v < 1_000_000:
		return "$0 - $1M"
	case v < 10_000_000:
		return "$1M - $10M"
	case v < 50_000_000:
		return "$10M - $50M"
	case v < 100_000_000:
		return "$50M - $100M"
	case v < 1_000_000_000:
		return "$100M - $1B"
	}
	return "$1B+"
}

// gate checks the key and the limiter, writing the rate-limit headers;
// false when it answered.
func (e *Emulator) gate(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") != e.Kit.Cfg.Key {
		e.Kit.AuthFailed(r.URL.Path)
		emukit.WriteJSON(w, http.StatusUnauthorized, `{"error":{"type":"authentication","message":"Invalid API key"}}`)
		return false
	}
	g := e.Kit.Begin(r.URL.Path)
	limit, rem := 500, 499
	if g.Remaining >= 0 {
		limit, rem = g.Limit, g.Remaining
	}
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(limit))
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(rem))
	w.Header().Set("X-RateLimit-Reset", "1772366460")
	return !e.Kit.Fail(w, g, emukit.Responders{RateLimited: func(w http.ResponseWriter, ra int) {
		w.Header().Set("Retry-After", strconv.Itoa(ra))
		emukit.WriteJSON(w, http.StatusTooManyRequests, fmt.Sprintf(`{"error":{"type":"rate_limit","message":"Rate limit exceeded. Limit is 500 requests per minute. Rate limit will be reset in %d seconds."}}`, ra))
	}})
}

// BaseURL is what the puller should use.
func (e *Emulator) BaseURL() string { return e.URL + "/v2" }

// Invalid reports whether dataset row i has an invalid (uncharged) email.
func Invalid(i int) bool { return i%11 == 0 }

func (e *Emulator) search(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != e.Kit.Cfg.Key {
		e.Kit.AuthFailed(r.URL.Path)
		emukit.WriteJSON(w, http.StatusUnauthorized, `{"error":{"type":"authentication","message":"Invalid API key"}}`)
		return
	}
	g := e.Kit.Begin(r.URL.Path)
	limit := 500
	rem := 499
	if g.Remaining >= 0 {
		limit, rem = g.Limit, g.Remaining
	}
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(limit))
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(rem))
	w.Header().Set("X-RateLimit-Reset", "1772366460")
	if e.Kit.Fail(w, g, emukit.Responders{RateLimited: func(w http.ResponseWriter, ra int) {
		w.Header().Set("Retry-After", strconv.Itoa(ra))
		emukit.WriteJSON(w, http.StatusTooManyRequests, fmt.Sprintf(`{"error":{"type":"rate_limit","message":"Rate limit exceeded. Limit is 500 requests per minute. Rate limit will be reset in %d seconds."}}`, ra))
	}}) {
		return
	}
	var body struct {
		Domain  string `json:"domain"`
		Page    int    `json:"page"`
		PerPage int    `json:"per_page"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil || body.Domain == "" {
		emukit.WriteJSON(w, http.StatusBadRequest, `{"error":{"type":"invalid_request","message":"domain is required"}}`)
		return
	}
	if body.Page < 1 {
		body.Page = 1
	}
	if body.PerPage < 1 || body.PerPage > 100 {
		body.PerPage = 25
	}
	from, to := e.Kit.Page((body.Page-1)*body.PerPage, body.PerPage)
	charge := 0
	for i := from; i < to; i++ {
		if !e.Kit.IsMalformed(i) && !Invalid(i) {
			charge++
		}
	}
	if !e.Kit.Charge(float64(charge)) {
		emukit.WriteJSON(w, http.StatusForbidden, `{"error":{"type":"credits","message":"Not enough credits"}}`)
		return
	}
	rows := e.Kit.Rows(from, to, func(p emukit.Person) any {
		status := "valid"
		if Invalid(p.Index) {
			status = "invalid"
		}
		return map[string]any{"id": p.ID, "first_name": p.First, "last_name": p.Last, "title": p.Title,
			"job_function": p.Department, "management_level": "VP", "email": p.Email, "email_status": status,
			"phone_number": p.Phone, "mobile_directdial": p.Mobile, "city": p.City, "state": p.State,
			"country": p.Country, "linkedin_url": p.LinkedIn, "domain": body.Domain, "company_name": p.Company}
	})
	var next any
	if to < e.Kit.Cfg.Records {
		next = body.Page + 1
	}
	credits := "null"
	if left := e.Kit.CreditsLeft(); left >= 0 {
		credits = strconv.FormatFloat(left, 'f', -1, 64)
	}
	nb, _ := json.Marshal(next)
	emukit.WriteJSON(w, http.StatusOK, fmt.Sprintf(`{"data":{"results":%s,"meta":{"total":%d,"page":%d,"next_page":%s,"first_page":1}},"userInfo":{"availableCredits":%s}}`,
		rows, e.Kit.Cfg.Records, body.Page, nb, credits))
}
