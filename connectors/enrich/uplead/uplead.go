// Package uplead is the UpLead enrichment client: POST /person-search (an
// e-mail, or first and last name with a domain) for e-mail, phones and
// LinkedIn, and POST /company-search by domain for company facts. The key
// goes bare in Authorization; the envelope is data + userInfo. UpLead never
// charges one record twice. Paced at 6 requests a second (500/min).
package uplead

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/internal/lead"
)

// Provider is the source key.
const Provider = "uplead"

// DefaultBaseURL is UpLead's API root.
const DefaultBaseURL = "https://api.uplead.com/v2"

// Client enriches people and companies through UpLead.
type Client struct {
	base, key string
	c         *enrich.Caller
}

// New returns a client.
func New(cfg enrich.ClientConfig) *Client {
	return &Client{base: cfg.Base(DefaultBaseURL), key: cfg.APIKey, c: enrich.NewCaller(Provider, cfg.HTTP, cfg.Rate(6), 5, cfg.APIKey)}
}

// Name implements enrich.Provider.
func (*Client) Name() string { return Provider }

// Fills implements enrich.Provider.
func (*Client) Fills() []enrich.Attribute {
	return []enrich.Attribute{enrich.Email, enrich.Phone, enrich.Mobile}
}

// RepeatsFree implements enrich.FreeRepeater: a record is never charged
// twice.
func (*Client) RepeatsFree() bool { return true }

// BatchSize implements enrich.Provider.
func (*Client) BatchSize() int { return 1 }

// Cost implements enrich.Provider.
func (*Client) Cost([]enrich.Attribute) float64 { return 1 }

func (cl *Client) post(ctx context.Context, path string, body any, v any) (bool, error) {
	b, _ := json.Marshal(body)
	resp, err := cl.c.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, cl.base+path, bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", cl.key)
		req.Header.Set("Content-Type", "application/json")
		return req, nil
	}, nil)
	if err != nil {
		return false, err
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := cl.c.Decode("POST "+path, resp, &env); err != nil {
		return false, err
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return false, nil
	}
	if err := json.Unmarshal(env.Data, v); err != nil {
		return false, cl.c.Malformed("POST "+path, resp, "data")
	}
	return true, nil
}

// Enrich implements enrich.Provider.
func (cl *Client) Enrich(ctx context.Context, people []enrich.Person, _ []enrich.Attribute) ([]enrich.Result, error) {
	out := make([]enrich.Result, len(people))
	for i, p := range people {
		out[i].Ref = p.Ref
		q := map[string]string{}
		switch {
		case p.Email != "":
			q["email"] = p.Email
		case p.FirstName != "" && p.LastName != "" && p.Domain != "":
			q["first_name"], q["last_name"], q["domain"] = p.FirstName, p.LastName, p.Domain
		default:
			continue
		}
		var d struct {
			Email            string `json:"email"`
			EmailStatus      string `json:"email_status"`
			PhoneNumber      string `json:"phone_number"`
			MobileDirectdial string `json:"mobile_directdial"`
			LinkedInURL      string `json:"linkedin_url"`
			Industry         string `json:"industry"`
		}
		found, err := cl.post(ctx, "/person-search", q, &d)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		r := enrich.Result{Ref: p.Ref, Found: true, Email: d.Email, EmailStatus: d.EmailStatus, Phone: d.PhoneNumber,
			Mobile: d.MobileDirectdial, LinkedIn: d.LinkedInURL, Credits: 1}
		switch lead.EmailStatus(d.EmailStatus) {
		case lead.EmailVerified:
			r.Confidence = 90
		case lead.EmailAcceptAll:
			r.Confidence = 70
		}
		out[i] = r
	}
	return out, nil
}

// EnrichCompany implements enrich.CompanyProvider.
func (cl *Client) EnrichCompany(ctx context.Context, domain string) (enrich.CompanyFacts, float64, bool, error) {
	var d struct {
		CompanyName string `json:"company_name"`
		Employees   string `json:"employees"`
		Revenue     string `json:"revenue"`
		Industry    string `json:"industry"`
		LinkedInURL string `json:"linkedin_url"`
		YearFounded any    `json:"year_founded"`
	}
	found, err := cl.post(ctx, "/company-search", map[string]string{"domain": domain}, &d)
	if err != nil || !found {
		return enrich.CompanyFacts{}, 0, false, err
	}
	f := enrich.CompanyFacts{Name: d.CompanyName, Industry: d.Industry, LinkedIn: d.LinkedInURL}
	if r, ok := lead.ParseRange(d.Employees); ok && r != nil {
		f.EmployeesMin, f.EmployeesMax = r.Min, r.Max
	}
	if r, ok := lead.ParseRange(d.Revenue); ok && r != nil {
		f.RevenueMin, f.RevenueMax = r.Min, r.Max
	}
	switch y := d.YearFounded.(type) {
	case float64:
		f.FoundedYear = int(y)
	case string:
		f.FoundedYear, _ = strconv.Atoi(strings.TrimSpace(y))
	}
	return f, 1, true, nil
}
