// Package hunter emulates Hunter.io's Domain Search for tests: api_key query
// auth (X-API-KEY and Bearer also accepted), limit/offset paging with
// meta.results, one credit per call, 403 too_many_requests for the rate
// limit and 429 usage_limit when the credits run out.
package hunter

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"

	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
)

// SearchPath is the domain-search path; use URL+"/v2" as the base URL.
const SearchPath = "/v2/domain-search"

// Emulator is a running Hunter emulator.
type Emulator struct {
	*httptest.Server
	Kit *emukit.Kit
}

// New starts an emulator.
func New(cfg emukit.Config) *Emulator {
	e := &Emulator{Kit: emukit.New(cfg)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+SearchPath, e.search)
	e.Server = httptest.NewServer(mux)
	return e
}

// BaseURL is what the puller should use.
func (e *Emulator) BaseURL() string { return e.URL + "/v2" }

func hunterError(w http.ResponseWriter, status int, id, details string) {
	emukit.WriteJSON(w, status, fmt.Sprintf(`{"errors":[{"id":%q,"code":%d,"details":%q}]}`, id, status, details))
}

func (e *Emulator) search(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("api_key")
	if key == "" {
		key = r.Header.Get("X-API-KEY")
	}
	if key == "" {
		key = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if key != e.Kit.Cfg.Key {
		e.Kit.AuthFailed(r.URL.Path)
		hunterError(w, http.StatusUnauthorized, "authentication_failed", "No user found for the API key supplied")
		return
	}
	g := e.Kit.Begin(r.URL.Path)
	if e.Kit.Fail(w, g, emukit.Responders{RateLimited: func(w http.ResponseWriter, _ int) {
		hunterError(w, http.StatusForbidden, "too_many_requests", "Too many requests, try again later.")
	}}) {
		return
	}
	q := r.URL.Query()
	domain := q.Get("domain")
	if domain == "" && q.Get("company") == "" {
		hunterError(w, http.StatusBadRequest, "wrong_params", "You are missing the domain parameter")
		return
	}
	if !e.Kit.Charge(1) {
		hunterError(w, http.StatusTooManyRequests, "usage_limit", "You have reached your monthly usage limit.")
		return
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	offset, _ := strconv.Atoi(q.Get("offset"))
	if limit <= 0 || limit > 100 {
		limit = 10
	}
	from, to := e.Kit.Page(offset, limit)
	rows := e.Kit.Rows(from, to, func(p emukit.Person) any {
		return map[string]any{"value": p.Email, "type": "personal", "confidence": 94, "first_name": p.First,
			"last_name": p.Last, "position": p.Title, "seniority": "executive", "department": p.Department,
			"linkedin": p.LinkedIn, "twitter": nil, "phone_number": nil,
			"verification": map[string]any{"date": "2026-01-05", "status": "valid"}, "sources": []any{}}
	})
	d, _ := json.Marshal(domain)
	emukit.WriteJSON(w, http.StatusOK, fmt.Sprintf(`{"data":{"domain":%s,"disposable":false,"webmail":false,"accept_all":false,"pattern":"{first}","organization":"Example Co","emails":%s},"meta":{"results":%d,"limit":%d,"offset":%d,"params":{"domain":%s}}}`,
		d, rows, e.Kit.Cfg.Records, limit, offset, d))
}
