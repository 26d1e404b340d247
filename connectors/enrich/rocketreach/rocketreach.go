// Package rocketreach is the RocketReach enrichment client: GET
// /person/lookup (an e-mail, a LinkedIn URL, or the name with the current
// employer) for the professional e-mail (smtp_valid is its status, the
// grade its confidence), the direct dial and the mobile. A lookup whose
// status is not yet "complete" is polled with GET /person/checkStatus, with
// a growing pause and a deadline; a profile that never completes counts as
// not found (the credit is spent, so the ledger keeps it). The key goes in
// the Api-Key header. Paced at 5 requests a second, under the global 10/s;
// 429 honours Retry-After, and a 403 that names credits is the credit stop.
package rocketreach

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/connectors/pull"
)

// Provider is the source key.
const Provider = "rocketreach"

// DefaultBaseURL is RocketReach's API root.
const DefaultBaseURL = "https://api.rocketreach.co/api/v2"

// Config adds the polling of unfinished lookups to the common settings.
type Config struct {
	enrich.ClientConfig
	// PollEvery is the first pause between checkStatus polls (default
	// 500ms); it doubles up to 8 s.
	PollEvery time.Duration
	// PollFor bounds the wait for a lookup to complete (default 2 min).
	PollFor time.Duration
}

// Client enriches people through RocketReach.
type Client struct {
	cfg  Config
	base string
	c    *enrich.Caller
}

// New returns a client.
func New(cfg Config) *Client {
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = 500 * time.Millisecond
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
	return []enrich.Attribute{enrich.Email, enrich.Phone, enrich.Mobile}
}

// BatchSize implements enrich.Provider: a lookup is one person (bulk
// lookups answer only by webhook).
func (*Client) BatchSize() int { return 1 }

// Cost implements enrich.Provider: one lookup credit.
func (*Client) Cost([]enrich.Attribute) float64 { return 1 }

type profile struct {
	ID                           int64  `json:"id"`
	Status                       string `json:"status"`
	LinkedInURL                  string `json:"linkedin_url"`
	RecommendedProfessionalEmail string `json:"recommended_professional_email"`
	CurrentWorkEmail             string `json:"current_work_email"`
	Emails                       []struct {
		Email     string `json:"email"`
		SMTPValid string `json:"smtp_valid"`
		Type      string `json:"type"`
		Grade     string `json:"grade"`
	} `json:"emails"`
	Phones []struct {
		Number string `json:"number"`
		E164   string `json:"e164"`
		Type   string `json:"type"`
	} `json:"phones"`
}

// classify reads a 403 that speaks of credits as the credit stop; the
// rest follows the common conventions.
func (cl *Client) classify(op string, r *pull.Response) error {
	err := cl.c.Classify(op, r, time.Now())
	if r.Status == http.StatusForbidden && strings.Contains(strings.ToLower(string(r.Body)), "credit") {
		return &pull.Error{Provider: Provider, Kind: pull.KindQuota, Op: op, Status: r.Status, Msg: cl.c.Excerpt(r.Body)}
	}
	return err
}

func (cl *Client) get(ctx context.Context, path string, q url.Values, v any) (bool, error) {
	resp, err := cl.c.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, cl.base+path+"?"+q.Encode(), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Api-Key", cl.cfg.APIKey)
		req.Header.Set("Accept", "application/json")
		return req, nil
	}, func(op string, r *pull.Response) error {
		if r.Status == http.StatusNotFound {
			return nil // no such person: not found, not an error
		}
		return cl.classify(op, r)
	})
	if err != nil {
		return false, err
	}
	if resp.Status == http.StatusNotFound {
		return false, nil
	}
	return true, cl.c.Decode("GET "+path, resp, v)
}

// lookupQuery picks the strongest identifier RocketReach matches on.
func lookupQuery(p enrich.Person) (url.Values, bool) {
	q := url.Values{}
	switch {
	case p.Email != "":
		q.Set("email", p.Email)
	case p.LinkedIn != "":
		q.Set("linkedin_url", p.LinkedIn)
	case p.FirstName != "" && p.LastName != "" && (p.Company != "" || p.Domain != ""):
		q.Set("name", p.FirstName+" "+p.LastName)
		emp := p.Company
		if emp == "" {
			emp = p.Domain
		}
		q.Set("current_employer", emp)
	default:
		return nil, false
	}
	return q, true
}

// Enrich implements enrich.Provider.
func (cl *Client) Enrich(ctx context.Context, people []enrich.Person, _ []enrich.Attribute) ([]enrich.Result, error) {
	out := make([]enrich.Result, len(people))
	for i, p := range people {
		out[i].Ref = p.Ref
		q, ok := lookupQuery(p)
		if !ok {
			continue
		}
		var pr profile
		found, err := cl.get(ctx, "/person/lookup", q, &pr)
		if err != nil {
			return nil, err
		}
		if !found || pr.ID == 0 {
			continue
		}
		if pr.Status != "complete" {
			if pr, err = cl.await(ctx, pr.ID); err != nil {
				return nil, err
			}
		}
		if pr.Status != "complete" {
			continue
		}
		out[i] = result(p.Ref, pr)
	}
	return out, nil
}

// await polls checkStatus for the lookup id until it completes, fails or
// the deadline passes; the last profile seen is returned.
func (cl *Client) await(ctx context.Context, id int64) (profile, error) {
	deadline := time.Now().Add(cl.cfg.PollFor)
	wait := cl.cfg.PollEvery
	var last profile
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return last, ctx.Err()
		case <-t.C:
		}
		var ps []profile
		if _, err := cl.get(ctx, "/person/checkStatus", url.Values{"ids": {strconv.FormatInt(id, 10)}}, &ps); err != nil {
			return last, err
		}
		for _, p := range ps {
			if p.ID == id {
				last = p
			}
		}
		switch last.Status {
		case "complete", "failed", "not queued":
			return last, nil
		}
		if time.Now().After(deadline) {
			return last, nil
		}
		wait = min(wait*2, 8*time.Second)
	}
}

func result(ref string, pr profile) enrich.Result {
	r := enrich.Result{Ref: ref, Found: true, ProviderID: strconv.FormatInt(pr.ID, 10), LinkedIn: pr.LinkedInURL, Credits: 1}
	r.Email = pr.RecommendedProfessionalEmail
	if r.Email == "" {
		r.Email = pr.CurrentWorkEmail
	}
	for _, e := range pr.Emails {
		if r.Email == "" && e.Type == "professional" {
			r.Email = e.Email
		}
		if strings.EqualFold(e.Email, r.Email) {
			r.EmailStatus = e.SMTPValid
			r.Confidence = gradeConfidence(e.Grade)
		}
	}
	for _, ph := range pr.Phones {
		n := ph.E164
		if n == "" {
			n = ph.Number
		}
		switch strings.ToLower(ph.Type) {
		case "mobile":
			if r.Mobile == "" {
				r.Mobile = n
			}
		case "direct dial", "direct":
			if r.Phone == "" {
				r.Phone = n
			}
		}
	}
	return r
}

// gradeConfidence maps RocketReach's e-mail grades to 0–100.
func gradeConfidence(g string) int {
	switch strings.ToUpper(strings.TrimSpace(g)) {
	case "A":
		return 90
	case "A-":
		return 85
	case "B":
		return 70
	case "C":
		return 50
	case "":
		return 0
	}
	return 40
}
