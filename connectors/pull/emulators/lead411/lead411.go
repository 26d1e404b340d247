// Package lead411 emulates the inferred Lead411 API for tests: login with
// email and password for a token, token-in-query search with page/per_page
// returning AllResults (with the provider's N/A values and escaped
// slashes; user_search_string with an e-mail, or a full name with
// company_domain or company_name, narrows it to that person),
// per-employee unlock charging one credit, and 429 / 5xx faults.
// Lead411's real error shapes are unknown; the emulator's are assumptions.
package lead411

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
)

// Paths served; use URL+"/v1" as the base URL.
const (
	AuthPath   = "/v1/authenticate_user"
	SearchPath = "/v1/search/searchUsingJSON"
	UnlockPath = "/v1/employee/unlock_employee_record"
	// Email is the account email the emulator accepts (password: Config.Key).
	Email = "ops@example.com"
)

// Emulator is a running Lead411 emulator.
type Emulator struct {
	*httptest.Server
	Kit *emukit.Kit
	// Handler serves the API (also without a Server, to mount elsewhere).
	Handler http.Handler

	mu     sync.Mutex
	tokens map[string]bool
	n      int
}

// New starts an emulator.
func New(cfg emukit.Config) *Emulator {
	e := NewHandler(cfg)
	e.Server = httptest.NewServer(e.Handler)
	return e
}

// NewHandler returns an emulator that is not listening; mount e.Handler.
func NewHandler(cfg emukit.Config) *Emulator {
	e := &Emulator{Kit: emukit.New(cfg), tokens: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+AuthPath, e.auth)
	mux.HandleFunc("POST "+SearchPath, e.search)
	mux.HandleFunc("POST "+UnlockPath, e.unlock)
	e.Handler = mux
	return e
}

// BaseURL is what the puller should use.
func (e *Emulator) BaseURL() string { return e.URL + "/v1" }

// ExpireTokens invalidates all tokens.
func (e *Emulator) ExpireTokens() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tokens = map[string]bool{}
}

var responders = emukit.Responders{RateLimited: func(w http.ResponseWriter, ra int) {
	w.Header().Set("Retry-After", strconv.Itoa(ra))
	emukit.WriteJSON(w, http.StatusTooManyRequests, `{"status":"error","message":"Too many requests"}`)
}}

func (e *Emulator) auth(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("email") != Email || q.Get("password") != e.Kit.Cfg.Key {
		e.Kit.AuthFailed(r.URL.Path)
		emukit.WriteJSON(w, http.StatusUnauthorized, `{"status":"error","message":"Invalid email or password"}`)
		return
	}
	if e.Kit.Fail(w, e.Kit.Begin(r.URL.Path), responders) {
		return
	}
	e.mu.Lock()
	e.n++
	tok := fmt.Sprintf("l411tok%d", e.n)
	e.tokens[tok] = true
	e.mu.Unlock()
	emukit.WriteJSON(w, http.StatusOK, fmt.Sprintf(`{"status":"success","token":%q}`, tok))
}

func (e *Emulator) gate(w http.ResponseWriter, r *http.Request) bool {
	e.mu.Lock()
	ok := e.tokens[r.URL.Query().Get("token")]
	e.mu.Unlock()
	if !ok {
		e.Kit.AuthFailed(r.URL.Path)
		emukit.WriteJSON(w, http.StatusUnauthorized, `{"status":"error","message":"Invalid token"}`)
		return false
	}
	return !e.Kit.Fail(w, e.Kit.Begin(r.URL.Path), responders)
}

func escapeSlashes(b []byte) string { return strings.ReplaceAll(string(b), "/", `\/`) }

func (e *Emulator) search(w http.ResponseWriter, r *http.Request) {
	if !e.gate(w, r) {
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if page < 1 {
		page = 1
	}
	if per < 1 {
		per = 25
	}
	from, to := e.Kit.Page((page-1)*per, per)
	if q := r.URL.Query(); strings.Contains(q.Get("user_search_string"), "@") || q.Get("company_domain") != "" || q.Get("company_name") != "" {
		from, to = 0, 0
		if i, ok := e.findOne(q); ok && page == 1 {
			from, to = i, i+1
		}
	}
	rows := e.Kit.Rows(from, to, func(p emukit.Person) any {
		return map[string]any{"company_id": fmt.Sprint(900 + p.Index%7), "employee_id": p.ID, "json_meta": map[string]any{
			"employee_meta": map[string]any{"employee_name": p.First + " " + p.Last, "title": p.Title, "last_seen": "03-21-2026",
				"email": p.Email, "employee_linkedin": p.LinkedIn, "direct_dial": "N/A", "mobile_dial": "Not Available"},
			"company_meta": map[string]any{"company_name": p.Company, "company_URL": "https://www." + p.Domain,
				"number_of_employees": fmt.Sprint(p.Employees), "city": p.City, "region_code": p.State, "company_country": "US"}}}
	})
	emukit.WriteJSON(w, http.StatusOK, `{"AllResults":`+strings.ReplaceAll(rows, "/", `\/`)+`}`)
}

// findOne resolves a narrowed search: user_search_string holding an
// e-mail, or a full name with company_domain or company_name.
func (e *Emulator) findOne(q url.Values) (int, bool) {
	s := strings.TrimSpace(q.Get("user_search_string"))
	var kq emukit.Query
	if strings.Contains(s, "@") {
		kq.Email = s
	} else {
		first, last, _ := strings.Cut(s, " ")
		kq.First, kq.Last, kq.Domain, kq.Company = first, strings.TrimSpace(last), q.Get("company_domain"), q.Get("company_name")
		if kq.Domain != "" {
			kq.Company = ""
		}
	}
	p, ok := e.Kit.Find(kq)
	return p.Index, ok
}

func (e *Emulator) unlock(w http.ResponseWriter, r *http.Request) {
	if !e.gate(w, r) {
		return
	}
	i, err := strconv.Atoi(r.URL.Query().Get("employee_id"))
	if err != nil || i-100000 < 0 || i-100000 >= e.Kit.Cfg.Records {
		emukit.WriteJSON(w, http.StatusOK, `{"status":"error","message":"Employee not found"}`)
		return
	}
	if !e.Kit.ChargeFor("person:"+e.Kit.Person(i-100000).ID, 1) {
		emukit.WriteJSON(w, http.StatusPaymentRequired, `{"status":"error","message":"Not enough credits"}`)
		return
	}
	p := e.Kit.Person(i - 100000)
	b, _ := json.Marshal(map[string]any{"status": "success", "email": p.Email,
		"employee_details": map[string]any{"linkedin": p.LinkedIn},
		"company_data":     map[string]any{"URL": "https://www." + p.Domain, "address1": "1 Main St", "city": p.City, "region_code": p.State, "zip": "02110"}})
	emukit.WriteJSON(w, http.StatusOK, escapeSlashes(b))
}
