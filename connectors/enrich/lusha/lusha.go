// Package lusha is the Lusha enrichment client: the V2 bulk person
// enrichment, POST /v2/person with up to 100 contacts keyed by contactId,
// for e-mails (letter-grade confidence) and direct and mobile phones. Both
// published spellings of an e-mail entry ({address,type} and
// {email,emailType}) are read. Paced at 20 requests a second (the V2
// default is 25/s); 402 is the credit stop.
package lusha

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/leadstream/leadstream/connectors/enrich"
)

// Provider is the source key.
const Provider = "lusha"

// DefaultBaseURL is Lusha's API root.
const DefaultBaseURL = "https://api.lusha.com"

// Client enriches people through Lusha.
type Client struct {
	base, key string
	c         *enrich.Caller
}

// New returns a client.
func New(cfg enrich.ClientConfig) *Client {
	return &Client{base: cfg.Base(DefaultBaseURL), key: cfg.APIKey, c: enrich.NewCaller(Provider, cfg.HTTP, cfg.Rate(20), 5, cfg.APIKey)}
}

// Name implements enrich.Provider.
func (*Client) Name() string { return Provider }

// Fills implements enrich.Provider.
func (*Client) Fills() []enrich.Attribute {
	return []enrich.Attribute{enrich.Email, enrich.Phone, enrich.Mobile}
}

// BatchSize implements enrich.Provider.
func (*Client) BatchSize() int { return 100 }

// Cost implements enrich.Provider: one credit per revealed contact.
func (*Client) Cost([]enrich.Attribute) float64 { return 1 }

// confidence maps Lusha's letter grades to 0–100.
func confidence(grade string) int {
	switch strings.ToUpper(strings.TrimSpace(grade)) {
	case "A+":
		return 95
	case "A":
		return 90
	case "B":
		return 70
	case "C":
		return 50
	}
	return 40
}

// Enrich implements enrich.Provider.
func (cl *Client) Enrich(ctx context.Context, people []enrich.Person, want []enrich.Attribute) ([]enrich.Result, error) {
	type company struct {
		Name     string `json:"name,omitempty"`
		Domain   string `json:"domain,omitempty"`
		IsCurent bool   `json:"isCurrent"`
	}
	type contact struct {
		ContactID   string    `json:"contactId"`
		FullName    string    `json:"fullName,omitempty"`
		Email       string    `json:"email,omitempty"`
		LinkedinURL string    `json:"linkedinUrl,omitempty"`
		Companies   []company `json:"companies,omitempty"`
	}
	cs := make([]contact, len(people))
	for i, p := range people {
		cs[i] = contact{ContactID: strconv.Itoa(i), FullName: strings.TrimSpace(p.FirstName + " " + p.LastName), Email: p.Email, LinkedinURL: p.LinkedIn}
		if p.Company != "" || p.Domain != "" {
			cs[i].Companies = []company{{Name: p.Company, Domain: p.Domain, IsCurent: true}}
		}
	}
	emails, phones := false, false
	for _, a := range want {
		switch a {
		case enrich.Email:
			emails = true
		case enrich.Phone, enrich.Mobile:
			phones = true
		}
	}
	body, _ := json.Marshal(map[string]any{"contacts": cs, "metadata": map[string]any{"revealEmails": emails, "revealPhones": phones}})
	resp, err := cl.c.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, cl.base+"/v2/person", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("api_key", cl.key)
		req.Header.Set("Content-Type", "application/json")
		return req, nil
	}, nil)
	if err != nil {
		return nil, err
	}
	var ans struct {
		Contacts map[string]struct {
			IsCreditCharged bool `json:"isCreditCharged"`
			Data            *struct {
				EmailAddresses []struct {
					Address         string `json:"address"`
					Email           string `json:"email"`
					EmailConfidence string `json:"emailConfidence"`
				} `json:"emailAddresses"`
				PhoneNumbers []struct {
					Number    string `json:"number"`
					PhoneType string `json:"phoneType"`
					DoNotCall bool   `json:"doNotCall"`
				} `json:"phoneNumbers"`
				SocialLinks struct {
					LinkedIn string `json:"linkedin"`
				} `json:"socialLinks"`
			} `json:"data"`
		} `json:"contacts"`
	}
	if err := cl.c.Decode("POST /v2/person", resp, &ans); err != nil {
		return nil, err
	}
	out := make([]enrich.Result, len(people))
	for i, p := range people {
		out[i].Ref = p.Ref
		c, ok := ans.Contacts[strconv.Itoa(i)]
		if !ok || c.Data == nil {
			continue
		}
		r := enrich.Result{Ref: p.Ref, Found: true, LinkedIn: c.Data.SocialLinks.LinkedIn}
		if c.IsCreditCharged {
			r.Credits = 1
		}
		for _, e := range c.Data.EmailAddresses {
			addr := e.Email
			if addr == "" {
				addr = e.Address
			}
			if addr != "" && r.Email == "" {
				r.Email, r.Confidence = addr, confidence(e.EmailConfidence)
				if r.Confidence >= 90 {
					r.EmailStatus = "verified"
				} else {
					r.EmailStatus = "unverified"
				}
			}
		}
		for _, ph := range c.Data.PhoneNumbers {
			if ph.DoNotCall {
				continue
			}
			if strings.EqualFold(ph.PhoneType, "mobile") {
				if r.Mobile == "" {
					r.Mobile = ph.Number
				}
			} else if r.Phone == "" {
				r.Phone = ph.Number
			}
		}
		out[i] = r
	}
	return out, nil
}
