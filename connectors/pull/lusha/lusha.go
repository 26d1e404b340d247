// Package lusha pulls contacts from Lusha's V3 API: the filter search
// POST /v3/contacts/prospecting (free, pagination{page,size}; pages are
// taken as 0-based like V2's, an inference) and, when Reveal is set, the
// reveal POST /v3/contacts/enrich for every page (credits, reported in
// billing.creditsCharged). Auth is the api_key header.
//
// Rate limits: the V3 x-{minute,hourly,daily}-requests-left headers and, on
// 429, RateLimit-Remaining/RateLimit-Reset (seconds). 402 (not enough
// credits) stops the pull; 451 (GDPR block) is permanent.
package lusha

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
const Provider = "lusha"

// DefaultBaseURL is Lusha's API root.
const DefaultBaseURL = "https://api.lusha.com"

// Query holds prospecting filters (contacts.include and companies.include).
type Query struct {
	JobTitles      []string `json:"jobTitles,omitempty"`
	SeniorityIDs   []int    `json:"seniorityIds,omitempty"`
	Departments    []string `json:"departments,omitempty"`
	Locations      []any    `json:"locations,omitempty"`
	CompanyDomains []string `json:"-"`
	CompanyNames   []string `json:"-"`
}

// Options configure the puller.
type Options struct {
	APIKey  string
	BaseURL string
	Query   Query
	// PageSize is the prospecting page size (default 50, max 100).
	PageSize int
	// Reveal lists what to reveal ("emails", "phones"); empty emits the
	// free prospecting rows without reveal.
	Reveal           []string
	WaterfallEnabled bool
	HTTPClient       *http.Client
	Now              func() time.Time
}

// Puller implements pull.Puller for Lusha.
type Puller struct {
	o Options
	c *pull.Client
}

// New validates opts and returns a Puller.
func New(opts Options) (*Puller, error) {
	if opts.APIKey == "" {
		return nil, fmt.Errorf("lusha: an API key is required")
	}
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	if opts.PageSize <= 0 || opts.PageSize > 100 {
		opts.PageSize = 50
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Puller{o: opts, c: pull.NewClient(Provider, opts.HTTPClient, opts.APIKey)}, nil
}

type cursor struct {
	Page   int       `json:"page"` // next prospecting page, 0-based
	Reveal []string  `json:"reveal,omitempty"`
	Cost   []float64 `json:"cost,omitempty"` // max credits per id
	At     []int     `json:"at,omitempty"`
	Last   bool      `json:"last,omitempty"`
}

// Provider implements pull.Puller.
func (p *Puller) Provider() string { return Provider }

// Fingerprint implements pull.Fingerprinter.
func (p *Puller) Fingerprint() string {
	return pull.FingerprintOf(struct {
		Q      Query
		D, N   []string
		Size   int
		Reveal []string
	}{p.o.Query, p.o.Query.CompanyDomains, p.o.Query.CompanyNames, p.o.PageSize, p.o.Reveal})
}

// Cost implements pull.Puller: the reveal's advertised canReveal credits.
func (p *Puller) Cost(c string) float64 {
	var cur cursor
	if pull.DecodeCursor(c, &cur) != nil {
		return 0
	}
	sum := 0.0
	for _, v := range cur.Cost {
		sum += v
	}
	return sum
}

// Fetch implements pull.Puller.
func (p *Puller) Fetch(ctx context.Context, req pull.Request) (pull.Step, error) {
	var cur cursor
	if err := pull.DecodeCursor(req.Cursor, &cur); err != nil {
		return pull.Step{}, err
	}
	if len(cur.Reveal) > 0 {
		return p.enrich(ctx, cur)
	}
	return p.prospect(ctx, cur)
}

func (p *Puller) post(ctx context.Context, path string, body any) (*pull.Response, string, error) {
	req, err := p.c.NewJSONRequest(ctx, http.MethodPost, p.o.BaseURL+path, body)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("api_key", p.o.APIKey)
	resp, op, err := p.c.Exchange(req, p.o.Now(), func(op string, r *pull.Response) error {
		if r.Status == http.StatusUnavailableForLegalReasons {
			return &pull.Error{Provider: Provider, Kind: pull.KindPermanent, Op: op, Status: r.Status, Msg: "blocked for GDPR: " + p.c.Excerpt(r.Body)}
		}
		return nil
	})
	if pe, ok := err.(*pull.Error); ok && pe.Kind == pull.KindRateLimited && pe.RetryAfter == 0 {
		pe.RetryAfter = Rate(resp.Header, p.o.Now()).ResetAfter
	}
	return resp, op, err
}

func (p *Puller) prospect(ctx context.Context, cur cursor) (pull.Step, error) {
	filters := map[string]any{}
	filters["contacts"] = map[string]any{"include": p.o.Query}
	comp := map[string]any{}
	if len(p.o.Query.CompanyDomains) > 0 {
		comp["domains"] = p.o.Query.CompanyDomains
	}
	if len(p.o.Query.CompanyNames) > 0 {
		comp["names"] = p.o.Query.CompanyNames
	}
	if len(comp) > 0 {
		filters["companies"] = map[string]any{"include": comp}
	}
	body := map[string]any{"pagination": map[string]int{"page": cur.Page, "size": p.o.PageSize}, "filters": filters}
	resp, op, err := p.post(ctx, "/v3/contacts/prospecting", body)
	if err != nil {
		return pull.Step{}, err
	}
	var out struct {
		Results    []any `json:"results"`
		Pagination struct {
			Total int `json:"total"`
		} `json:"pagination"`
	}
	if err := p.c.Decode(op, resp, &out); err != nil {
		return pull.Step{}, err
	}
	if out.Results == nil {
		return pull.Step{}, p.c.Malformed(op, resp, "no results array")
	}
	last := len(out.Results) < p.o.PageSize || (cur.Page+1)*p.o.PageSize >= out.Pagination.Total
	items := pull.Items(out.Results, pull.Field("id"))
	step := pull.Step{Rate: Rate(resp.Header, p.o.Now())}
	next := cursor{Page: cur.Page + 1, Last: last}
	if len(p.o.Reveal) == 0 {
		step.Items, step.Done = items, last
	} else {
		for _, it := range items {
			if it.Err != nil {
				step.Items = append(step.Items, it)
				continue
			}
			next.Reveal = append(next.Reveal, it.ID)
			next.Cost = append(next.Cost, p.revealCost(it.Data))
			next.At = append(next.At, it.At)
		}
		step.Done = last && len(next.Reveal) == 0
	}
	step.Next = pull.EncodeCursor(next)
	return step, nil
}

// revealCost sums canReveal credits for the requested fields; a field the
// row does not advertise is assumed to cost one credit.
func (p *Puller) revealCost(row map[string]any) float64 {
	adv := map[string]float64{}
	if list, ok := row["canReveal"].([]any); ok {
		for _, el := range list {
			m, _ := el.(map[string]any)
			f, _ := m["field"].(string)
			if n, ok := m["credits"].(json.Number); ok {
				adv[f], _ = n.Float64()
			}
		}
	}
	sum := 0.0
	for _, f := range p.o.Reveal {
		if v, ok := adv[f]; ok {
			sum += v
		} else {
			sum++
		}
	}
	return sum
}

func (p *Puller) enrich(ctx context.Context, cur cursor) (pull.Step, error) {
	ids := cur.Reveal
	if len(ids) > 100 {
		ids = ids[:100]
	}
	body := map[string]any{"ids": ids, "reveal": p.o.Reveal, "waterfallEnabled": p.o.WaterfallEnabled}
	resp, op, err := p.post(ctx, "/v3/contacts/enrich", body)
	if err != nil {
		return pull.Step{}, err
	}
	var out struct {
		Results []any `json:"results"`
		Billing struct {
			CreditsCharged json.Number `json:"creditsCharged"`
		} `json:"billing"`
	}
	if err := p.c.Decode(op, resp, &out); err != nil {
		return pull.Step{}, err
	}
	pos := map[string]int{}
	for i, id := range ids {
		if i < len(cur.At) {
			pos[id] = cur.At[i]
		}
	}
	items := pull.Items(out.Results, pull.Field("id"))
	for i := range items {
		items[i].At = pos[items[i].ID]
		if items[i].Err == nil {
			if e, _ := items[i].Data["error"].(map[string]any); e != nil {
				items[i].Err = fmt.Errorf("reveal failed: %v", e["message"])
			}
		}
	}
	credits, _ := out.Billing.CreditsCharged.Float64()
	n := len(ids)
	next := cursor{Page: cur.Page, Last: cur.Last}
	if n < len(cur.Reveal) {
		next.Reveal, next.Cost, next.At = cur.Reveal[n:], cur.Cost[n:], cur.At[n:]
	}
	return pull.Step{Items: items, Next: pull.EncodeCursor(next), Done: cur.Last && len(next.Reveal) == 0,
		Credits: credits, Rate: Rate(resp.Header, p.o.Now())}, nil
}

// Rate reads the V3 window headers and the V2 / 429 RateLimit-* trio.
func Rate(h http.Header, now time.Time) pull.RateInfo {
	ri := pull.Window(h, now, "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
	for _, w := range []struct {
		name   string
		length time.Duration
	}{{"minute", time.Minute}, {"hourly", time.Hour}, {"daily", 24 * time.Hour}} {
		o := pull.Window(h, now, "x-rate-limit-"+w.name, "x-"+w.name+"-requests-left", "")
		if o.Remaining == 0 {
			o.ResetAfter, o.Reset = w.length, now.Add(w.length)
		}
		ri = ri.Tighter(o)
	}
	return ri
}
