// Package seamless emulates Seamless.AI's search → research → poll flow for
// tests: Token header auth (401 {"message"}), nextToken paging, research
// answering 202 with requestIds and charging one credit per contact (422
// insufficientCredits when short), polls that report queued/researching for
// Config.PendingPolls polls before done, X-RateLimit-* and
// X-PublicAPI-Credits headers, and 429.
package seamless

import (
	"encoding/base64"
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

// Paths served; use URL+"/api/client/v1" as the base URL.
const (
	SearchPath   = "/api/client/v1/search/contacts"
	ResearchPath = "/api/client/v1/contacts/research"
	PollPath     = "/api/client/v1/contacts/research/poll"
)

// Emulator is a running Seamless.AI emulator.
type Emulator struct {
	*httptest.Server
	Kit *emukit.Kit
	// Handler serves the API (also without a Server, to mount elsewhere).
	Handler http.Handler
	// HideCredits omits X-PublicAPI-Credits.
	HideCredits bool

	mu    sync.Mutex
	reqs  map[string]*job
	count int
}

type job struct {
	idx   int
	polls int
}

// New starts an emulator.
func New(cfg emukit.Config) *Emulator {
	e := NewHandler(cfg)
	e.Server = httptest.NewServer(e.Handler)
	return e
}

// NewHandler returns an emulator that is not listening; mount e.Handler.
func NewHandler(cfg emukit.Config) *Emulator {
	e := &Emulator{Kit: emukit.New(cfg), reqs: map[string]*job{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+SearchPath, e.search)
	mux.HandleFunc("POST "+ResearchPath, e.research)
	mux.HandleFunc("GET "+PollPath, e.poll)
	e.Handler = mux
	return e
}

// BaseURL is what the puller should use.
func (e *Emulator) BaseURL() string { return e.URL + "/api/client/v1" }

func (e *Emulator) gate(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Token") != e.Kit.Cfg.Key {
		e.Kit.AuthFailed(r.URL.Path)
		emukit.WriteJSON(w, http.StatusUnauthorized, `{"message":"Invalid token"}`)
		return false
	}
	g := e.Kit.Begin(r.URL.Path)
	if g.Remaining >= 0 {
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(g.Limit))
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(g.Remaining))
		w.Header().Set("X-RateLimit-Reset", "1772366460")
	}
	if left := e.Kit.CreditsLeft(); left >= 0 && !e.HideCredits {
		w.Header().Set("X-PublicAPI-Credits", strconv.FormatFloat(left, 'f', -1, 64))
	}
	return !e.Kit.Fail(w, g, emukit.Responders{RateLimited: func(w http.ResponseWriter, ra int) {
		w.Header().Set("Retry-After", strconv.Itoa(ra))
		emukit.WriteJSON(w, http.StatusTooManyRequests, `{"message":"Too many requests"}`)
	}})
}

func (e *Emulator) search(w http.ResponseWriter, r *http.Request) {
	if !e.gate(w, r) {
		return
	}
	var body struct {
		NextToken string `json:"nextToken"`
		Limit     int    `json:"limit"`
	}
	_ = json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body)
	if body.Limit <= 0 {
		body.Limit = 50
	}
	page := 1
	if body.NextToken != "" {
		b, err := base64.StdEncoding.DecodeString(body.NextToken)
		var t struct{ Page int }
		if err != nil || json.Unmarshal(b, &t) != nil || t.Page < 1 {
			emukit.WriteJSON(w, http.StatusBadRequest, `{"message":"invalid nextToken"}`)
			return
		}
		page = t.Page
	}
	from, to := e.Kit.Page((page-1)*body.Limit, body.Limit)
	rows := e.Kit.Rows(from, to, func(p emukit.Person) any {
		return map[string]any{"searchResultId": fmt.Sprintf("sr-%d", p.Index), "name": p.First + " " + p.Last,
			"company": p.Company, "title": p.Title, "department": p.Department, "seniority": "VP", "domain": p.Domain,
			"city": p.City, "state": p.State, "country": p.Country, "liUrl": p.LinkedIn,
			"employeeSizeRange": "201 - 500", "lastModifiedAt": "2026-03-03 12:34:07"}
	})
	more := to < e.Kit.Cfg.Records
	next := ""
	if more {
		next = base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf(`{"page":%d}`, page+1)))
	}
	emukit.WriteJSON(w, http.StatusOK, fmt.Sprintf(`{"data":%s,"supplementalData":{"isMore":%t,"total":%d,"perPage":%d,"nextToken":%q}}`,
		rows, more, e.Kit.Cfg.Records, body.Limit, next))
}

// researchContact is one entry of the contacts form of a research request.
type researchContact struct {
	ContactName  string `json:"contactName"`
	CompanyName  string `json:"companyName"`
	Domain       string `json:"domain"`
	Email        string `json:"email"`
	LIProfileURL string `json:"liProfileUrl"`
}

func (e *Emulator) findContact(c researchContact) int {
	var q emukit.Query
	switch {
	case c.Email != "":
		q.Email = c.Email
	case c.LIProfileURL != "":
		q.LinkedIn = c.LIProfileURL
	case c.ContactName != "" && (c.Domain != "" || c.CompanyName != ""):
		first, last, _ := strings.Cut(strings.TrimSpace(c.ContactName), " ")
		q.First, q.Last, q.Domain, q.Company = first, strings.TrimSpace(last), c.Domain, c.CompanyName
		if q.Domain != "" {
			q.Company = ""
		}
	default:
		return -1
	}
	p, ok := e.Kit.Find(q)
	if !ok {
		return -1
	}
	return p.Index
}

func (e *Emulator) research(w http.ResponseWriter, r *http.Request) {
	if !e.gate(w, r) {
		return
	}
	var body struct {
		SearchResultIDs []string          `json:"searchResultIds"`
		Contacts        []researchContact `json:"contacts"`
	}
	err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body)
	n := len(body.SearchResultIDs) + len(body.Contacts)
	if err != nil || n == 0 || n > 100 || (len(body.SearchResultIDs) > 0 && len(body.Contacts) > 0) {
		emukit.WriteJSON(w, http.StatusBadRequest, `{"message":"searchResultIds or contacts must hold 1 to 100 entries"}`)
		return
	}
	var idxs []int
	for _, sr := range body.SearchResultIDs {
		idx, err := strconv.Atoi(strings.TrimPrefix(sr, "sr-"))
		if err != nil {
			idx = -1
		}
		idxs = append(idxs, idx)
	}
	for _, c := range body.Contacts {
		idxs = append(idxs, e.findContact(c))
	}
	cost := 0
	for _, idx := range idxs {
		if idx >= 0 && idx < e.Kit.Cfg.Records {
			cost++
		}
	}
	if left := e.Kit.CreditsLeft(); left >= 0 && left < float64(cost) {
		emukit.WriteJSON(w, http.StatusUnprocessableEntity, fmt.Sprintf(`{"msg":"Not enough credits","code":"insufficientCredits","data":{"productCategory":"contacts","additionalCreditsNeeded":%d}}`, cost))
		return
	}
	e.mu.Lock()
	var ids []string
	for _, idx := range idxs {
		if idx >= 0 && idx < e.Kit.Cfg.Records {
			e.Kit.ChargeFor("person:"+e.Kit.Person(idx).ID, 1)
		}
		e.count++
		id := fmt.Sprintf("rq-%d", e.count)
		e.reqs[id] = &job{idx: idx}
		ids = append(ids, id)
	}
	e.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"success": true, "requestIds": ids})
	emukit.WriteJSON(w, http.StatusAccepted, string(b))
}

func (e *Emulator) poll(w http.ResponseWriter, r *http.Request) {
	if !e.gate(w, r) {
		return
	}
	var out []any
	e.mu.Lock()
	for _, id := range strings.Split(r.URL.Query().Get("requestIds"), ",") {
		j, ok := e.reqs[id]
		if !ok {
			continue
		}
		j.polls++
		d := map[string]any{"requestId": id, "searchResultId": fmt.Sprintf("sr-%d", j.idx), "additionalData": map[string]any{}}
		switch {
		case e.Kit.Cfg.NeverComplete || j.polls <= e.Kit.Cfg.PendingPolls:
			d["status"] = "queued"
			if j.polls > 1 {
				d["status"] = "researching"
			}
		case j.idx < 0 || j.idx >= e.Kit.Cfg.Records:
			d["status"], d["message"] = "not found", "no such search result"
		default:
			p := e.Kit.Person(j.idx)
			d["status"] = "done"
			c := map[string]any{"contactId": p.ID, "firstName": p.First, "lastName": p.Last,
				"fullName": p.First + " " + p.Last, "title": p.Title, "seniority": "VP", "email": p.Email,
				"email1": p.Email, "email1TotalAI": "97%", "email1EmailAI": "valid",
				"contactPhone1": p.Mobile, "contactPhone1DataType": "mobile", "lIProfileUrl": p.LinkedIn,
				"contactLocation": map[string]any{"city": p.City, "state": p.State, "country": p.Country},
				"company":         p.Company, "companyDomain": p.Domain, "companyStaffCount": p.Employees,
				"companyAnnualRevenue": "1000000001"}
			if p.Phone != "" {
				c["contactPhone2"], c["contactPhone2DataType"] = p.Phone, "direct"
			}
			if f, ok := e.Kit.Company(p.Domain); ok {
				c["companyIndustry"], c["companyFounded"] = f.Industry, strconv.Itoa(f.FoundedYear)
				c["companyAnnualRevenue"] = strconv.FormatInt(f.Revenue, 10)
				c["companyStaffCount"] = f.Employees
			}
			d["contact"] = c
		}
		out = append(out, d)
	}
	e.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"success": true, "data": out})
	emukit.WriteJSON(w, http.StatusOK, string(b))
}
