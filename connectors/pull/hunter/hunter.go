// Package hunter pulls email records from Hunter.io's Domain Search
// (GET /v2/domain-search, limit ≤100 / offset, total in meta.results), one
// or more domains in turn. Each call costs one credit. Auth is the api_key
// query parameter, redacted from every error and log.
//
// Hunter's statuses are unusual: 403 is its per-second/per-minute rate
// limit (backed off and retried), 429 with id usage_limit is the monthly
// quota (a stop, never a retry). No rate-limit headers are documented, so
// the puller paces itself below 500 requests per minute.
package hunter

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leadstream/leadstream/connectors/pull"
)

// Provider is the source key.
const Provider = "hunter"

// DefaultBaseURL is Hunter's API root.
const DefaultBaseURL = "https://api.hunter.io/v2"

// Query holds the domain-search inputs.
type Query struct {
	// Domains are searched one after the other (or Companies, by name).
	Domains    []string `json:"domains,omitempty"`
	Companies  []string `json:"companies,omitempty"`
	Type       string   `json:"type,omitempty"` // personal or generic
	Seniority  string   `json:"seniority,omitempty"`
	Department string   `json:"department,omitempty"`
	// RequiredField filters on a field being present (e.g. "full_name").
	RequiredField string `json:"required_field,omitempty"`
}

// Options configure the puller.
type Options struct {
	APIKey     string
	BaseURL    string
	Query      Query
	Limit      int // per call, 1–100 (default 100)
	HTTPClient *http.Client
	Now        func() time.Time
}

// Puller implements pull.Puller for Hunter.
type Puller struct {
	o       Options
	c       *pull.Client
	targets []target
}

type target struct{ param, value string }

// New validates opts and returns a Puller.
func New(opts Options) (*Puller, error) {
	if opts.APIKey == "" {
		return nil, fmt.Errorf("hunter: an API key is required")
	}
	p := &Puller{}
	for _, d := range opts.Query.Domains {
		p.targets = append(p.targets, target{"domain", d})
	}
	for _, c := range opts.Query.Companies {
		p.targets = append(p.targets, target{"company", c})
	}
	if len(p.targets) == 0 {
		return nil, fmt.Errorf("hunter: at least one domain or company is required")
	}
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	if opts.Limit <= 0 || opts.Limit > 100 {
		opts.Limit = 100
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p.o, p.c = opts, pull.NewClient(Provider, opts.HTTPClient, opts.APIKey)
	return p, nil
}

type cursor struct {
	Target int `json:"target"`
	Offset int `json:"offset"`
}

// Provider implements pull.Puller.
func (p *Puller) Provider() string { return Provider }

// Fingerprint implements pull.Fingerprinter.
func (p *Puller) Fingerprint() string {
	return pull.FingerprintOf(struct {
		Q     Query
		Limit int
	}{p.o.Query, p.o.Limit})
}

// Cost implements pull.Puller: one credit per domain-search call.
func (p *Puller) Cost(string) float64 { return 1 }

// MinInterval implements pull.Pacer: 500 requests per minute.
func (p *Puller) MinInterval() time.Duration { return 120 * time.Millisecond }

// Fetch implements pull.Puller.
func (p *Puller) Fetch(ctx context.Context, req pull.Request) (pull.Step, error) {
	var cur cursor
	if err := pull.DecodeCursor(req.Cursor, &cur); err != nil {
		return pull.Step{}, err
	}
	if cur.Target >= len(p.targets) {
		return pull.Step{Done: true, Next: req.Cursor}, nil
	}
	t := p.targets[cur.Target]
	q := url.Values{t.param: {t.value}, "limit": {strconv.Itoa(p.o.Limit)}, "offset": {strconv.Itoa(cur.Offset)}}
	for k, v := range map[string]string{"type": p.o.Query.Type, "seniority": p.o.Query.Seniority,
		"department": p.o.Query.Department, "required_field": p.o.Query.RequiredField} {
		if v != "" {
			q.Set(k, v)
		}
	}
	q.Set("api_key", p.o.APIKey)
	hreq, err := p.c.NewJSONRequest(ctx, http.MethodGet, p.o.BaseURL+"/domain-search?"+q.Encode(), nil)
	if err != nil {
		return pull.Step{}, err
	}
	resp, op, err := p.c.Exchange(hreq, p.o.Now(), p.classify)
	if err != nil {
		return pull.Step{}, err
	}
	var out struct {
		Data map[string]any `json:"data"`
		Meta struct {
			Results int `json:"results"`
		} `json:"meta"`
	}
	if err := p.c.Decode(op, resp, &out); err != nil {
		return pull.Step{}, err
	}
	emails, ok := out.Data["emails"].([]any)
	if out.Data == nil || (!ok && out.Data["emails"] != nil) {
		return pull.Step{}, p.c.Malformed(op, resp, "no data.emails array")
	}
	parent := make(map[string]any, len(out.Data))
	for k, v := range out.Data {
		if k != "emails" {
			parent[k] = v
		}
	}
	items := pull.Items(emails, pull.Field("value"))
	for i := range items {
		items[i].Parent = parent
	}
	next := cursor{Target: cur.Target, Offset: cur.Offset + p.o.Limit}
	if len(emails) < p.o.Limit || next.Offset >= out.Meta.Results {
		next = cursor{Target: cur.Target + 1}
	}
	return pull.Step{Items: items, Next: pull.EncodeCursor(next), Done: next.Target >= len(p.targets),
		Credits: 1, Rate: pull.UnknownRate()}, nil
}

// classify applies Hunter's conventions before the common ones.
func (p *Puller) classify(op string, r *pull.Response) error {
	switch r.Status {
	case http.StatusForbidden:
		return &pull.Error{Provider: Provider, Kind: pull.KindRateLimited, Op: op, Status: r.Status,
			RetryAfter: pull.RetryAfter(r.Header, p.o.Now()), Msg: p.c.Excerpt(r.Body)}
	case http.StatusTooManyRequests:
		return &pull.Error{Provider: Provider, Kind: pull.KindQuota, Op: op, Status: r.Status, Msg: p.c.Excerpt(r.Body)}
	case http.StatusAccepted:
		return &pull.Error{Provider: Provider, Kind: pull.KindTransient, Op: op, Status: r.Status, Msg: "still processing"}
	}
	return nil
}
