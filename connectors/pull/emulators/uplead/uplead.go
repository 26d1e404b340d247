// Package uplead emulates UpLead's prospector search for tests: bare-key
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

	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
)

// SearchPath is served; use URL+"/v2" as the base URL.
const SearchPath = "/v2/prospector-search"

// Emulator is a running UpLead emulator.
type Emulator struct {
	*httptest.Server
	Kit *emukit.Kit
}

// New starts an emulator.
func New(cfg emukit.Config) *Emulator {
	e := &Emulator{Kit: emukit.New(cfg)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+SearchPath, e.search)
	e.Server = httptest.NewServer(mux)
	return e
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
