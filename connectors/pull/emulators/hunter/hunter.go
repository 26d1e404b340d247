// Package hunter emulates Hunter.io's Domain Search, Email Finder and
// Email Verifier for tests: api_key query auth (X-API-KEY and Bearer also
// accepted), limit/offset paging with meta.results, one credit per search,
// per finder call that finds an address and per verification, 403
// too_many_requests for the rate limit and 429 usage_limit when the
// credits run out. The verifier answers valid (score 94) for an address of
// the dataset and invalid (score 0) for any other.
package hunter

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"

	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
)

// Paths served; use URL+"/v2" as the base URL.
const (
	SearchPath   = "/v2/domain-search"
	FinderPath   = "/v2/email-finder"
	VerifierPath = "/v2/email-verifier"
)

// Emulator is a running Hunter emulator.
type Emulator struct {
	*httptest.Server
	Kit *emukit.Kit
	// Handler serves the API (also without a Server, to mount elsewhere).
	Handler http.Handler

	mu    sync.Mutex
	polls map[string]int // verifier calls per address, for Config.PendingPolls
}

// New starts an emulator.
func New(cfg emukit.Config) *Emulator {
	e := NewHandler(cfg)
	e.Server = httptest.NewServer(e.Handler)
	return e
}

// NewHandler returns an emulator that is not listening; mount e.Handler.
func NewHandler(cfg emukit.Config) *Emulator {
	e := &Emulator{Kit: emukit.New(cfg), polls: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+SearchPath, e.search)
	mux.HandleFunc("GET "+FinderPath, e.finder)
	mux.HandleFunc("GET "+VerifierPath, e.verifier)
	e.Handler = mux
	return e
}

// BaseURL is what the puller should use.
func (e *Emulator) BaseURL() string { return e.URL + "/v2" }

func hunterError(w http.ResponseWriter, status int, id, details string) {
	emukit.WriteJSON(w, status, fmt.Sprintf(`{"errors":[{"id":%q,"code":%d,"details":%q}]}`, id, status, details))
}

// auth checks the key and the limiter; false when it answered.
func (e *Emulator) auth(w http.ResponseWriter, r *http.Request) bool {
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
		return false
	}
	g := e.Kit.Begin(r.URL.Path)
	if e.Kit.Fail(w, g, emukit.Responders{RateLimited: func(w http.ResponseWriter, _ int) {
		hunterError(w, http.StatusForbidden, "too_many_requests", "Too many requests, try again later.")
	}}) {
		return false
	}
	return true
}

func (e *Emulator) search(w http.ResponseWriter, r *http.Request) {
	if !e.auth(w, r) {
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

// finder answers GET /email-finder: domain (or company) with first_name and
// last_name (or full_name). A finder call is charged only when it finds an
// address; a miss answers 200 with "email": null.
func (e *Emulator) finder(w http.ResponseWriter, r *http.Request) {
	if !e.auth(w, r) {
		return
	}
	q := r.URL.Query()
	first, last := q.Get("first_name"), q.Get("last_name")
	if first == "" && last == "" {
		if f := strings.Fields(q.Get("full_name")); len(f) >= 2 {
			first, last = f[0], strings.Join(f[1:], " ")
		}
	}
	if (q.Get("domain") == "" && q.Get("company") == "") || first == "" || last == "" {
		hunterError(w, http.StatusBadRequest, "wrong_params", "You are missing the domain or the name parameters")
		return
	}
	p, ok := e.Kit.Find(emukit.Query{First: first, Last: last, Domain: q.Get("domain"), Company: q.Get("company")})
	if !ok || p.Email == "" {
		b, _ := json.Marshal(map[string]any{"data": map[string]any{"first_name": first, "last_name": last, "email": nil, "score": nil,
			"domain": q.Get("domain"), "accept_all": false, "position": nil, "company": nil, "sources": []any{}, "verification": map[string]any{"date": nil, "status": nil}},
			"meta": map[string]any{"params": map[string]any{"first_name": first, "last_name": last, "domain": q.Get("domain")}}})
		emukit.WriteJSON(w, http.StatusOK, string(b))
		return
	}
	if !e.Kit.ChargeFor("person:"+strings.ToLower(p.Email), 1) {
		hunterError(w, http.StatusTooManyRequests, "usage_limit", "You have reached your monthly usage limit.")
		return
	}
	b, _ := json.Marshal(map[string]any{"data": map[string]any{"first_name": p.First, "last_name": p.Last,
		"email": strings.ToLower(p.Email), "score": 94, "domain": p.Domain, "accept_all": false, "position": p.Title,
		"twitter": nil, "linkedin_url": nilIfEmpty(p.LinkedIn), "phone_number": nil, "company": p.Company,
		"sources":      []any{map[string]any{"domain": p.Domain, "uri": "http://" + p.Domain + "/team", "extracted_on": "2025-06-09", "last_seen_on": "2026-03-21", "still_on_page": true}},
		"verification": map[string]any{"date": "2026-01-05", "status": "valid"}},
		"meta": map[string]any{"params": map[string]any{"first_name": first, "last_name": last, "domain": q.Get("domain")}}})
	emukit.WriteJSON(w, http.StatusOK, string(b))
}

// verifier answers GET /email-verifier?email=…: one credit per
// verification (charged per address, so a test can tell a caller that
// paid twice for one address). The first Config.PendingPolls calls for an
// address answer 202 (still verifying), free.
func (e *Emulator) verifier(w http.ResponseWriter, r *http.Request) {
	if !e.auth(w, r) {
		return
	}
	addr := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("email")))
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		hunterError(w, http.StatusBadRequest, "wrong_params", "You are missing the email parameter")
		return
	}
	e.mu.Lock()
	e.polls[addr]++
	pending := e.polls[addr] <= e.Kit.Cfg.PendingPolls
	e.mu.Unlock()
	if pending {
		emukit.WriteJSON(w, http.StatusAccepted, `{"data":{"status":"unknown"},"meta":{}}`)
		return
	}
	if !e.Kit.ChargeFor("verify:"+addr, 1) {
		hunterError(w, http.StatusTooManyRequests, "usage_limit", "You have reached your monthly usage limit.")
		return
	}
	status, score, smtp := "invalid", 0, false
	if p, ok := e.Kit.Find(emukit.Query{Email: addr}); ok && strings.EqualFold(p.Email, addr) {
		status, score, smtp = "valid", 94, true
	}
	b, _ := json.Marshal(map[string]any{"data": map[string]any{"status": status, "result": map[bool]string{true: "deliverable", false: "undeliverable"}[smtp],
		"score": score, "email": addr, "regexp": true, "gibberish": false, "disposable": false, "webmail": false,
		"mx_records": true, "smtp_server": true, "smtp_check": smtp, "accept_all": false, "block": false, "sources": []any{}},
		"meta": map[string]any{"params": map[string]any{"email": addr}}})
	emukit.WriteJSON(w, http.StatusOK, string(b))
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
