// Package seamless pulls contacts from Seamless.AI's client API, whose
// enrichment is asynchronous: POST /search/contacts (free, nextToken
// cursor) → POST /contacts/research with the page's searchResultIds (202,
// requestIds, one credit per contact) → GET /contacts/research/poll until
// every request reaches a terminal status. Only "done" carries a contact;
// other terminal statuses are reported as malformed records with the status.
// Auth is the Token header (no scheme word).
//
// Rate limits come from X-RateLimit-{Limit,Remaining,Reset} (epoch seconds)
// and the credit balance from X-PublicAPI-Credits. 422 insufficientCredits
// or missingLicense stops the pull.
package seamless

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/leadstream/leadstream/connectors/pull"
)

// Provider is the source key.
const Provider = "seamless"

// DefaultBaseURL is Seamless.AI's API root.
const DefaultBaseURL = "https://api.seamless.ai/api/client/v1"

// Query holds /search/contacts filters (arrays, as the API takes them).
type Query struct {
	CompanyName    []string `json:"companyName,omitempty"`
	CompanyDomain  []string `json:"companyDomain,omitempty"`
	JobTitle       []string `json:"jobTitle,omitempty"`
	Seniority      []string `json:"seniority,omitempty"`
	Department     []string `json:"department,omitempty"`
	Industry       []string `json:"industry,omitempty"`
	ContactState   []string `json:"contactState,omitempty"`
	ContactCountry []string `json:"contactCountry,omitempty"`
	LocationType   string   `json:"locationType,omitempty"`
	CompanySize    []string `json:"companySize,omitempty"`
	Technologies   []string `json:"technologies,omitempty"`
}

// Options configure the puller.
type Options struct {
	APIKey  string
	BaseURL string
	Query   Query
	// Limit is the search page size (default 50, max 100 so that one page
	// fits one research request).
	Limit int
	// SearchOnly emits the free search rows instead of researching them.
	SearchOnly bool
	HTTPClient *http.Client
	Now        func() time.Time
}

// Puller implements pull.Puller for Seamless.AI.
type Puller struct {
	o Options
	c *pull.Client
}

// New validates opts and returns a Puller.
func New(opts Options) (*Puller, error) {
	if opts.APIKey == "" {
		return nil, fmt.Errorf("seamless: an API key is required")
	}
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	if opts.Limit <= 0 || opts.Limit > 100 {
		opts.Limit = 50
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Puller{o: opts, c: pull.NewClient(Provider, opts.HTTPClient, opts.APIKey)}, nil
}

// cursor: exactly one of Research / Poll is non-empty between search pages.
type cursor struct {
	NextToken string         `json:"nextToken,omitempty"`
	Last      bool           `json:"last,omitempty"`
	Research  []string       `json:"research,omitempty"` // searchResultIds to research
	Poll      []string       `json:"poll,omitempty"`     // requestIds still running
	Pos       map[string]int `json:"pos,omitempty"`      // searchResultId → position in its search page
}

// Provider implements pull.Puller.
func (p *Puller) Provider() string { return Provider }

// Fingerprint implements pull.Fingerprinter.
func (p *Puller) Fingerprint() string {
	return pull.FingerprintOf(struct {
		Q     Query
		Limit int
		S     bool
	}{p.o.Query, p.o.Limit, p.o.SearchOnly})
}

// Cost implements pull.Puller: research costs one credit per contact.
func (p *Puller) Cost(c string) float64 {
	var cur cursor
	if pull.DecodeCursor(c, &cur) != nil {
		return 0
	}
	return float64(len(cur.Research))
}

// Fetch implements pull.Puller.
func (p *Puller) Fetch(ctx context.Context, req pull.Request) (pull.Step, error) {
	var cur cursor
	if err := pull.DecodeCursor(req.Cursor, &cur); err != nil {
		return pull.Step{}, err
	}
	switch {
	case len(cur.Research) > 0:
		return p.research(ctx, cur)
	case len(cur.Poll) > 0:
		return p.poll(ctx, cur, req.GiveUpPending)
	}
	return p.search(ctx, cur)
}

func (p *Puller) do(ctx context.Context, method, path string, body any) (*pull.Response, string, error) {
	req, err := p.c.NewJSONRequest(ctx, method, p.o.BaseURL+path, body)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Token", p.o.APIKey)
	return p.c.Exchange(req, p.o.Now(), p.quotaError)
}

// quotaError reads Seamless's 422 answers that mean "no credits left".
func (p *Puller) quotaError(op string, r *pull.Response) error {
	if r.Status != http.StatusUnprocessableEntity {
		return nil
	}
	var e struct {
		Msg  string `json:"msg"`
		Code string `json:"code"`
	}
	_ = json.Unmarshal(r.Body, &e)
	if e.Code == "insufficientCredits" || e.Code == "missingLicense" {
		return &pull.Error{Provider: Provider, Kind: pull.KindQuota, Op: op, Status: r.Status, Msg: e.Code + ": " + p.c.Redact(e.Msg)}
	}
	return nil
}

func (p *Puller) search(ctx context.Context, cur cursor) (pull.Step, error) {
	body := map[string]any{}
	b, _ := json.Marshal(p.o.Query)
	_ = json.Unmarshal(b, &body)
	body["limit"] = p.o.Limit
	if cur.NextToken != "" {
		body["nextToken"] = cur.NextToken
	}
	resp, op, err := p.do(ctx, http.MethodPost, "/search/contacts", body)
	if err != nil {
		return pull.Step{}, err
	}
	var out struct {
		Data         []any `json:"data"`
		Supplemental struct {
			IsMore    bool   `json:"isMore"`
			NextToken string `json:"nextToken"`
		} `json:"supplementalData"`
	}
	if err := p.c.Decode(op, resp, &out); err != nil {
		return pull.Step{}, err
	}
	if out.Data == nil {
		return pull.Step{}, p.c.Malformed(op, resp, "no data array")
	}
	last := !out.Supplemental.IsMore || out.Supplemental.NextToken == ""
	items := pull.Items(out.Data, pull.Field("searchResultId"))
	step := pull.Step{Rate: Rate(resp.Header, p.o.Now())}
	next := cursor{NextToken: out.Supplemental.NextToken, Last: last}
	if p.o.SearchOnly {
		step.Items, step.Done = items, last
	} else {
		next.Pos = map[string]int{}
		for _, it := range items {
			if it.Err != nil {
				step.Items = append(step.Items, it)
				continue
			}
			next.Research = append(next.Research, it.ID)
			next.Pos[it.ID] = it.At
		}
		step.Done = last && len(next.Research) == 0
	}
	step.Next = pull.EncodeCursor(next)
	return step, nil
}

func (p *Puller) research(ctx context.Context, cur cursor) (pull.Step, error) {
	resp, op, err := p.do(ctx, http.MethodPost, "/contacts/research", map[string]any{"searchResultIds": cur.Research})
	if err != nil {
		return pull.Step{}, err
	}
	var out struct {
		RequestIDs []string `json:"requestIds"`
	}
	if err := p.c.Decode(op, resp, &out); err != nil {
		return pull.Step{}, err
	}
	if len(out.RequestIDs) == 0 {
		return pull.Step{}, p.c.Malformed(op, resp, "no requestIds")
	}
	next := cur
	next.Research, next.Poll = nil, out.RequestIDs
	return pull.Step{Next: pull.EncodeCursor(next), Credits: float64(len(cur.Research)), Rate: Rate(resp.Header, p.o.Now())}, nil
}

var running = map[string]bool{"queued": true, "researching": true}

func (p *Puller) poll(ctx context.Context, cur cursor, giveUp bool) (pull.Step, error) {
	batch := cur.Poll
	if len(batch) > 100 {
		batch = batch[:100]
	}
	resp, op, err := p.do(ctx, http.MethodGet, "/contacts/research/poll?requestIds="+url.QueryEscape(strings.Join(batch, ",")), nil)
	if err != nil {
		return pull.Step{}, err
	}
	var out struct {
		Data []struct {
			RequestID      string         `json:"requestId"`
			SearchResultID string         `json:"searchResultId"`
			Status         string         `json:"status"`
			Message        string         `json:"message"`
			Contact        map[string]any `json:"contact"`
		} `json:"data"`
	}
	if err := p.c.Decode(op, resp, &out); err != nil {
		return pull.Step{}, err
	}
	seen := map[string]bool{}
	var items []pull.Item
	var still []string
	var stop error
	for _, d := range out.Data {
		seen[d.RequestID] = true
		at := cur.Pos[d.SearchResultID]
		switch {
		case running[d.Status] && !giveUp:
			still = append(still, d.RequestID)
		case running[d.Status]:
			items = append(items, pull.Item{At: at, ID: d.SearchResultID, Err: fmt.Errorf("research request %s still %s when polling gave up", d.RequestID, d.Status)})
		case d.Status == "done" && d.Contact != nil:
			it := pull.Items([]any{d.Contact}, pull.Field("contactId"))[0]
			it.At = at
			items = append(items, it)
		case d.Status == "No license or credits available":
			stop = &pull.Error{Provider: Provider, Kind: pull.KindQuota, Op: op, Status: resp.Status, Msg: d.Status}
			items = append(items, pull.Item{At: at, ID: d.SearchResultID, Err: fmt.Errorf("research request %s: %s", d.RequestID, d.Status)})
		default:
			items = append(items, pull.Item{At: at, ID: d.SearchResultID, Err: fmt.Errorf("research request %s ended %q: %s", d.RequestID, d.Status, d.Message)})
		}
	}
	for _, id := range batch {
		if !seen[id] && !giveUp {
			still = append(still, id) // not reported yet: keep polling
		}
	}
	next := cur
	next.Poll = append(still, cur.Poll[len(batch):]...)
	pending := len(next.Poll) > 0
	if !pending {
		next = cursor{NextToken: cur.NextToken, Last: cur.Last}
	}
	return pull.Step{Items: items, Next: pull.EncodeCursor(next), Pending: pending && len(still) > 0,
		Done: !pending && cur.Last, Rate: Rate(resp.Header, p.o.Now()), Stop: stop}, nil
}

// Rate reads X-RateLimit-* (reset in epoch seconds) and X-PublicAPI-Credits.
func Rate(h http.Header, now time.Time) pull.RateInfo {
	ri := pull.Window(h, now, "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
	if v, ok := pull.HeaderFloat(h, "X-PublicAPI-Credits"); ok {
		ri.CreditsLeft = v
	}
	return ri
}
