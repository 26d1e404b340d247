// Package lead411 pulls people from Lead411's (unofficial, inferred) API:
// POST /authenticate_user?email&password returns a token that later calls
// pass as the token query parameter; POST /search/searchUsingJSON pages
// with page/per_page and answers {"AllResults":[{company_id, employee_id,
// json_meta:{company_meta, employee_meta}}]}. With Unlock set, every
// employee is revealed through POST /employee/unlock_employee_record, one
// credit each (assumed), one employee per step so that a failure never
// repeats a paid unlock. Base URL and paths are configurable because none
// of them is confirmed; rate limits are undocumented, so requests are paced.
package lead411

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadstream/leadstream/connectors/pull"
)

// Provider is the source key.
const Provider = "lead411"

// Defaults (all inferred).
const (
	DefaultBaseURL    = "https://api.lead411.com/v1"
	DefaultAuthPath   = "/authenticate_user"
	DefaultSearchPath = "/search/searchUsingJSON"
	DefaultUnlockPath = "/employee/unlock_employee_record"
)

// Query holds the search inputs.
type Query struct {
	SearchString   string `json:"user_search_string"`
	CompanyResults string `json:"companyResults,omitempty"` // default companyResultsAll
	CountryCode    string `json:"country_code,omitempty"`   // default US
}

// Options configure the puller.
type Options struct {
	Email    string
	Password string
	BaseURL  string
	// AuthPath, SearchPath and UnlockPath override the inferred paths.
	AuthPath, SearchPath, UnlockPath string
	Query                            Query
	PerPage                          int // default 100
	Unlock                           bool
	// Interval paces requests (default 750ms; clients sleep 0.5–1 s).
	Interval   time.Duration
	HTTPClient *http.Client
	Now        func() time.Time
}

// Puller implements pull.Puller for Lead411.
type Puller struct {
	o Options
	c *pull.Client

	mu    sync.Mutex
	token string
}

// New validates opts and returns a Puller.
func New(opts Options) (*Puller, error) {
	if opts.Email == "" || opts.Password == "" {
		return nil, fmt.Errorf("lead411: email and password are required")
	}
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	for p, d := range map[*string]string{&opts.AuthPath: DefaultAuthPath, &opts.SearchPath: DefaultSearchPath, &opts.UnlockPath: DefaultUnlockPath} {
		if *p == "" {
			*p = d
		}
	}
	if opts.PerPage <= 0 {
		opts.PerPage = 100
	}
	if opts.Query.CompanyResults == "" {
		opts.Query.CompanyResults = "companyResultsAll"
	}
	if opts.Query.CountryCode == "" {
		opts.Query.CountryCode = "US"
	}
	if opts.Interval <= 0 {
		opts.Interval = 750 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Puller{o: opts, c: pull.NewClient(Provider, opts.HTTPClient, opts.Password)}, nil
}

type pending struct {
	At  int            `json:"at"`
	Rec map[string]any `json:"rec"`
}

type cursor struct {
	Page   int       `json:"page"` // next page, 1-based
	Last   bool      `json:"last,omitempty"`
	Unlock []pending `json:"unlock,omitempty"`
}

// Provider implements pull.Puller.
func (p *Puller) Provider() string { return Provider }

// Fingerprint implements pull.Fingerprinter.
func (p *Puller) Fingerprint() string {
	return pull.FingerprintOf(struct {
		Q      Query
		N      int
		Unlock bool
	}{p.o.Query, p.o.PerPage, p.o.Unlock})
}

// MinInterval implements pull.Pacer.
func (p *Puller) MinInterval() time.Duration { return p.o.Interval }

// Cost implements pull.Puller: one credit per unlock step.
func (p *Puller) Cost(c string) float64 {
	var cur cursor
	if pull.DecodeCursor(c, &cur) == nil && len(cur.Unlock) > 0 {
		return 1
	}
	return 0
}

func (p *Puller) login(ctx context.Context, refresh bool) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.token != "" && !refresh {
		return p.token, nil
	}
	q := url.Values{"email": {p.o.Email}, "password": {p.o.Password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.o.BaseURL+p.o.AuthPath+"?"+q.Encode(), nil)
	if err != nil {
		return "", fmt.Errorf("lead411: building login request: %s", p.c.Redact(err.Error()))
	}
	resp, op, err := p.c.Exchange(req, p.o.Now(), nil)
	if err != nil {
		return "", err
	}
	var out struct {
		Status  string `json:"status"`
		Token   string `json:"token"`
		Message string `json:"message"`
	}
	if err := p.c.Decode(op, resp, &out); err != nil {
		return "", err
	}
	if out.Status != "success" || out.Token == "" {
		return "", &pull.Error{Provider: Provider, Kind: pull.KindAuth, Op: op, Status: resp.Status,
			Msg: fmt.Sprintf("login refused (status %q): %s", out.Status, p.c.Redact(out.Message))}
	}
	p.c.AddSecret(out.Token)
	p.token = out.Token
	return p.token, nil
}

// post sends a token-authenticated POST, logging in again once on 401.
func (p *Puller) post(ctx context.Context, path string, q url.Values) (*pull.Response, string, error) {
	for attempt := 0; ; attempt++ {
		tok, err := p.login(ctx, attempt > 0)
		if err != nil {
			return nil, "", err
		}
		q.Set("token", tok)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.o.BaseURL+path+"?"+q.Encode(), nil)
		if err != nil {
			return nil, "", fmt.Errorf("lead411: building request: %s", p.c.Redact(err.Error()))
		}
		resp, op, err := p.c.Exchange(req, p.o.Now(), nil)
		if err != nil && resp != nil && resp.Status == http.StatusUnauthorized && attempt == 0 {
			continue // the token expired: log in again once
		}
		return resp, op, err
	}
}

// Fetch implements pull.Puller.
func (p *Puller) Fetch(ctx context.Context, req pull.Request) (pull.Step, error) {
	cur := cursor{Page: 1}
	if err := pull.DecodeCursor(req.Cursor, &cur); err != nil {
		return pull.Step{}, err
	}
	if len(cur.Unlock) > 0 {
		return p.unlock(ctx, cur)
	}
	q := url.Values{"page": {strconv.Itoa(cur.Page)}, "per_page": {strconv.Itoa(p.o.PerPage)},
		"user_search_string": {p.o.Query.SearchString}, "companyResults": {p.o.Query.CompanyResults},
		"country_code": {p.o.Query.CountryCode}}
	resp, op, err := p.post(ctx, p.o.SearchPath, q)
	if err != nil {
		return pull.Step{}, err
	}
	var out struct {
		AllResults json.RawMessage `json:"AllResults"`
	}
	if err := p.c.Decode(op, resp, &out); err != nil {
		return pull.Step{}, err
	}
	if len(out.AllResults) == 0 {
		return pull.Step{}, p.c.Malformed(op, resp, "no AllResults")
	}
	var results []any // null means no results
	if err := p.c.Decode(op, &pull.Response{Status: resp.Status, Body: out.AllResults}, &results); err != nil {
		return pull.Step{}, err
	}
	last := len(results) < p.o.PerPage
	items := pull.Items(results, pull.Field("employee_id"))
	next := cursor{Page: cur.Page + 1, Last: last}
	step := pull.Step{Rate: pull.UnknownRate()}
	if p.o.Unlock {
		for _, it := range items {
			if it.Err != nil {
				step.Items = append(step.Items, it)
				continue
			}
			next.Unlock = append(next.Unlock, pending{At: it.At, Rec: it.Data})
		}
		step.Done = last && len(next.Unlock) == 0
	} else {
		step.Items, step.Done = items, last
	}
	step.Next = pull.EncodeCursor(next)
	return step, nil
}

func (p *Puller) unlock(ctx context.Context, cur cursor) (pull.Step, error) {
	head := cur.Unlock[0]
	id := pull.IDString(head.Rec["employee_id"])
	resp, op, err := p.post(ctx, p.o.UnlockPath, url.Values{"employee_id": {id}})
	if err != nil {
		return pull.Step{}, err
	}
	var out map[string]any
	if err := p.c.Decode(op, resp, &out); err != nil {
		return pull.Step{}, err
	}
	next := cursor{Page: cur.Page, Last: cur.Last, Unlock: cur.Unlock[1:]}
	step := pull.Step{Next: pull.EncodeCursor(next), Done: cur.Last && len(next.Unlock) == 0, Rate: pull.UnknownRate()}
	if out["status"] != "success" {
		step.Items = []pull.Item{{At: head.At, ID: id, Err: fmt.Errorf("unlock refused: %v", out["message"])}}
		return step, nil
	}
	rec := make(map[string]any, len(head.Rec)+1)
	for k, v := range head.Rec {
		rec[k] = v
	}
	rec["unlock"] = out
	step.Items = []pull.Item{{At: head.At, ID: id, Data: rec}}
	step.Credits = 1
	return step, nil
}
