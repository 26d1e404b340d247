// Package lusha emulates Lusha's V3 prospecting and enrich endpoints for
// tests: api_key header auth ({"statusCode":401,"message":"Invalid API
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
)

// Emulator is a running Lusha emulator.
type Emulator struct {
	*httptest.Server
	Kit *emukit.Kit
}

// New starts an emulator.
func New(cfg emukit.Config) *Emulator {
	e := &Emulator{Kit: emukit.New(cfg)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+ProspectPath, e.prospect)
	mux.HandleFunc("POST "+EnrichPath, e.enrich)
	e.Server = httptest.NewServer(mux)
	return e
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
