// Package apollo is the Apollo.io enrichment client: POST /people/match
// for one person and POST /people/bulk_match for two to ten (matched by
// e-mail, LinkedIn URL or name with domain), for e-mail, LinkedIn and the
// organisation's facts;
// phone reveals (reveal_phone_number) arrive asynchronously at the
// request's webhook_url and are read back with the free GET
// /webhook_result/{request_id}, which also reconciles a reveal whose answer
// a crash lost; GET /organizations/enrich for a company by domain, with
// its funding_events (amounts in USD only) and twelve-month headcount
// growth (a fraction) for CF_103. Bulk
// endpoints get a tenth of the single-record rate, so requests are paced
// at 5 a second by default.
package apollo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/connectors/pull"
	"github.com/leadstream/leadstream/internal/lead"
)

// Provider is the source key.
const Provider = "apollo"

// DefaultBaseURL is Apollo's API root.
const DefaultBaseURL = "https://api.apollo.io/api/v1"

// DefaultWebhookURL is sent when no receiver is configured: Apollo needs a
// webhook_url with a phone reveal; the client then reads the result from
// /webhook_result.
const DefaultWebhookURL = "https://leadstream.invalid/apollo/webhook"

// Config adds Apollo's settings to the common ones.
type Config struct {
	enrich.ClientConfig
	// WebhookURL receives phone reveals (default DefaultWebhookURL).
	WebhookURL string
	// PollEvery is the wait between /webhook_result reads (default 200ms).
	PollEvery time.Duration
	// PollFor bounds the wait for a reveal (default 2 minutes).
	PollFor time.Duration
	// Inbox receives the deliveries to WebhookURL (nil: none; every reveal
	// is read from /webhook_result).
	Inbox *Inbox
}

// Client enriches people and companies through Apollo.
type Client struct {
	cfg  Config
	base string
	c    *enrich.Caller
}

// New returns a client.
func New(cfg Config) *Client {
	if cfg.WebhookURL == "" {
		cfg.WebhookURL = DefaultWebhookURL
	}
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = 200 * time.Millisecond
	}
	if cfg.PollFor <= 0 {
		cfg.PollFor = 2 * time.Minute
	}
	return &Client{cfg: cfg, base: cfg.Base(DefaultBaseURL), c: enrich.NewCaller(Provider, cfg.HTTP, cfg.Rate(5), 5, cfg.APIKey)}
}

// Name implements enrich.Provider.
func (*Client) Name() string { return Provider }

// Fills implements enrich.Provider.
func (*Client) Fills() []enrich.Attribute {
	return []enrich.Attribute{enrich.Email, enrich.Phone, enrich.Mobile, enrich.Company}
}

// BatchSize implements enrich.Provider.
func (*Client) BatchSize() int { return 10 }

// Cost implements enrich.Provider: 1 per match, +8 when a mobile is revealed.
func (*Client) Cost(want []enrich.Attribute) float64 {
	for _, a := range want {
		if a == enrich.Mobile || a == enrich.Phone {
			return 9
		}
	}
	return 1
}

func (cl *Client) request(ctx context.Context, method, path string, body []byte) (*pull.Response, error) {
	return cl.c.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		var rd *bytes.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		var req *http.Request
		var err error
		if rd != nil {
			req, err = http.NewRequestWithContext(ctx, method, cl.base+path, rd)
		} else {
			req, err = http.NewRequestWithContext(ctx, method, cl.base+path, nil)
		}
		if err != nil {
			return nil, err
		}
		req.Header.Set("x-api-key", cl.cfg.APIKey)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Cache-Control", "no-cache")
		return req, nil
	}, nil)
}

type phone struct {
	SanitizedNumber string `json:"sanitized_number"`
	RawNumber       string `json:"raw_number"`
	Type            string `json:"type"`
	TypeCD          string `json:"type_cd"`
}

type person struct {
	ID                          string  `json:"id"`
	Email                       string  `json:"email"`
	EmailStatus                 string  `json:"email_status"`
	ExtrapolatedEmailConfidence float64 `json:"extrapolated_email_confidence"`
	LinkedInURL                 string  `json:"linkedin_url"`
	PhoneNumbers                []phone `json:"phone_numbers"`
	Organization                *org    `json:"organization"`
}

type org struct {
	Name                  string   `json:"name"`
	Industry              string   `json:"industry"`
	EstimatedNumEmployees int64    `json:"estimated_num_employees"`
	AnnualRevenue         float64  `json:"annual_revenue"`
	TechnologyNames       []string `json:"technology_names"`
	LinkedInURL           string   `json:"linkedin_url"`
	FoundedYear           int      `json:"founded_year"`
	// HeadcountGrowth12 is a fraction (0.12 = 12 %); nil when absent.
	HeadcountGrowth12 *float64 `json:"organization_headcount_twelve_month_growth"`
	FundingEvents     []struct {
		Date     string  `json:"date"`
		Type     string  `json:"type"`
		Amount   float64 `json:"amount"`
		Currency string  `json:"currency"`
	} `json:"funding_events"`
}

func (o *org) facts() enrich.CompanyFacts {
	if o == nil {
		return enrich.CompanyFacts{}
	}
	f := enrich.CompanyFacts{Name: o.Name, Industry: o.Industry, EmployeesMin: o.EstimatedNumEmployees, EmployeesMax: o.EstimatedNumEmployees,
		RevenueMin: int64(o.AnnualRevenue), RevenueMax: int64(o.AnnualRevenue), Technologies: o.TechnologyNames, LinkedIn: o.LinkedInURL, FoundedYear: o.FoundedYear}
	for _, e := range o.FundingEvents {
		date := e.Date
		if len(date) > 10 {
			date = date[:10]
		}
		fe := lead.FundingEvent{Type: strings.TrimSpace(e.Type), Date: date}
		if c := strings.TrimSpace(e.Currency); c == "" || c == "$" || strings.EqualFold(c, "USD") {
			fe.AmountUSD = int64(e.Amount) // another currency has no known rate: the amount is dropped
		}
		if fe.Date != "" && (fe.Type != "" || fe.AmountUSD > 0) {
			f.FundingEvents = append(f.FundingEvents, fe)
		}
	}
	if g := o.HeadcountGrowth12; g != nil {
		pct := math.Round(*g*1000) / 10
		f.Growth = &lead.Growth{EmployeeGrowthPct: &pct}
	}
	return f
}

func applyPhones(r *enrich.Result, phones []phone) {
	for _, ph := range phones {
		n := ph.SanitizedNumber
		if n == "" {
			n = ph.RawNumber
		}
		kind := strings.ToLower(ph.TypeCD + ph.Type)
		switch {
		case strings.Contains(kind, "mobile"):
			if r.Mobile == "" {
				r.Mobile = n
			}
		case strings.Contains(kind, "hq"), strings.Contains(kind, "company"):
		default:
			if r.Phone == "" {
				r.Phone = n
			}
		}
	}
}

// Enrich implements enrich.Provider.
func (cl *Client) Enrich(ctx context.Context, people []enrich.Person, want []enrich.Attribute) ([]enrich.Result, error) {
	details := make([]map[string]string, len(people))
	for i, p := range people {
		d := map[string]string{}
		for k, v := range map[string]string{"first_name": p.FirstName, "last_name": p.LastName, "domain": p.Domain,
			"organization_name": p.Company, "email": p.Email, "linkedin_url": p.LinkedIn} {
			if v != "" {
				d[k] = v
			}
		}
		details[i] = d
	}
	q := url.Values{}
	reveal := false
	for _, a := range want {
		if a == enrich.Phone || a == enrich.Mobile {
			reveal = true
		}
	}
	if reveal {
		q.Set("reveal_phone_number", "true")
		q.Set("webhook_url", cl.cfg.WebhookURL)
	}
	var ans struct {
		Matches   []*person   `json:"matches"`
		RequestID json.Number `json:"request_id"`
	}
	if len(people) == 1 {
		// One person: the single-record endpoint, whose rate limit is ten
		// times bulk_match's.
		one, err := cl.matchOne(ctx, details[0], q)
		if err != nil {
			return nil, err
		}
		ans.Matches, ans.RequestID = []*person{one.Person}, one.RequestID
	} else {
		path := "/people/bulk_match"
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
		body, _ := json.Marshal(map[string]any{"details": details})
		resp, err := cl.request(ctx, http.MethodPost, path, body)
		if err != nil {
			return nil, err
		}
		if err := cl.c.Decode("POST /people/bulk_match", resp, &ans); err != nil {
			return nil, err
		}
		if len(ans.Matches) != len(people) {
			return nil, cl.c.Malformed("POST /people/bulk_match", resp, fmt.Sprintf("%d matches for %d people", len(ans.Matches), len(people)))
		}
	}
	out := make([]enrich.Result, len(people))
	byID := map[string]int{}
	for i, m := range ans.Matches {
		out[i].Ref = people[i].Ref
		if m == nil {
			continue
		}
		r := enrich.Result{Ref: people[i].Ref, Found: true, ProviderID: m.ID, Email: m.Email, EmailStatus: m.EmailStatus, LinkedIn: m.LinkedInURL,
			Company: m.Organization.facts(), Credits: 1, Confidence: int(m.ExtrapolatedEmailConfidence)}
		if r.EmailStatus == "verified" && r.Confidence == 0 {
			r.Confidence = 95
		}
		applyPhones(&r, m.PhoneNumbers)
		if reveal {
			r.RequestID = ans.RequestID.String()
		}
		out[i] = r
		byID[m.ID] = i
	}
	if reveal && ans.RequestID != "" && len(byID) > 0 {
		ids := make([]string, 0, len(byID))
		for id := range byID {
			ids = append(ids, id)
		}
		revealed, done, err := cl.poll(ctx, ans.RequestID.String(), ids)
		if err != nil {
			return out, nil // the e-mails are paid for and kept; phones come on reconcile
		}
		if done {
			for _, rv := range revealed {
				if i, ok := byID[rv.Ref]; ok {
					out[i].Phone, out[i].Mobile = rv.Phone, rv.Mobile
					if rv.Mobile != "" {
						out[i].Credits += 8
					}
				}
			}
		}
	}
	return out, nil
}

// matchAnswer is POST /people/match's answer.
type matchAnswer struct {
	Person    *person     `json:"person"`
	RequestID json.Number `json:"request_id"`
}

// matchOne sends POST /people/match: the person's keys as a JSON body, the
// reveal flags (q) in the query string.
func (cl *Client) matchOne(ctx context.Context, detail map[string]string, q url.Values) (matchAnswer, error) {
	path := "/people/match"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	body, _ := json.Marshal(detail)
	resp, err := cl.request(ctx, http.MethodPost, path, body)
	if err != nil {
		return matchAnswer{}, err
	}
	var ans matchAnswer
	if err := cl.c.Decode("POST /people/match", resp, &ans); err != nil {
		return matchAnswer{}, err
	}
	return ans, nil
}

// poll waits for the reveal: from the inbox when the delivery has come,
// else from /webhook_result, until PollFor passes.
func (cl *Client) poll(ctx context.Context, id string, personIDs []string) ([]enrich.Result, bool, error) {
	deadline := time.Now().Add(cl.cfg.PollFor)
	for {
		if cl.cfg.Inbox != nil {
			if res, ok := cl.cfg.Inbox.take(personIDs); ok {
				return res, true, nil
			}
		}
		res, done, err := cl.Reconcile(ctx, id)
		if err != nil || done {
			return res, done, err
		}
		if time.Now().After(deadline) {
			return nil, false, errors.New("apollo: phone reveal still pending")
		}
		t := time.NewTimer(cl.cfg.PollEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, false, ctx.Err()
		case <-t.C:
		}
	}
}

// Reconcile implements enrich.Reconciler: GET /webhook_result/{id} (free).
// Results carry the Apollo person id in Ref.
func (cl *Client) Reconcile(ctx context.Context, requestID string) ([]enrich.Result, bool, error) {
	resp, err := cl.request(ctx, http.MethodGet, "/webhook_result/"+url.PathEscape(requestID), nil)
	if err != nil {
		return nil, false, err
	}
	var ans struct {
		WebhookStatus string `json:"webhook_status"`
		WebhookResult *struct {
			People []struct {
				ID           string  `json:"id"`
				PhoneNumbers []phone `json:"phone_numbers"`
			} `json:"people"`
		} `json:"webhook_result"`
	}
	if err := cl.c.Decode("GET /webhook_result", resp, &ans); err != nil {
		return nil, false, err
	}
	if ans.WebhookStatus != "success" || ans.WebhookResult == nil {
		return nil, false, nil
	}
	var out []enrich.Result
	for _, p := range ans.WebhookResult.People {
		r := enrich.Result{Ref: p.ID, ProviderID: p.ID, Found: true}
		applyPhones(&r, p.PhoneNumbers)
		out = append(out, r)
	}
	return out, true, nil
}

// EnrichCompany implements enrich.CompanyProvider: GET
// /organizations/enrich?domain=, one credit when found.
func (cl *Client) EnrichCompany(ctx context.Context, domain string) (enrich.CompanyFacts, float64, bool, error) {
	resp, err := cl.request(ctx, http.MethodGet, "/organizations/enrich?"+url.Values{"domain": {domain}}.Encode(), nil)
	if err != nil {
		return enrich.CompanyFacts{}, 0, false, err
	}
	var ans struct {
		Organization *org `json:"organization"`
	}
	if err := cl.c.Decode("GET /organizations/enrich", resp, &ans); err != nil {
		return enrich.CompanyFacts{}, 0, false, err
	}
	f := ans.Organization.facts()
	if f.Empty() {
		return f, 0, false, nil
	}
	return f, 1, true, nil
}
