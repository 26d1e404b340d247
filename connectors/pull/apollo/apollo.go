// Package apollo pulls people from Apollo.io's People API Search
// (POST /mixed_people/api_search, page/per_page, at most 500 pages) and,
// optionally, enriches every page through POST /people/bulk_match in batches
// of ten (1 credit per matched person). Search rows are free teasers without
// emails or phones; enriched rows are full person objects.
//
// Auth is the x-api-key header. Rate limits come from the
// x-{minute,hourly,daily}-requests-left headers (and the x-24-hour-* variant
// some clients report); 429 is retried after Retry-After.
package apollo

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
const Provider = "apollo"

// DefaultBaseURL is Apollo's API root.
const DefaultBaseURL = "https://api.apollo.io/api/v1"

// maxPages is Apollo's search ceiling (500 pages of 100).
const maxPages = 500

// Query holds the People API Search filters.
type Query struct {
	PersonTitles          []string `json:"person_titles,omitempty"`
	IncludeSimilarTitles  bool     `json:"include_similar_titles,omitempty"`
	Keywords              string   `json:"q_keywords,omitempty"`
	PersonLocations       []string `json:"person_locations,omitempty"`
	PersonSeniorities     []string `json:"person_seniorities,omitempty"`
	OrganizationLocations []string `json:"organization_locations,omitempty"`
	OrganizationDomains   []string `json:"q_organization_domains_list,omitempty"`
	ContactEmailStatus    []string `json:"contact_email_status,omitempty"`
	OrganizationIDs       []string `json:"organization_ids,omitempty"`
	EmployeeRanges        []string `json:"organization_num_employees_ranges,omitempty"`
}

// Options configure the puller.
type Options struct {
	APIKey  string
	BaseURL string // default DefaultBaseURL
	Query   Query
	// PerPage is the search page size, 1–100 (default 100).
	PerPage int
	// Enrich runs /people/bulk_match on every search page and emits the
	// matched people instead of the teasers. It costs credits.
	Enrich bool
	// RevealPersonalEmails asks bulk_match for personal emails.
	RevealPersonalEmails bool
	HTTPClient           *http.Client
	Now                  func() time.Time
}

// Puller implements pull.Puller for Apollo.
type Puller struct {
	o Options
	c *pull.Client
}

// New validates opts and returns a Puller.
func New(opts Options) (*Puller, error) {
	if opts.APIKey == "" {
		return nil, fmt.Errorf("apollo: an API key is required")
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
	Page   int      `json:"page"`             // next search page, 1-based
	Enrich []string `json:"enrich,omitempty"` // ids waiting for bulk_match
	At     []int    `json:"at,omitempty"`     // their positions in the search page
	Last   bool     `json:"last,omitempty"`   // the search is exhausted
}

// Provider implements pull.Puller.
func (p *Puller) Provider() string { return Provider }

// Fingerprint implements pull.Fingerprinter.
func (p *Puller) Fingerprint() string {
	return pull.FingerprintOf(struct {
		Q       Query
		PerPage int
		Enrich  bool
	}{p.o.Query, p.o.PerPage, p.o.Enrich})
}

// Cost implements pull.Puller: search is free, bulk_match costs at most one
// credit per person in the batch (no phone reveal is requested).
func (p *Puller) Cost(c string) float64 {
	var cur cursor
	if err := pull.DecodeCursor(c, &cur); err != nil {
		return 0
	}
	return float64(min(len(cur.Enrich), 10))
}

// Fetch implements pull.Puller.
func (p *Puller) Fetch(ctx context.Context, req pull.Request) (pull.Step, error) {
	cur := cursor{Page: 1}
	if err := pull.DecodeCursor(req.Cursor, &cur); err != nil {
		return pull.Step{}, err
	}
	if len(cur.Enrich) > 0 {
		return p.enrich(ctx, cur)
	}
	return p.search(ctx, cur)
}

func (p *Puller) post(ctx context.Context, path string, body any) (*pull.Response, string, error) {
	req, err := p.c.NewJSONRequest(ctx, http.MethodPost, p.o.BaseURL+path, body)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("x-api-key", p.o.APIKey)
	return p.c.Exchange(req, p.o.Now(), nil)
}

func (p *Puller) search(ctx context.Context, cur cursor) (pull.Step, error) {
	body := struct {
		Query
		Page    int `json:"page"`
		PerPage int `json:"per_page"`
	}{p.o.Query, cur.Page, p.o.PerPage}
	resp, op, err := p.post(ctx, "/mixed_people/api_search", body)
	if err != nil {
		return pull.Step{}, err
	}
	var out struct {
		TotalEntries json.Number `json:"total_entries"`
		People       []any       `json:"people"`
	}
	if err := p.c.Decode(op, resp, &out); err != nil {
		return pull.Step{}, err
	}
	if out.People == nil {
		return pull.Step{}, p.c.Malformed(op, resp, "no people array")
	}
	total, _ := out.TotalEntries.Int64()
	last := len(out.People) < p.o.PerPage || int64(cur.Page*p.o.PerPage) >= total || cur.Page >= maxPages
	items := pull.Items(out.People, pull.Field("id"))
	step := pull.Step{Rate: Rate(resp.Header, p.o.Now())}
	next := cursor{Page: cur.Page + 1, Last: last}
	if p.o.Enrich {
		// Keep malformed rows (to report); queue the good ids for bulk_match.
		var bad []pull.Item
		for _, it := range items {
			if it.Err != nil {
				bad = append(bad, it)
				continue
			}
			next.Enrich = append(next.Enrich, it.ID)
			next.At = append(next.At, it.At)
		}
		step.Items = bad
		step.Done = last && len(next.Enrich) == 0
	} else {
		step.Items = items
		step.Done = last
	}
	step.Next = pull.EncodeCursor(next)
	return step, nil
}

func (p *Puller) enrich(ctx context.Context, cur cursor) (pull.Step, error) {
	n := min(len(cur.Enrich), 10)
	ids := cur.Enrich[:n]
	details := make([]map[string]string, n)
	for i, id := range ids {
		details[i] = map[string]string{"id": id}
	}
	path := "/people/bulk_match"
	if p.o.RevealPersonalEmails {
		path += "?reveal_personal_emails=true"
	}
	resp, op, err := p.post(ctx, path, map[string]any{"details": details})
	if err != nil {
		return pull.Step{}, err
	}
	var out struct {
		Matches         []any       `json:"matches"`
		CreditsConsumed json.Number `json:"credits_consumed"`
	}
	if err := p.c.Decode(op, resp, &out); err != nil {
		return pull.Step{}, err
	}
	credits, _ := out.CreditsConsumed.Float64()
	var items []pull.Item
	for i, m := range out.Matches {
		if m == nil {
			continue // no match: not charged, nothing to emit
		}
		at := 0
		if i < n && len(cur.At) > i {
			at = cur.At[i]
		}
		it := pull.Items([]any{m}, pull.Field("id"))[0]
		it.At = at
		items = append(items, it)
	}
	next := cursor{Page: cur.Page, Enrich: cur.Enrich[n:], Last: cur.Last}
	if len(cur.At) >= n {
		next.At = cur.At[n:]
	}
	if len(next.Enrich) == 0 {
		next.Enrich, next.At = nil, nil
	}
	return pull.Step{
		Items:   items,
		Next:    pull.EncodeCursor(next),
		Done:    cur.Last && len(next.Enrich) == 0,
		Credits: credits,
		Rate:    Rate(resp.Header, p.o.Now()),
	}, nil
}

// Rate reads Apollo's fixed-window headers. Apollo sends no reset time, so
// an exhausted window is assumed to reset after its full length.
func Rate(h http.Header, now time.Time) pull.RateInfo {
	ri := pull.UnknownRate()
	for _, w := range []struct {
		limit, left []string
		length      time.Duration
	}{
		{[]string{"x-rate-limit-minute"}, []string{"x-minute-requests-left"}, time.Minute},
		{[]string{"x-rate-limit-hourly"}, []string{"x-hourly-requests-left"}, time.Hour},
		{[]string{"x-rate-limit-daily", "x-rate-limit-24-hour"}, []string{"x-daily-requests-left", "x-24-hour-requests-left"}, 24 * time.Hour},
	} {
		left, ok := pull.HeaderInt(h, w.left...)
		if !ok {
			continue
		}
		o := pull.UnknownRate()
		o.Remaining = left
		if l, ok := pull.HeaderInt(h, w.limit...); ok {
			o.Limit = l
		}
		if left == 0 {
			o.ResetAfter = w.length
			o.Reset = now.Add(w.length)
		}
		ri = ri.Tighter(o)
	}
	return ri
}
