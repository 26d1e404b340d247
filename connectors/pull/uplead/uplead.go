// Package uplead pulls contacts from UpLead's Prospector
// (POST /v2/prospector-search, domain required, page/per_page ≤100), one
// domain after the other. Every returned contact costs one credit, except
// that a contact with an email is charged only when its email_status is
// valid or accept-all; the puller counts credits that way and reads the
// balance from userInfo.availableCredits (top level in some documents).
// Auth is the bare key in the Authorization header (no Bearer). Rate
// limits come from X-RateLimit-{Limit,Remaining,Reset} and Retry-After.
package uplead

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/leadstream/leadstream/connectors/pull"
)

// Provider is the source key.
const Provider = "uplead"

// DefaultBaseURL is UpLead's API root.
const DefaultBaseURL = "https://api.uplead.com/v2"

// Query holds prospector filters; Domains are searched in turn.
type Query struct {
	Domains         []string `json:"-"`
	JobFunction     string   `json:"job_function,omitempty"`
	JobSubFunction  string   `json:"job_sub_function,omitempty"`
	ManagementLevel string   `json:"management_level,omitempty"` // M, D, VP, C, CX
	Titles          []string `json:"titles,omitempty"`
	TitleSearchMode string   `json:"title_search_mode,omitempty"`
	Cities          []string `json:"cities,omitempty"`
	States          []string `json:"states,omitempty"`
	Countries       []string `json:"countries,omitempty"`
	EmailStatus     string   `json:"email_status,omitempty"`
}

// Options configure the puller.
type Options struct {
	APIKey     string
	BaseURL    string
	Query      Query
	PerPage    int // default 100
	HTTPClient *http.Client
	Now        func() time.Time
}

// Puller implements pull.Puller for UpLead.
type Puller struct {
	o Options
	c *pull.Client
}

// New validates opts and returns a Puller.
func New(opts Options) (*Puller, error) {
	if opts.APIKey == "" {
		return nil, fmt.Errorf("uplead: an API key is required")
	}
	if len(opts.Query.Domains) == 0 {
		return nil, fmt.Errorf("uplead: prospector search needs at least one domain")
	}
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	if opts.PerPage <= 0 || opts.PerPage > 100 {
		opts.PerPage = 100
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Puller{o: opts, c: pull.NewClient(Provider, opts.HTTPClient, opts.APIKey)}, nil
}

type cursor struct {
	Domain int `json:"domain"`
	Page   int `json:"page"` // 1-based; 0 means 1
}

// Provider implements pull.Puller.
func (p *Puller) Provider() string { return Provider }

// Fingerprint implements pull.Fingerprinter.
func (p *Puller) Fingerprint() string {
	return pull.FingerprintOf(struct {
		Q []any
		N int
	}{[]any{p.o.Query, p.o.Query.Domains}, p.o.PerPage})
}

// Cost implements pull.Puller: at most one credit per row of a full page.
func (p *Puller) Cost(string) float64 { return float64(p.o.PerPage) }

// Fetch implements pull.Puller.
func (p *Puller) Fetch(ctx context.Context, req pull.Request) (pull.Step, error) {
	var cur cursor
	if err := pull.DecodeCursor(req.Cursor, &cur); err != nil {
		return pull.Step{}, err
	}
	if cur.Page == 0 {
		cur.Page = 1
	}
	if cur.Domain >= len(p.o.Query.Domains) {
		return pull.Step{Done: true, Next: req.Cursor}, nil
	}
	body := map[string]any{}
	b, _ := json.Marshal(p.o.Query)
	_ = json.Unmarshal(b, &body)
	body["domain"] = p.o.Query.Domains[cur.Domain]
	body["page"], body["per_page"] = cur.Page, p.o.PerPage
	hreq, err := p.c.NewJSONRequest(ctx, http.MethodPost, p.o.BaseURL+"/prospector-search", body)
	if err != nil {
		return pull.Step{}, err
	}
	hreq.Header.Set("Authorization", p.o.APIKey)
	resp, op, err := p.c.Exchange(hreq, p.o.Now(), nil)
	if err != nil {
		return pull.Step{}, err
	}
	var out struct {
		Data struct {
			Results []any `json:"results"`
			Meta    struct {
				Total    int `json:"total"`
				NextPage any `json:"next_page"`
			} `json:"meta"`
		} `json:"data"`
		UserInfo struct {
			AvailableCredits *json.Number `json:"availableCredits"`
		} `json:"userInfo"`
		AvailableCredits *json.Number `json:"availableCredits"`
	}
	if err := p.c.Decode(op, resp, &out); err != nil {
		return pull.Step{}, err
	}
	if out.Data.Results == nil {
		return pull.Step{}, p.c.Malformed(op, resp, "no data.results array")
	}
	items := pull.Items(out.Data.Results, pull.Field("id"))
	credits := 0.0
	for _, it := range items {
		if it.Err == nil && Charged(it.Data) {
			credits++
		}
	}
	rate := pull.Window(resp.Header, p.o.Now(), "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
	for _, n := range []*json.Number{out.UserInfo.AvailableCredits, out.AvailableCredits} {
		if n != nil {
			if v, err := n.Float64(); err == nil {
				rate.CreditsLeft = v
			}
		}
	}
	next := cursor{Domain: cur.Domain, Page: cur.Page + 1}
	if len(out.Data.Results) < p.o.PerPage || cur.Page*p.o.PerPage >= out.Data.Meta.Total || out.Data.Meta.NextPage == nil {
		next = cursor{Domain: cur.Domain + 1, Page: 1}
	}
	return pull.Step{Items: items, Next: pull.EncodeCursor(next), Done: next.Domain >= len(p.o.Query.Domains),
		Credits: credits, Rate: rate}, nil
}

// Charged reports whether UpLead bills a returned contact: always, unless it
// has an email whose status is neither valid nor accept-all.
func Charged(rec map[string]any) bool {
	email, _ := rec["email"].(string)
	if email == "" {
		return true
	}
	s, _ := rec["email_status"].(string)
	s = strings.NewReplacer("_", " ", "-", " ").Replace(strings.ToLower(strings.TrimSpace(s)))
	return s == "valid" || s == "accept all"
}
