// Package zoominfo pulls contacts from ZoomInfo's GTM Data API V1:
// POST /gtm/data/v1/contacts/search (JSON:API, page[number]/page[size] ≤100,
// free) and optionally POST /gtm/data/v1/contacts/enrich in batches of 25
// (1 credit per new record). Auth is an OAuth2 client-credentials token from
// POST /gtm/oauth/v1/token (Basic client_id:client_secret), refreshed before
// it expires and once after a 401.
//
// Rate limits come from X-RateLimit-{Limit,Remaining}-{Second,Hour,Day}; a
// 429 carries Retry-After. An enrich answer whose matchStatus is
// LIMIT_EXCEEDED stops the pull as a quota error.
package zoominfo

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
const Provider = "zoominfo"

// DefaultBaseURL is the API host; paths start with /gtm.
const DefaultBaseURL = "https://api.zoominfo.com"

// Query holds ContactSearch attributes.
type Query struct {
	JobTitle                string `json:"jobTitle,omitempty"`
	ManagementLevel         string `json:"managementLevel,omitempty"`
	Department              string `json:"department,omitempty"`
	CompanyID               string `json:"companyId,omitempty"`
	CompanyName             string `json:"companyName,omitempty"`
	CompanyWebsite          string `json:"companyWebsite,omitempty"`
	ZipCode                 string `json:"zipCode,omitempty"`
	LocationSearchType      string `json:"locationSearchType,omitempty"`
	RequiredFields          string `json:"requiredFields,omitempty"`
	ContactAccuracyScoreMin string `json:"contactAccuracyScoreMin,omitempty"`
}

// Options configure the puller.
type Options struct {
	ClientID     string
	ClientSecret string
	BaseURL      string // default DefaultBaseURL
	Query        Query
	PageSize     int // 1–100, default 100
	// Enrich emits enriched contacts (credits) instead of search rows.
	Enrich       bool
	OutputFields []string // enrich outputFields; default a useful set
	HTTPClient   *http.Client
	Now          func() time.Time
}

// Puller implements pull.Puller for ZoomInfo GTM.
type Puller struct {
	o Options
	c *pull.Client

	mu      sync.Mutex
	token   string
	expires time.Time
}

// New validates opts and returns a Puller.
func New(opts Options) (*Puller, error) {
	if opts.ClientID == "" || opts.ClientSecret == "" {
		return nil, fmt.Errorf("zoominfo: client id and client secret are required")
	}
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	if opts.PageSize <= 0 || opts.PageSize > 100 {
		opts.PageSize = 100
	}
	if len(opts.OutputFields) == 0 {
		opts.OutputFields = []string{"id", "firstName", "lastName", "email", "phone", "mobilePhone", "jobTitle",
			"managementLevel", "jobFunction", "city", "state", "country", "externalUrls", "contactAccuracyScore", "company"}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Puller{o: opts, c: pull.NewClient(Provider, opts.HTTPClient, opts.ClientSecret)}, nil
}

type cursor struct {
	Page   int      `json:"page"`
	Enrich []string `json:"enrich,omitempty"`
	At     []int    `json:"at,omitempty"`
	Last   bool     `json:"last,omitempty"`
}

const enrichBatch = 25

// Provider implements pull.Puller.
func (p *Puller) Provider() string { return Provider }

// Fingerprint implements pull.Fingerprinter.
func (p *Puller) Fingerprint() string {
	return pull.FingerprintOf(struct {
		Q      Query
		Size   int
		Enrich bool
	}{p.o.Query, p.o.PageSize, p.o.Enrich})
}

// Cost implements pull.Puller: search is free; enrich costs at most one
// credit per contact in the batch.
func (p *Puller) Cost(c string) float64 {
	var cur cursor
	if pull.DecodeCursor(c, &cur) != nil {
		return 0
	}
	return float64(min(len(cur.Enrich), enrichBatch))
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

func (p *Puller) bearer(ctx context.Context, refresh bool) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !refresh && p.token != "" && p.o.Now().Before(p.expires) {
		return p.token, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.o.BaseURL+"/gtm/oauth/v1/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("zoominfo: building token request: %w", err)
	}
	req.SetBasicAuth(p.o.ClientID, p.o.ClientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, op, err := p.c.Exchange(req, p.o.Now(), nil)
	if err != nil {
		if pe, ok := err.(*pull.Error); ok && resp != nil && resp.Status == http.StatusBadRequest {
			pe.Kind = pull.KindAuth // invalid_client is answered 400 by some OAuth servers
		}
		return "", err
	}
	var tok struct {
		AccessToken string      `json:"access_token"`
		ExpiresIn   json.Number `json:"expires_in"`
	}
	if err := p.c.Decode(op, resp, &tok); err != nil {
		return "", err
	}
	if tok.AccessToken == "" {
		return "", p.c.Malformed(op, resp, "no access_token")
	}
	secs, err := tok.ExpiresIn.Int64()
	if err != nil || secs <= 0 {
		secs = 3600
	}
	p.c.AddSecret(tok.AccessToken)
	p.token = tok.AccessToken
	// Refresh five minutes early (or at 90% for short-lived tokens).
	life := time.Duration(secs) * time.Second
	p.expires = p.o.Now().Add(life - min(5*time.Minute, life/10))
	return p.token, nil
}

func (p *Puller) post(ctx context.Context, path string, body any) (*pull.Response, string, error) {
	for attempt := 0; ; attempt++ {
		tok, err := p.bearer(ctx, attempt > 0)
		if err != nil {
			return nil, "", err
		}
		req, err := p.c.NewJSONRequest(ctx, http.MethodPost, p.o.BaseURL+path, body)
		if err != nil {
			return nil, "", err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/vnd.api+json")
		req.Header.Set("Accept", "application/vnd.api+json")
		resp, op, err := p.c.Exchange(req, p.o.Now(), nil)
		if err != nil && resp != nil && resp.Status == http.StatusUnauthorized && attempt == 0 {
			continue // token revoked or expired early: fetch a new one once
		}
		return resp, op, err
	}
}

func (p *Puller) search(ctx context.Context, cur cursor) (pull.Step, error) {
	path := fmt.Sprintf("/gtm/data/v1/contacts/search?%s=%d&%s=%d",
		url.QueryEscape("page[number]"), cur.Page, url.QueryEscape("page[size]"), p.o.PageSize)
	body := map[string]any{"data": map[string]any{"type": "ContactSearch", "attributes": p.o.Query}}
	resp, op, err := p.post(ctx, path, body)
	if err != nil {
		return pull.Step{}, err
	}
	var out struct {
		Data []any `json:"data"`
		Meta struct {
			TotalResults json.Number `json:"totalResults"`
			Page         struct {
				Total  json.Number `json:"total"`
				Number json.Number `json:"number"`
			} `json:"page"`
		} `json:"meta"`
		Links struct {
			Next string `json:"next"`
		} `json:"links"`
	}
	if err := p.c.Decode(op, resp, &out); err != nil {
		return pull.Step{}, err
	}
	if out.Data == nil {
		return pull.Step{}, p.c.Malformed(op, resp, "no data array")
	}
	totalPages, _ := out.Meta.Page.Total.Int64()
	last := len(out.Data) < p.o.PageSize || (totalPages > 0 && int64(cur.Page) >= totalPages)
	items := pull.Items(out.Data, pull.Field("id"))
	step := pull.Step{Rate: Rate(resp.Header, p.o.Now())}
	next := cursor{Page: cur.Page + 1, Last: last}
	if p.o.Enrich {
		for _, it := range items {
			if it.Err != nil {
				step.Items = append(step.Items, it)
				continue
			}
			next.Enrich = append(next.Enrich, it.ID)
			next.At = append(next.At, it.At)
		}
		step.Done = last && len(next.Enrich) == 0
	} else {
		step.Items = items
		step.Done = last
	}
	step.Next = pull.EncodeCursor(next)
	return step, nil
}

func (p *Puller) enrich(ctx context.Context, cur cursor) (pull.Step, error) {
	n := min(len(cur.Enrich), enrichBatch)
	inputs := make([]map[string]any, n)
	for i, id := range cur.Enrich[:n] {
		inputs[i] = map[string]any{"personId": json.Number(id)}
		if _, err := strconv.ParseInt(id, 10, 64); err != nil {
			inputs[i] = map[string]any{"personId": id}
		}
	}
	body := map[string]any{"data": map[string]any{"type": "ContactEnrich", "attributes": map[string]any{
		"matchPersonInput": inputs, "outputFields": p.o.OutputFields}}}
	resp, op, err := p.post(ctx, "/gtm/data/v1/contacts/enrich", body)
	if err != nil {
		return pull.Step{}, err
	}
	var out struct {
		Data []any `json:"data"`
	}
	if err := p.c.Decode(op, resp, &out); err != nil {
		return pull.Step{}, err
	}
	var items []pull.Item
	var retry []string // LIMIT_EXCEEDED: try again after the quota resets
	var retryAt []int
	var stop error
	credits := 0.0
	for i, el := range out.Data {
		at := 0
		if i < len(cur.At) && i < n {
			at = cur.At[i]
		}
		obj, _ := el.(map[string]any)
		meta, _ := obj["meta"].(map[string]any)
		status, _ := meta["matchStatus"].(string)
		switch status {
		case "LIMIT_EXCEEDED":
			stop = &pull.Error{Provider: Provider, Kind: pull.KindQuota, Op: op, Status: resp.Status, Msg: "matchStatus LIMIT_EXCEEDED"}
			if i < n {
				retry, retryAt = append(retry, cur.Enrich[i]), append(retryAt, at)
			}
		case "FULL_MATCH", "CONTACT_ONLY_MATCH":
			it := pull.Items([]any{el}, pull.Field("id"))[0]
			it.At = at
			items = append(items, it)
			credits++
		case "":
			items = append(items, pull.Item{At: at, Err: fmt.Errorf("enrich result %d has no matchStatus", i)})
		default:
			// NO_MATCH, OPT_OUT, NON_MATCH_BY_*: nothing to ingest, no charge.
		}
	}
	next := cursor{Page: cur.Page, Enrich: append(retry, cur.Enrich[n:]...), Last: cur.Last}
	if len(cur.At) >= n {
		next.At = append(retryAt, cur.At[n:]...)
	}
	if len(next.Enrich) == 0 {
		next.Enrich, next.At = nil, nil
	}
	return pull.Step{Items: items, Next: pull.EncodeCursor(next), Done: cur.Last && len(next.Enrich) == 0,
		Credits: credits, Rate: Rate(resp.Header, p.o.Now()), Stop: stop}, nil
}

// Rate reads the GTM per-second, per-hour and per-day headers.
func Rate(h http.Header, now time.Time) pull.RateInfo {
	ri := pull.UnknownRate()
	for _, w := range []struct {
		suffix string
		length time.Duration
	}{{"Second", time.Second}, {"Hour", time.Hour}, {"Day", 24 * time.Hour}} {
		o := pull.Window(h, now, "X-RateLimit-Limit-"+w.suffix, "X-RateLimit-Remaining-"+w.suffix, "")
		if o.Remaining == 0 {
			o.ResetAfter, o.Reset = w.length, now.Add(w.length)
		}
		ri = ri.Tighter(o)
	}
	if ri.Remaining < 0 { // legacy trio
		ri = pull.Window(h, now, "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
	}
	return ri
}
