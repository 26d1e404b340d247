// Package zoominfo is the ZoomInfo enrichment client (GTM Data API V1):
// an OAuth2 client-credentials token (Basic client_id:client_secret,
// refreshed before it expires and after a 401), then POST
// /gtm/data/v1/contacts/enrich with up to 25 matchPersonInput entries (an
// e-mail, or first and last name with the company name) for e-mail,
// direct and mobile phone and company facts. ZoomInfo has no e-mail
// status: contactAccuracyScore is the confidence. A match status of
// LIMIT_EXCEEDED is the credit stop. Companies are enriched by domain with
// POST /gtm/data/v1/companies/enrich (revenue in thousands of USD). When
// company facts are wanted, the
// companies of the matched contacts are also read from POST
// /gtm/data/v1/intent/enrich (the api:data:intent scope; its shape is
// inferred from the legacy /enrich/intent: one row per topic with
// signalDate and audienceStrength), which feeds CF_111; that call is not
// charged per record, and its failure leaves the contacts without intent
// rather than failing them. Paced at 20 requests a second (the
// Standard package allows 25).
package zoominfo

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/connectors/pull"
	"github.com/leadstream/leadstream/internal/lead"
)

// Provider is the source key.
const Provider = "zoominfo"

// DefaultBaseURL is ZoomInfo's API root (the GTM paths start with /gtm).
const DefaultBaseURL = "https://api.zoominfo.com"

// Config adds the OAuth client id to the common settings (APIKey is the
// client secret).
type Config struct {
	enrich.ClientConfig
	ClientID string
}

// Client enriches people through ZoomInfo.
type Client struct {
	cfg  Config
	base string
	c    *enrich.Caller

	mu      sync.Mutex
	token   string
	expires time.Time
}

// New returns a client.
func New(cfg Config) *Client {
	return &Client{cfg: cfg, base: cfg.Base(DefaultBaseURL), c: enrich.NewCaller(Provider, cfg.HTTP, cfg.Rate(20), 5, cfg.APIKey)}
}

// Name implements enrich.Provider.
func (*Client) Name() string { return Provider }

// Fills implements enrich.Provider.
func (*Client) Fills() []enrich.Attribute {
	return []enrich.Attribute{enrich.Email, enrich.Phone, enrich.Mobile, enrich.Company}
}

// RepeatsFree implements enrich.FreeRepeater: a record is never charged
// twice.
func (*Client) RepeatsFree() bool { return true }

// BatchSize implements enrich.Provider.
func (*Client) BatchSize() int { return 25 }

// Cost implements enrich.Provider: one credit per new record.
func (*Client) Cost([]enrich.Attribute) float64 { return 1 }

// bearer returns a valid token, fetching one when there is none or it is
// about to expire.
func (cl *Client) bearer(ctx context.Context, refresh bool) (string, error) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if !refresh && cl.token != "" && time.Until(cl.expires) > time.Minute {
		return cl.token, nil
	}
	resp, err := cl.c.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, cl.base+"/gtm/oauth/v1/token",
			strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
		if err != nil {
			return nil, err
		}
		req.SetBasicAuth(cl.cfg.ClientID, cl.cfg.APIKey)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req, nil
	}, nil)
	if err != nil {
		return "", err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := cl.c.Decode("POST /gtm/oauth/v1/token", resp, &tok); err != nil {
		return "", err
	}
	if tok.AccessToken == "" {
		return "", cl.c.Malformed("POST /gtm/oauth/v1/token", resp, "no access_token")
	}
	cl.token, cl.expires = tok.AccessToken, time.Now().Add(time.Duration(tok.ExpiresIn)*time.Second)
	cl.c.AddSecret(tok.AccessToken)
	return cl.token, nil
}

type contact struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Attributes struct {
		Email                string `json:"email"`
		Phone                string `json:"phone"`
		MobilePhone          string `json:"mobilePhone"`
		ContactAccuracyScore int    `json:"contactAccuracyScore"`
		ExternalURLs         []struct {
			Type string `json:"type"`
			URL  string `json:"url"`
		} `json:"externalUrls"`
		Company struct {
			Name            string   `json:"name"`
			EmployeeCount   int64    `json:"employeeCount"`
			PrimaryIndustry []string `json:"primaryIndustry"`
			Revenue         string   `json:"revenue"` // thousands of USD
			Website         string   `json:"website"`
		} `json:"company"`
	} `json:"attributes"`
	Meta struct {
		MatchStatus string `json:"matchStatus"`
	} `json:"meta"`
}

// Enrich implements enrich.Provider.
func (cl *Client) Enrich(ctx context.Context, people []enrich.Person, want []enrich.Attribute) ([]enrich.Result, error) {
	in := make([]map[string]string, len(people))
	for i, p := range people {
		m := map[string]string{}
		switch {
		case p.Email != "":
			m["emailAddress"] = p.Email
		default:
			m["firstName"], m["lastName"], m["companyName"] = p.FirstName, p.LastName, p.Company
		}
		in[i] = m
	}
	body, _ := json.Marshal(map[string]any{"data": map[string]any{"type": "ContactEnrich", "attributes": map[string]any{
		"matchPersonInput": in, "outputFields": []string{"email", "phone", "mobilePhone", "contactAccuracyScore", "externalUrls", "company"}}}})
	resp, err := cl.post(ctx, "/gtm/data/v1/contacts/enrich", body)
	if err != nil {
		return nil, err
	}
	var ans struct {
		Data []contact `json:"data"`
	}
	if err := cl.c.Decode("POST /gtm/data/v1/contacts/enrich", resp, &ans); err != nil {
		return nil, err
	}
	if len(ans.Data) != len(people) {
		return nil, cl.c.Malformed("POST /gtm/data/v1/contacts/enrich", resp, strconv.Itoa(len(ans.Data))+" results for "+strconv.Itoa(len(people))+" people")
	}
	out := make([]enrich.Result, len(people))
	websites := make([]string, len(people))
	for i, c := range ans.Data {
		out[i].Ref = people[i].Ref
		switch c.Meta.MatchStatus {
		case "LIMIT_EXCEEDED":
			return nil, &pull.Error{Provider: Provider, Kind: pull.KindQuota, Op: "POST /gtm/data/v1/contacts/enrich", Status: resp.Status, Msg: "LIMIT_EXCEEDED"}
		case "FULL_MATCH", "CONTACT_ONLY_MATCH":
		default:
			continue
		}
		a := c.Attributes
		r := enrich.Result{Ref: people[i].Ref, Found: true, ProviderID: c.ID, Email: a.Email, Confidence: a.ContactAccuracyScore,
			Phone: a.Phone, Mobile: a.MobilePhone, Credits: 1}
		for _, u := range a.ExternalURLs {
			if strings.Contains(strings.ToLower(u.Type), "linkedin") {
				r.LinkedIn = u.URL
			}
		}
		f := enrich.CompanyFacts{Name: a.Company.Name, EmployeesMin: a.Company.EmployeeCount, EmployeesMax: a.Company.EmployeeCount}
		if len(a.Company.PrimaryIndustry) > 0 {
			f.Industry = a.Company.PrimaryIndustry[0]
		}
		if k, err := strconv.ParseInt(strings.TrimSpace(a.Company.Revenue), 10, 64); err == nil && k > 0 {
			f.RevenueMin, f.RevenueMax = k*1000, k*1000 // company revenue is in thousands
		}
		r.Company = f
		out[i] = r
		websites[i] = a.Company.Website
	}
	if slices.Contains(want, enrich.Company) {
		if err := cl.addIntent(ctx, out, websites); err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return out, nil
}

// post sends a JSON:API body to path with a bearer token, replacing a
// revoked or expired token once.
func (cl *Client) post(ctx context.Context, path string, body []byte) (*pull.Response, error) {
	for attempt := 0; ; attempt++ {
		tok, err := cl.bearer(ctx, attempt > 0)
		if err != nil {
			return nil, err
		}
		resp, err := cl.c.Do(ctx, func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, cl.base+path, bytes.NewReader(body))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/vnd.api+json")
			req.Header.Set("Accept", "application/vnd.api+json")
			return req, nil
		}, nil)
		if err != nil && pull.KindOf(err) == pull.KindAuth && attempt == 0 {
			continue // the token was revoked or expired early: one fresh one
		}
		return resp, err
	}
}

// addIntent reads the intent of the matched contacts' companies (one
// request for the batch) into each result's company facts: the topics,
// newest signal first, the strength of the newest signal and its date.
func (cl *Client) addIntent(ctx context.Context, out []enrich.Result, websites []string) error {
	var sites []string
	for i, w := range websites {
		if out[i].Found && w != "" && !slices.Contains(sites, w) {
			sites = append(sites, w)
		}
	}
	if len(sites) == 0 {
		return nil
	}
	in := make([]map[string]string, len(sites))
	for i, w := range sites {
		in[i] = map[string]string{"companyWebsite": w}
	}
	body, _ := json.Marshal(map[string]any{"data": map[string]any{"type": "IntentEnrich", "attributes": map[string]any{"matchCompanyInput": in}}})
	resp, err := cl.post(ctx, "/gtm/data/v1/intent/enrich", body)
	if err != nil {
		return err
	}
	var ans struct {
		Data []struct {
			Attributes struct {
				Topic            string `json:"topic"`
				SignalDate       string `json:"signalDate"`
				AudienceStrength string `json:"audienceStrength"`
			} `json:"attributes"`
			Meta struct {
				Input struct {
					Index int `json:"index"`
				} `json:"input"`
			} `json:"meta"`
		} `json:"data"`
	}
	if err := cl.c.Decode("POST /gtm/data/v1/intent/enrich", resp, &ans); err != nil {
		return err
	}
	type signal struct{ topic, date, strength string }
	bySite := map[string][]signal{}
	for _, d := range ans.Data {
		if d.Meta.Input.Index < 0 || d.Meta.Input.Index >= len(sites) || strings.TrimSpace(d.Attributes.Topic) == "" {
			continue
		}
		w := sites[d.Meta.Input.Index]
		bySite[w] = append(bySite[w], signal{strings.TrimSpace(d.Attributes.Topic), d.Attributes.SignalDate, d.Attributes.AudienceStrength})
	}
	for i, w := range websites {
		sigs := bySite[w]
		if !out[i].Found || len(sigs) == 0 {
			continue
		}
		slices.SortStableFunc(sigs, func(a, b signal) int { return strings.Compare(b.date, a.date) })
		it := &lead.Intent{Strength: sigs[0].strength, LastActivity: sigs[0].date}
		if len(it.LastActivity) > 10 {
			it.LastActivity = it.LastActivity[:10]
		}
		for _, sg := range sigs {
			it.Topics = append(it.Topics, sg.topic)
		}
		out[i].Company.Intent = it
	}
	return nil
}

// EnrichCompany implements enrich.CompanyProvider: POST
// /gtm/data/v1/companies/enrich by website, then the company's intent.
func (cl *Client) EnrichCompany(ctx context.Context, domain string) (enrich.CompanyFacts, float64, bool, error) {
	body, _ := json.Marshal(map[string]any{"data": map[string]any{"type": "CompanyEnrich", "attributes": map[string]any{
		"matchCompanyInput": []map[string]string{{"companyWebsite": domain}},
		"outputFields":      []string{"name", "website", "employeeCount", "revenue", "primaryIndustry", "foundedYear", "socialMediaUrls"}}}})
	resp, err := cl.post(ctx, "/gtm/data/v1/companies/enrich", body)
	if err != nil {
		return enrich.CompanyFacts{}, 0, false, err
	}
	var ans struct {
		Data []struct {
			Attributes struct {
				Name            string      `json:"name"`
				Website         string      `json:"website"`
				EmployeeCount   int64       `json:"employeeCount"`
				Revenue         json.Number `json:"revenue"` // thousands of USD
				PrimaryIndustry []string    `json:"primaryIndustry"`
				FoundedYear     json.Number `json:"foundedYear"`
				SocialMediaURLs []struct {
					Type string `json:"type"`
					URL  string `json:"url"`
				} `json:"socialMediaUrls"`
			} `json:"attributes"`
			Meta struct {
				MatchStatus string `json:"matchStatus"`
			} `json:"meta"`
		} `json:"data"`
	}
	const op = "POST /gtm/data/v1/companies/enrich"
	if err := cl.c.Decode(op, resp, &ans); err != nil {
		return enrich.CompanyFacts{}, 0, false, err
	}
	if len(ans.Data) != 1 {
		return enrich.CompanyFacts{}, 0, false, cl.c.Malformed(op, resp, strconv.Itoa(len(ans.Data))+" results for 1 company")
	}
	d := ans.Data[0]
	switch d.Meta.MatchStatus {
	case "LIMIT_EXCEEDED":
		return enrich.CompanyFacts{}, 0, false, &pull.Error{Provider: Provider, Kind: pull.KindQuota, Op: op, Status: resp.Status, Msg: "LIMIT_EXCEEDED"}
	case "FULL_MATCH", "COMPANY_ONLY_MATCH":
	default:
		return enrich.CompanyFacts{}, 0, false, nil
	}
	a := d.Attributes
	f := enrich.CompanyFacts{Name: a.Name, EmployeesMin: a.EmployeeCount, EmployeesMax: a.EmployeeCount}
	if len(a.PrimaryIndustry) > 0 {
		f.Industry = a.PrimaryIndustry[0]
	}
	if k, err := strconv.ParseFloat(strings.TrimSpace(a.Revenue.String()), 64); err == nil && k > 0 {
		f.RevenueMin, f.RevenueMax = int64(k*1000), int64(k*1000)
	}
	if y, err := a.FoundedYear.Int64(); err == nil {
		f.FoundedYear = int(y)
	}
	for _, u := range a.SocialMediaURLs {
		if strings.Contains(strings.ToLower(strings.ReplaceAll(u.Type, "_", "")), "linkedin") {
			f.LinkedIn = u.URL
		}
	}
	site := a.Website
	if site == "" {
		site = domain
	}
	res := []enrich.Result{{Found: true, Company: f}}
	if err := cl.addIntent(ctx, res, []string{site}); err != nil && ctx.Err() != nil {
		return enrich.CompanyFacts{}, 0, false, ctx.Err()
	}
	return res[0].Company, 1, true, nil
}
