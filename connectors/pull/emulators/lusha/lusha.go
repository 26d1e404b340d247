// Package lusha emulates Lusha's V3 prospecting and enrich endpoints and
// the V2 bulk person enrichment (POST /v2/person, ≤100 contacts keyed by
// contactId, isCreditCharged, one credit per revealed contact) for tests: api_key header auth ({"statusCode":401,"message":"Invalid API
// key"}), 0-based pagination, billing.creditsCharged, 402 when credits run
// out, the x-*-requests-left headers and a 429 with RateLimit-* headers.
package lusha

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

// Paths served.
const (
	ProspectPath = "/v3/contacts/prospecting"
	EnrichPath   = "/v3/contacts/enrich"
	PersonPath   = "/v2/person"
)

// Emulator is a running Lusha emulator.
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
	mux.HandleFunc("POST "+ProspectPath, e.prospect)
	mux.HandleFunc("POST "+EnrichPath, e.enrich)
	mux.HandleFunc("POST "+PersonPath, e.person)
	e.Handler = mux
	return e
}

// person answers the V2 bulk enrichment: up to 100 contacts, each found by
// e-mail, LinkedIn URL, or full name with a company name or domain.
func (e *Emulator) person(w http.ResponseWriter, r *http.Request) {
	if !e.gate(w, r) {
		return
	}
	var body struct {
		Contacts []struct {
			ContactID   string `json:"contactId"`
			FullName    string `json:"fullName"`
			FirstName   string `json:"firstName"`
			LastName    string `json:"lastName"`
			Email       string `json:"email"`
			LinkedinURL string `json:"linkedinUrl"`
			Companies   []struct {
				Name   string `json:"name"`
				Domain string `json:"domain"`
			} `json:"companies"`
		} `json:"contacts"`
		Metadata struct {
			RevealEmails *bool `json:"revealEmails"`
			RevealPhones *bool `json:"revealPhones"`
		} `json:"metadata"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&body); err != nil || len(body.Contacts) == 0 || len(body.Contacts) > 100 {
		lushaError(w, http.StatusBadRequest, "contacts must hold 1 to 100 entries")
		return
	}
	emails := body.Metadata.RevealEmails == nil || *body.Metadata.RevealEmails
	phones := body.Metadata.RevealPhones == nil || *body.Metadata.RevealPhones
	out := map[string]any{}
	for _, c := range body.Contacts {
		q := emukit.Query{Email: c.Email, LinkedIn: c.LinkedinURL, First: c.FirstName, Last: c.LastName}
		if q.First == "" && q.Last == "" {
			if f := strings.Fields(c.FullName); len(f) >= 2 {
				q.First, q.Last = f[0], strings.Join(f[1:], " ")
			}
		}
		for _, co := range c.Companies {
			q.Domain, q.Company = co.Domain, co.Name
			break
		}
		p, ok := e.Kit.Find(q)
		if !ok {
			out[c.ContactID] = map[string]any{"error": map[string]any{"code": 404, "message": "Could not find requested data"}, "isCreditCharged": false, "data": nil}
			continue
		}
		data := map[string]any{"personId": p.ID, "companyId": "co_" + p.Domain, "firstName": p.First, "lastName": p.Last,
			"fullName":    p.First + " " + p.Last,
			"location":    map[string]any{"country": p.Country, "city": p.City, "state": p.State},
			"jobTitle":    map[string]any{"title": p.Title, "seniority": p.Seniority, "departments": []string{p.Department}},
			"socialLinks": map[string]any{"linkedin": p.LinkedIn},
			"company":     map[string]any{"name": p.Company, "fqdn": p.Domain, "domains": map[string]any{"homepage": p.Domain, "email": p.Domain}}}
		revealed := false
		if emails && p.Email != "" {
			data["emailAddresses"] = []any{map[string]any{"email": strings.ToLower(p.Email), "emailType": "work", "emailConfidence": "A+", "updateDate": "2026-01-05"}}
			revealed = true
		}
		if phones {
			var nums []any
			if p.Phone != "" {
				nums = append(nums, map[string]any{"number": p.Phone, "phoneType": "Direct", "doNotCall": false, "updateDate": "2026-01-05"})
			}
			if p.Mobile != "" {
				nums = append(nums, map[string]any{"number": p.Mobile, "phoneType": "Mobile", "doNotCall": false, "updateDate": "2026-01-05"})
			}
			if len(nums) > 0 {
				data["phoneNumbers"] = nums
				revealed = true
			}
		}
		if revealed && !e.Kit.ChargeFor("person:"+p.ID, 1) {
			lushaError(w, http.StatusPaymentRequired, "Not enough credits")
			return
		}
		out[c.ContactID] = map[string]any{"error": nil, "isCreditCharged": revealed, "data": data}
	}
	b, _ := json.Marshal(map[string]any{"contacts": out, "companies": map[string]any{}})
	emukit.WriteJSON(w, http.StatusOK, string(b))
}

func lushaError(w http.ResponseWriter, status int, msg string) {
	emukit.WriteJSON(w, status, fmt.Sprintf(`{"statusCode":%d,"message":%q}`, status, msg))
}

func (e *Emulator) gate(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("api_key") != e.Kit.Cfg.Key {
		e.Kit.AuthFailed(r.URL.Path)
		lushaError(w, http.StatusUnauthorized, "Invalid API key")
		return false
	}
	g := e.Kit.Begin(r.URL.Path)
	if g.Remaining >= 0 {
		w.Header().Set("x-rate-limit-minute", strconv.Itoa(g.Limit))
		w.Header().Set("x-minute-requests-left", strconv.Itoa(g.Remaining))
		w.Header().Set("x-minute-usage", strconv.Itoa(g.Limit-g.Remaining))
	}
	w.Header().Set("x-rate-limit-daily", "25000")
	w.Header().Set("x-daily-requests-left", "24000")
	return !e.Kit.Fail(w, g, emukit.Responders{RateLimited: func(w http.ResponseWriter, ra int) {
		w.Header().Set("RateLimit-Limit", "25")
		w.Header().Set("RateLimit-Remaining", "0")
		w.Header().Set("RateLimit-Reset", strconv.Itoa(ra))
		lushaError(w, http.StatusTooManyRequests, "Too many requests")
	}})
}

func row(p emukit.Person) map[string]any {
	return map[string]any{"id": "c_" + p.ID, "firstName": p.First, "lastName": p.Last,
		"jobTitle":    map[string]any{"title": p.Title, "departments": []string{p.Department}, "seniority": p.Seniority},
		"company":     map[string]any{"id": "co_" + p.Domain, "name": p.Company, "domain": p.Domain},
		"location":    map[string]any{"country": p.Country, "state": p.State, "city": p.City},
		"socialLinks": map[string]any{"linkedin": p.LinkedIn},
		"has":         []string{"workEmail", "mobilePhone"},
		"canReveal":   []any{map[string]any{"field": "emails", "credits": 1}, map[string]any{"field": "phones", "credits": 1}},
		"error":       nil}
}

func (e *Emulator) prospect(w http.ResponseWriter, r *http.Request) {
	if !e.gate(w, r) {
		return
	}
	var body struct {
		Pagination struct{ Page, Size int } `json:"pagination"`
	}
	_ = json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body)
	size := body.Pagination.Size
	if size <= 0 || size > 100 {
		size = 20
	}
	from, to := e.Kit.Page(body.Pagination.Page*size, size)
	rows := e.Kit.Rows(from, to, func(p emukit.Person) any { return row(p) })
	emukit.WriteJSON(w, http.StatusOK, fmt.Sprintf(`{"requestId":"req-%d","results":%s,"pagination":{"page":%d,"size":%d,"total":%d},"billing":{"creditsCharged":0,"resultsReturned":%d}}`,
		body.Pagination.Page, rows, body.Pagination.Page, size, e.Kit.Cfg.Records, to-from))
}

func (e *Emulator) enrich(w http.ResponseWriter, r *http.Request) {
	if !e.gate(w, r) {
		return
	}
	var body struct {
		IDs    []string `json:"ids"`
		Reveal []string `json:"reveal"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil || len(body.IDs) == 0 || len(body.IDs) > 100 {
		lushaError(w, http.StatusBadRequest, "ids must hold 1 to 100 entries")
		return
	}
	cost := float64(len(body.IDs) * len(body.Reveal))
	if !e.Kit.Charge(cost) {
		lushaError(w, http.StatusPaymentRequired, "Not enough credits")
		return
	}
	var out []any
	for _, id := range body.IDs {
		i, err := strconv.Atoi(strings.TrimPrefix(id, "c_"))
		if err != nil || i-100000 < 0 || i-100000 >= e.Kit.Cfg.Records {
			continue
		}
		p := e.Kit.Person(i - 100000)
		m := row(p)
		m["emails"] = []any{map[string]any{"email": p.Email, "type": "work", "confidence": "A+", "updateDate": "2026-01-01"}}
		m["phones"] = []any{map[string]any{"number": p.Mobile, "type": "mobile", "doNotCall": false, "updateDate": "2026-01-01"}}
		out = append(out, m)
	}
	b, _ := json.Marshal(map[string]any{"requestId": "enrich", "results": out,
		"billing": map[string]any{"creditsCharged": cost, "resultsReturned": len(out)}})
	emukit.WriteJSON(w, http.StatusOK, string(b))
}
