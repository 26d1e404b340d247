// Package rocketreach pulls people from RocketReach's API v2: POST
// /person/search (teasers, start/page_size, any 2xx, profiles + pagination)
// and, with Lookup set, GET /person/lookup for every profile, one lookup per
// step so a retry never repeats a paid lookup. Lookups whose status is not
// yet "complete" (progress, searching, not queued) are polled through GET
// /person/checkStatus with bounded waiting; only complete profiles are
// emitted. Auth is the Api-Key header; 429 carries Retry-After and the
// global limit is 10 requests per second.
package rocketreach

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/leadstream/leadstream/connectors/pull"
)

// Provider is the source key.
const Provider = "rocketreach"

// DefaultBaseURL is RocketReach's API root.
const DefaultBaseURL = "https://api.rocketreach.co/api/v2"

// maxStart is the highest search offset RocketReach accepts.
const maxStart = 10000

// Query holds person-search filters.
type Query struct {
	CurrentTitle    []string `json:"current_title,omitempty"`
	CurrentEmployer []string `json:"current_employer,omitempty"`
	CompanyDomain   []string `json:"company_domain,omitempty"`
	Name            []string `json:"name,omitempty"`
	Geo             []string `json:"geo,omitempty"`
	ManagementLevel []string `json:"management_levels,omitempty"`
	Department      []string `json:"department,omitempty"`
	CompanyIndustry []string `json:"company_industry,omitempty"`
	CompanySize     []string `json:"company_size,omitempty"`
}

// Options configure the puller.
type Options struct {
	APIKey   string
	BaseURL  string
	Query    Query
	PageSize int    // 1–100, default 100
	OrderBy  string // default popularity
	// Lookup enriches every profile (credits) and emits full profiles.
	Lookup     bool
	LookupType string // standard, premium, ...; empty for the account default
	HTTPClient *http.Client
	Now        func() time.Time
}

// Puller implements pull.Puller for RocketReach.
type Puller struct {
	o Options
	c *pull.Client
}

// New validates opts and returns a Puller.
func New(opts Options) (*Puller, error) {
	if opts.APIKey == "" {
		return nil, fmt.Errorf("rocketreach: an API key is required")
	}
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	if opts.PageSize <= 0 || opts.PageSize > 100 {
		opts.PageSize = 100
	}
	if opts.OrderBy == "" {
		opts.OrderBy = "popularity"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Puller{o: opts, c: pull.NewClient(Provider, opts.HTTPClient, opts.APIKey)}, nil
}

type cursor struct {
	Start  int            `json:"start"` // next search offset, 1-based
	Last   bool           `json:"last,omitempty"`
	Lookup []string       `json:"lookup,omitempty"` // ids to look up
	Poll   []string       `json:"poll,omitempty"`   // ids in progress
	Pos    map[string]int `json:"pos,omitempty"`
}

// Provider implements pull.Puller.
func (p *Puller) Provider() string { return Provider }

// Fingerprint implements pull.Fingerprinter.
func (p *Puller) Fingerprint() string {
	return pull.FingerprintOf(struct {
		Q            Query
		N            int
		Order, LType string
		L            bool
	}{p.o.Query, p.o.PageSize, p.o.OrderBy, p.o.LookupType, p.o.Lookup})
}

// MinInterval implements pull.Pacer: 10 requests per second.
func (p *Puller) MinInterval() time.Duration { return 100 * time.Millisecond }

// Cost implements pull.Puller: a lookup step may spend one credit.
func (p *Puller) Cost(c string) float64 {
	var cur cursor
	if pull.DecodeCursor(c, &cur) == nil && len(cur.Lookup) > 0 {
		return 1
	}
	return 0
}

func (p *Puller) do(ctx context.Context, method, path string, body any) (*pull.Response, string, error) {
	req, err := p.c.NewJSONRequest(ctx, method, p.o.BaseURL+path, body)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Api-Key", p.o.APIKey)
	return p.c.Exchange(req, p.o.Now(), nil)
}

// Fetch implements pull.Puller.
func (p *Puller) Fetch(ctx context.Context, req pull.Request) (pull.Step, error) {
	cur := cursor{Start: 1}
	if err := pull.DecodeCursor(req.Cursor, &cur); err != nil {
		return pull.Step{}, err
	}
	switch {
	case len(cur.Lookup) > 0:
		return p.lookup(ctx, cur)
	case len(cur.Poll) > 0:
		return p.checkStatus(ctx, cur, req.GiveUpPending)
	}
	return p.search(ctx, cur)
}

func (p *Puller) search(ctx context.Context, cur cursor) (pull.Step, error) {
	body := map[string]any{"query": p.o.Query, "start": cur.Start, "page_size": p.o.PageSize, "order_by": p.o.OrderBy}
	resp, op, err := p.do(ctx, http.MethodPost, "/person/search", body)
	if err != nil {
		return pull.Step{}, err
	}
	var out struct {
		Profiles   []any `json:"profiles"`
		Pagination struct {
			Next  int `json:"next"`
			Total int `json:"total"`
		} `json:"pagination"`
	}
	if err := p.c.Decode(op, resp, &out); err != nil {
		return pull.Step{}, err
	}
	if out.Profiles == nil {
		return pull.Step{}, p.c.Malformed(op, resp, "no profiles array")
	}
	nextStart := out.Pagination.Next
	if nextStart <= cur.Start {
		nextStart = cur.Start + len(out.Profiles)
	}
	last := len(out.Profiles) < p.o.PageSize || (out.Pagination.Total > 0 && nextStart > out.Pagination.Total) || nextStart > maxStart
	items := pull.Items(out.Profiles, pull.Field("id"))
	next := cursor{Start: nextStart, Last: last}
	step := pull.Step{Rate: pull.UnknownRate()}
	if p.o.Lookup {
		next.Pos = map[string]int{}
		for _, it := range items {
			if it.Err != nil {
				step.Items = append(step.Items, it)
				continue
			}
			next.Lookup = append(next.Lookup, it.ID)
			next.Pos[it.ID] = it.At
		}
		step.Done = last && len(next.Lookup) == 0
	} else {
		step.Items, step.Done = items, last
	}
	step.Next = pull.EncodeCursor(next)
	return step, nil
}

func (p *Puller) lookup(ctx context.Context, cur cursor) (pull.Step, error) {
	id := cur.Lookup[0]
	q := url.Values{"id": {id}}
	if p.o.LookupType != "" {
		q.Set("lookup_type", p.o.LookupType)
	}
	resp, op, err := p.do(ctx, http.MethodGet, "/person/lookup?"+q.Encode(), nil)
	if err != nil {
		return pull.Step{}, err
	}
	var prof map[string]any
	if err := p.c.Decode(op, resp, &prof); err != nil {
		return pull.Step{}, err
	}
	next := cur
	next.Lookup = cur.Lookup[1:]
	step := pull.Step{Credits: 1, Rate: pull.UnknownRate()}
	if prof["status"] == "complete" {
		it := pull.Items([]any{prof}, pull.Field("id"))[0]
		it.At = cur.Pos[id]
		step.Items = []pull.Item{it}
	} else {
		next.Poll = append(append([]string(nil), cur.Poll...), id)
	}
	p.finish(&step, next)
	return step, nil
}

func (p *Puller) checkStatus(ctx context.Context, cur cursor, giveUp bool) (pull.Step, error) {
	resp, op, err := p.do(ctx, http.MethodGet, "/person/checkStatus?ids="+url.QueryEscape(strings.Join(cur.Poll, ",")), nil)
	if err != nil {
		return pull.Step{}, err
	}
	var profiles []any
	if err := p.c.Decode(op, resp, &profiles); err != nil {
		return pull.Step{}, err
	}
	done := map[string]bool{}
	step := pull.Step{Rate: pull.UnknownRate()}
	for _, el := range profiles {
		m, _ := el.(map[string]any)
		id := pull.IDString(m["id"])
		if m == nil || id == "" || m["status"] != "complete" {
			continue
		}
		done[id] = true
		step.Items = append(step.Items, pull.Item{At: cur.Pos[id], ID: id, Data: m})
	}
	next := cur
	next.Poll = nil
	for _, id := range cur.Poll {
		switch {
		case done[id]:
		case giveUp:
			step.Items = append(step.Items, pull.Item{At: cur.Pos[id], ID: id, Err: fmt.Errorf("lookup %s still in progress when polling gave up", id)})
		default:
			next.Poll = append(next.Poll, id)
		}
	}
	step.Pending = len(next.Poll) > 0
	p.finish(&step, next)
	return step, nil
}

// finish sets Next and Done once the lookup and poll queues are empty.
func (p *Puller) finish(step *pull.Step, next cursor) {
	if len(next.Lookup) == 0 && len(next.Poll) == 0 {
		next = cursor{Start: next.Start, Last: next.Last}
		step.Done = next.Last
	}
	step.Next = pull.EncodeCursor(next)
}
