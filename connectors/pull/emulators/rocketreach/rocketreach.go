// Package rocketreach emulates RocketReach's person search, lookup and
// checkStatus for tests: Api-Key header auth, 201 search answers with
// profiles + pagination{start,next,total}, lookups charging one credit that
// stay "progress"/"searching" for Config.PendingPolls checkStatus polls, 429
// with Retry-After, and 403 when credits run out (the body is unspecified).
package rocketreach

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
)

// Paths served; use URL+"/api/v2" as the base URL.
const (
	SearchPath = "/api/v2/person/search"
	LookupPath = "/api/v2/person/lookup"
	StatusPath = "/api/v2/person/checkStatus"
)

// Emulator is a running RocketReach emulator.
type Emulator struct {
	*httptest.Server
	Kit *emukit.Kit
	// Handler serves the API (also without a Server, to mount elsewhere).
	Handler http.Handler

	mu    sync.Mutex
	polls map[int]int
}

// New starts an emulator.
func New(cfg emukit.Config) *Emulator {
	e := NewHandler(cfg)
	e.Server = httptest.NewServer(e.Handler)
	return e
}

// NewHandler returns an emulator that is not listening; mount e.Handler.
func NewHandler(cfg emukit.Config) *Emulator {
	e := &Emulator{Kit: emukit.New(cfg), polls: map[int]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+SearchPath, e.search)
	mux.HandleFunc("GET "+LookupPath, e.lookup)
	mux.HandleFunc("GET "+StatusPath, e.status)
	e.Handler = mux
	return e
}

// BaseURL is what the puller should use.
func (e *Emulator) BaseURL() string { return e.URL + "/api/v2" }

func (e *Emulator) gate(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Api-Key") != e.Kit.Cfg.Key {
		e.Kit.AuthFailed(r.URL.Path)
		emukit.WriteJSON(w, http.StatusUnauthorized, `{"detail":"Invalid API key."}`)
		return false
	}
	return !e.Kit.Fail(w, e.Kit.Begin(r.URL.Path), emukit.Responders{RateLimited: func(w http.ResponseWriter, ra int) {
		w.Header().Set("Retry-After", strconv.Itoa(ra))
		emukit.WriteJSON(w, http.StatusTooManyRequests, `{"detail":"Request was throttled."}`)
	}})
}

func teaser(p emukit.Person) map[string]any {
	return map[string]any{"id": 12345 + p.Index, "status": "complete", "name": p.First + " " + p.Last,
		"current_title": p.Title, "current_employer": p.Company, "current_employer_domain": p.Domain,
		"current_employer_id": 987 + p.Index%7, "linkedin_url": p.LinkedIn, "city": p.City, "region": p.State,
		"country_code": "US", "teaser": map[string]any{"emails": []string{p.Domain}, "is_premium_phone_available": true}}
}

func (e *Emulator) search(w http.ResponseWriter, r *http.Request) {
	if !e.gate(w, r) {
		return
	}
	var body struct {
		Start    int `json:"start"`
		PageSize int `json:"page_size"`
	}
	_ = json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body)
	if body.Start < 1 {
		body.Start = 1
	}
	if body.PageSize < 1 || body.PageSize > 100 {
		body.PageSize = 10
	}
	from, to := e.Kit.Page(body.Start-1, body.PageSize)
	rows := e.Kit.Rows(from, to, func(p emukit.Person) any { return teaser(p) })
	emukit.WriteJSON(w, http.StatusCreated, fmt.Sprintf(`{"profiles":%s,"pagination":{"start":%d,"next":%d,"total":%d}}`,
		rows, body.Start, body.Start+body.PageSize, e.Kit.Cfg.Records))
}

func (e *Emulator) profile(idx int, status string) map[string]any {
	p := e.Kit.Person(idx)
	m := teaser(p)
	delete(m, "teaser")
	m["status"] = status
	if status == "complete" {
		emails, phones := []any{}, []any{}
		if p.Email != "" {
			m["recommended_professional_email"] = p.Email
			m["current_work_email"] = p.Email
			emails = append(emails, map[string]any{"email": p.Email, "smtp_valid": "valid", "type": "professional", "grade": "A"})
		}
		if p.Phone != "" {
			phones = append(phones, map[string]any{"number": p.Phone, "e164": p.Phone, "type": "direct dial"})
		}
		if p.Mobile != "" {
			phones = append(phones, map[string]any{"number": p.Mobile, "e164": p.Mobile, "type": "mobile"})
		}
		m["emails"], m["phones"] = emails, phones
	}
	return m
}

func (e *Emulator) stateOf(idx int) string {
	if e.Kit.Cfg.NeverComplete || e.polls[idx] < e.Kit.Cfg.PendingPolls {
		if e.polls[idx]%2 == 0 {
			return "progress"
		}
		return "searching"
	}
	return "complete"
}

func (e *Emulator) lookup(w http.ResponseWriter, r *http.Request) {
	if !e.gate(w, r) {
		return
	}
	idx, ok := e.find(r.URL.Query())
	if !ok {
		emukit.WriteJSON(w, http.StatusNotFound, `{"detail":"Not found."}`)
		return
	}
	id := idx + 12345
	if !e.Kit.ChargeFor("person:"+e.Kit.Person(idx).ID, 1) {
		emukit.WriteJSON(w, http.StatusForbidden, `{"detail":"You have no lookup credits remaining."}`)
		return
	}
	e.mu.Lock()
	m := e.profile(idx, e.stateOf(idx))
	e.mu.Unlock()
	w.Header().Set("RR-Request-ID", fmt.Sprintf("00000000-0000-4000-8000-%012d", id))
	b, _ := json.Marshal(m)
	emukit.WriteJSON(w, http.StatusOK, string(b))
}

// find resolves a lookup's identifiers to a dataset index: id, email,
// linkedin_url, or name with current_employer (a company name or domain).
func (e *Emulator) find(q url.Values) (int, bool) {
	if s := q.Get("id"); s != "" {
		id, err := strconv.Atoi(s)
		idx := id - 12345
		return idx, err == nil && idx >= 0 && idx < e.Kit.Cfg.Records
	}
	var kq emukit.Query
	switch {
	case q.Get("email") != "":
		kq.Email = q.Get("email")
	case q.Get("linkedin_url") != "":
		kq.LinkedIn = q.Get("linkedin_url")
	case q.Get("name") != "" && q.Get("current_employer") != "":
		first, last, _ := strings.Cut(strings.TrimSpace(q.Get("name")), " ")
		kq.First, kq.Last = first, strings.TrimSpace(last)
		if emp := q.Get("current_employer"); strings.Contains(emp, ".") && !strings.Contains(emp, " ") {
			kq.Domain = emp
		} else {
			kq.Company = emp
		}
	default:
		return 0, false
	}
	p, ok := e.Kit.Find(kq)
	return p.Index, ok
}

func (e *Emulator) status(w http.ResponseWriter, r *http.Request) {
	if !e.gate(w, r) {
		return
	}
	var out []any
	e.mu.Lock()
	for _, s := range strings.Split(r.URL.Query().Get("ids"), ",") {
		id, err := strconv.Atoi(s)
		idx := id - 12345
		if err != nil || idx < 0 || idx >= e.Kit.Cfg.Records {
			continue
		}
		e.polls[idx]++
		out = append(out, e.profile(idx, e.stateOf(idx)))
	}
	e.mu.Unlock()
	b, _ := json.Marshal(out)
	emukit.WriteJSON(w, http.StatusOK, string(b))
}
