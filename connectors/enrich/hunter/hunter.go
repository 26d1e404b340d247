// Package hunter is the Hunter.io enrichment client: GET /email-finder
// (domain + first and last name) for a person's e-mail, with its
// verification status and score, and GET /email-verifier for an address
// the lead already has but nobody verified (Person.VerifyEmail): its
// status (valid, invalid, accept_all, webmail, disposable, unknown) and
// score come back as the Result's EmailStatus and Confidence. One person
// per request, one credit per address found or verified; paced at 10
// requests a second (the verifier's published limit; 15/s elsewhere);
// Hunter's 403 is its rate limit (retried), its 429 usage_limit the
// monthly quota (a stop), its 202 a verification still running (polled
// again).
package hunter

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/connectors/pull"
)

// Provider is the source key.
const Provider = "hunter"

// DefaultBaseURL is Hunter's API root.
const DefaultBaseURL = "https://api.hunter.io/v2"

// Client enriches people through Hunter.
type Client struct {
	base string
	key  string
	c    *enrich.Caller
}

// New returns a client.
func New(cfg enrich.ClientConfig) *Client {
	return &Client{base: cfg.Base(DefaultBaseURL), key: cfg.APIKey, c: enrich.NewCaller(Provider, cfg.HTTP, cfg.Rate(10), 5, cfg.APIKey)}
}

// Name implements enrich.Provider.
func (*Client) Name() string { return Provider }

// Fills implements enrich.Provider.
func (*Client) Fills() []enrich.Attribute { return []enrich.Attribute{enrich.Email} }

// BatchSize implements enrich.Provider: the finder takes one person.
func (*Client) BatchSize() int { return 1 }

// VerifiesEmail implements enrich.Verifier.
func (*Client) VerifiesEmail() bool { return true }

// Cost implements enrich.Provider: one credit per address found or verified.
func (*Client) Cost([]enrich.Attribute) float64 { return 1 }

// classify applies Hunter's own statuses before the common ones.
func (cl *Client) classify(op string, r *pull.Response) error {
	switch r.Status {
	case http.StatusAccepted:
		// The verifier is still working on the address: ask again.
		return &pull.Error{Provider: Provider, Kind: pull.KindTransient, Op: op, Status: r.Status, Msg: "verification still running", RetryAfter: 2 * time.Second}
	case http.StatusForbidden:
		return &pull.Error{Provider: Provider, Kind: pull.KindRateLimited, Op: op, Status: r.Status, Msg: cl.c.Excerpt(r.Body), RetryAfter: time.Second}
	case http.StatusTooManyRequests:
		return &pull.Error{Provider: Provider, Kind: pull.KindQuota, Op: op, Status: r.Status, Msg: cl.c.Excerpt(r.Body)}
	case http.StatusUnavailableForLegalReasons:
		return &pull.Error{Provider: Provider, Kind: pull.KindPermanent, Op: op, Status: r.Status, Msg: "the person asked to be removed (claimed_email)"}
	}
	return cl.c.Classify(op, r, time.Now())
}

// Enrich implements enrich.Provider.
func (cl *Client) Enrich(ctx context.Context, people []enrich.Person, _ []enrich.Attribute) ([]enrich.Result, error) {
	out := make([]enrich.Result, len(people))
	for i, p := range people {
		out[i].Ref = p.Ref
		if p.VerifyEmail != "" {
			r, err := cl.verify(ctx, p)
			if err != nil {
				if i == 0 {
					return nil, err
				}
				return out[:i], err
			}
			out[i] = r
			continue
		}
		if p.FirstName == "" || p.LastName == "" || (p.Domain == "" && p.Company == "") {
			continue
		}
		q := url.Values{"first_name": {p.FirstName}, "last_name": {p.LastName}, "api_key": {cl.key}}
		if p.Domain != "" {
			q.Set("domain", p.Domain)
		} else {
			q.Set("company", p.Company)
		}
		resp, err := cl.c.Do(ctx, func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, cl.base+"/email-finder?"+q.Encode(), nil)
		}, cl.classify)
		if err != nil {
			if i == 0 {
				return nil, err
			}
			return out[:i], err
		}
		var body struct {
			Data struct {
				Email        *string `json:"email"`
				Score        *int    `json:"score"`
				LinkedInURL  *string `json:"linkedin_url"`
				Verification struct {
					Status *string `json:"status"`
				} `json:"verification"`
			} `json:"data"`
		}
		if err := cl.c.Decode("GET /email-finder", resp, &body); err != nil {
			return nil, err
		}
		if body.Data.Email == nil || *body.Data.Email == "" {
			continue
		}
		r := enrich.Result{Ref: p.Ref, Found: true, Email: *body.Data.Email, Credits: 1}
		if body.Data.Score != nil {
			r.Confidence = *body.Data.Score
		}
		if body.Data.Verification.Status != nil {
			r.EmailStatus = *body.Data.Verification.Status
		}
		if body.Data.LinkedInURL != nil {
			r.LinkedIn = *body.Data.LinkedInURL
		}
		out[i] = r
	}
	return out, nil
}

// verify checks p.VerifyEmail with GET /email-verifier.
func (cl *Client) verify(ctx context.Context, p enrich.Person) (enrich.Result, error) {
	q := url.Values{"email": {p.VerifyEmail}, "api_key": {cl.key}}
	resp, err := cl.c.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, cl.base+"/email-verifier?"+q.Encode(), nil)
	}, cl.classify)
	if err != nil {
		return enrich.Result{}, err
	}
	var body struct {
		Data struct {
			Status *string `json:"status"`
			Result *string `json:"result"` // deprecated: deliverable, undeliverable, risky
			Score  *int    `json:"score"`
			Email  string  `json:"email"`
		} `json:"data"`
	}
	if err := cl.c.Decode("GET /email-verifier", resp, &body); err != nil {
		return enrich.Result{}, err
	}
	r := enrich.Result{Ref: p.Ref, Found: true, Verification: true, Email: p.VerifyEmail, Credits: 1}
	switch {
	case body.Data.Status != nil:
		r.EmailStatus = *body.Data.Status
	case body.Data.Result != nil:
		r.EmailStatus = map[string]string{"deliverable": "valid", "undeliverable": "invalid"}[*body.Data.Result]
	}
	if r.EmailStatus == "" {
		r.EmailStatus = "unknown"
	}
	if body.Data.Score != nil {
		r.Confidence = min(max(*body.Data.Score, 0), 100)
	}
	return r, nil
}
