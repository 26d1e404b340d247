// Package lead411 is the Lead411 enrichment client, on the inferred API
// (no official reference is public; providers.md §6): POST
// /authenticate_user?email&password for a token that later calls carry as
// the token query parameter (a 401 logs in again once), a free POST
// /search/searchUsingJSON narrowed to one person (user_search_string
// holding the e-mail, or the full name with company_domain or
// company_name) for the employee_id, then POST
// /employee/unlock_employee_record, one credit, for the e-mail and
// LinkedIn. Lead411's "N/A" and "Not Available" mean missing; its
// email_result values are undocumented and passed on as they come. Rate
// limits are undocumented and clients sleep 0.5–1 s between calls: paced
// at one request a second. 402 is the credit stop.
package lead411

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/connectors/pull"
)

// Provider is the source key.
const Provider = "lead411"

// DefaultBaseURL is Lead411's (inferred) API root.
const DefaultBaseURL = "https://api.lead411.com/v1"

// Config adds the account e-mail to the common settings (APIKey is the
// account password).
type Config struct {
	enrich.ClientConfig
	Email string
}

// Client enriches people through Lead411.
type Client struct {
	cfg  Config
	base string
	c    *enrich.Caller

	mu    sync.Mutex
	token string
}

// New returns a client.
func New(cfg Config) *Client {
	return &Client{cfg: cfg, base: cfg.Base(DefaultBaseURL), c: enrich.NewCaller(Provider, cfg.HTTP, cfg.Rate(1), 1, cfg.APIKey)}
}

// Name implements enrich.Provider.
func (*Client) Name() string { return Provider }

// Fills implements enrich.Provider.
func (*Client) Fills() []enrich.Attribute { return []enrich.Attribute{enrich.Email} }

// BatchSize implements enrich.Provider.
func (*Client) BatchSize() int { return 1 }

// Cost implements enrich.Provider: one credit per unlocked employee.
func (*Client) Cost([]enrich.Attribute) float64 { return 1 }

func (cl *Client) login(ctx context.Context, refresh bool) (string, error) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.token != "" && !refresh {
		return cl.token, nil
	}
	q := url.Values{"email": {cl.cfg.Email}, "password": {cl.cfg.APIKey}}
	resp, err := cl.c.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodPost, cl.base+"/authenticate_user?"+q.Encode(), nil)
	}, nil)
	if err != nil {
		return "", err
	}
	var out struct {
		Status string `json:"status"`
		Token  string `json:"token"`
	}
	if err := cl.c.Decode("POST /authenticate_user", resp, &out); err != nil {
		return "", err
	}
	if out.Token == "" {
		return "", cl.c.Malformed("POST /authenticate_user", resp, "no token")
	}
	cl.token = out.Token
	cl.c.AddSecret(out.Token)
	return cl.token, nil
}

// post sends a token-authenticated POST with q, logging in again once on
// 401, and decodes the answer into v.
func (cl *Client) post(ctx context.Context, path string, q url.Values, v any) error {
	for attempt := 0; ; attempt++ {
		tok, err := cl.login(ctx, attempt > 0)
		if err != nil {
			return err
		}
		qq := url.Values{"token": {tok}}
		for k, vs := range q {
			qq[k] = vs
		}
		resp, err := cl.c.Do(ctx, func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodPost, cl.base+path+"?"+qq.Encode(), nil)
		}, nil)
		if err != nil && pull.KindOf(err) == pull.KindAuth && attempt == 0 {
			continue // the token expired: one fresh one
		}
		if err != nil {
			return err
		}
		return cl.c.Decode("POST "+path, resp, v)
	}
}

// missing reports Lead411's words for an absent value.
func missing(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "n/a", "not available", "-":
		return true
	}
	return false
}

func searchQuery(p enrich.Person) (url.Values, bool) {
	switch {
	case p.Email != "":
		return url.Values{"user_search_string": {p.Email}}, true
	case p.FirstName != "" && p.LastName != "" && p.Domain != "":
		return url.Values{"user_search_string": {p.FirstName + " " + p.LastName}, "company_domain": {p.Domain}}, true
	case p.FirstName != "" && p.LastName != "" && p.Company != "":
		return url.Values{"user_search_string": {p.FirstName + " " + p.LastName}, "company_name": {p.Company}}, true
	}
	return nil, false
}

// Enrich implements enrich.Provider.
func (cl *Client) Enrich(ctx context.Context, people []enrich.Person, _ []enrich.Attribute) ([]enrich.Result, error) {
	out := make([]enrich.Result, len(people))
	for i, p := range people {
		out[i].Ref = p.Ref
		q, ok := searchQuery(p)
		if !ok {
			continue
		}
		q.Set("page", "1")
		q.Set("per_page", "2")
		var found struct {
			AllResults []struct {
				EmployeeID string `json:"employee_id"`
				JSONMeta   struct {
					EmployeeMeta struct {
						EmailResult string `json:"email_result"`
					} `json:"employee_meta"`
				} `json:"json_meta"`
			} `json:"AllResults"`
		}
		if err := cl.post(ctx, "/search/searchUsingJSON", q, &found); err != nil {
			return nil, err
		}
		if len(found.AllResults) != 1 || found.AllResults[0].EmployeeID == "" {
			continue // nobody, or more than one person: not a match
		}
		emp := found.AllResults[0]
		var un struct {
			Status          string `json:"status"`
			Email           string `json:"email"`
			EmployeeDetails struct {
				LinkedIn string `json:"linkedin"`
			} `json:"employee_details"`
		}
		if err := cl.post(ctx, "/employee/unlock_employee_record", url.Values{"employee_id": {emp.EmployeeID}}, &un); err != nil {
			return nil, err
		}
		if un.Status != "success" || missing(un.Email) {
			continue
		}
		r := enrich.Result{Ref: p.Ref, Found: true, ProviderID: emp.EmployeeID, Email: strings.TrimSpace(un.Email), Credits: 1}
		if st := emp.JSONMeta.EmployeeMeta.EmailResult; !missing(st) {
			r.EmailStatus = st
		}
		if !missing(un.EmployeeDetails.LinkedIn) {
			r.LinkedIn = un.EmployeeDetails.LinkedIn
		}
		out[i] = r
	}
	return out, nil
}
