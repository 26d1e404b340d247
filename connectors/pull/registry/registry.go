// Package registry builds a pull.Puller for a source key from one
// provider-neutral Config, for the `leadstream pull --provider P` command.
// Provider-specific filters travel as JSON in Config.Query and are decoded
// into that provider's Query struct (unknown fields are rejected).
// BookYourData and LeadsBlue have no API: New answers ErrFileOnly for them.
package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"

	"github.com/leadstream/leadstream/connectors/pull"
	"github.com/leadstream/leadstream/connectors/pull/apollo"
	"github.com/leadstream/leadstream/connectors/pull/hunter"
	"github.com/leadstream/leadstream/connectors/pull/lead411"
	"github.com/leadstream/leadstream/connectors/pull/lusha"
	"github.com/leadstream/leadstream/connectors/pull/rocketreach"
	"github.com/leadstream/leadstream/connectors/pull/seamless"
	"github.com/leadstream/leadstream/connectors/pull/uplead"
	"github.com/leadstream/leadstream/connectors/pull/zoominfo"
)

// ErrFileOnly is returned for providers that deliver files, not an API.
var ErrFileOnly = errors.New("this provider has no API; import its CSV/XLSX export with the file importer")

// Config is everything a CLI collects for one pull.
type Config struct {
	Provider string
	// APIKey serves apollo, hunter, lusha, seamless, rocketreach and uplead.
	APIKey string
	// ClientID and ClientSecret serve zoominfo (OAuth2 client credentials).
	ClientID, ClientSecret string
	// Email and Password serve lead411.
	Email, Password string
	// BaseURL overrides the provider's API root (emulators, proxies).
	BaseURL string
	// PageSize overrides the provider's default page size.
	PageSize int
	// Enrich spends credits to reveal contact data: Apollo bulk_match,
	// ZoomInfo enrich, Lusha reveal (emails and phones), Seamless research,
	// RocketReach lookup, Lead411 unlock. Hunter and UpLead always charge.
	Enrich bool
	// Query is the provider's Query struct as JSON.
	Query      json.RawMessage
	HTTPClient *http.Client
}

// Providers lists the source keys New knows, including the file-only ones.
func Providers() []string {
	keys := []string{"bookyourdata", "leadsblue"}
	for k := range builders {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// CredentialEnv suggests the environment variables a CLI should read.
func CredentialEnv(provider string) []string {
	switch provider {
	case zoominfo.Provider:
		return []string{"ZOOMINFO_CLIENT_ID", "ZOOMINFO_CLIENT_SECRET"}
	case lead411.Provider:
		return []string{"LEAD411_EMAIL", "LEAD411_PASSWORD"}
	case "bookyourdata", "leadsblue":
		return nil
	}
	return []string{fmt.Sprintf("%s_API_KEY", upper(provider))}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

var builders = map[string]func(Config) (pull.Puller, error){
	apollo.Provider: func(c Config) (pull.Puller, error) {
		var q apollo.Query
		if err := decode(c, &q); err != nil {
			return nil, err
		}
		return apollo.New(apollo.Options{APIKey: c.APIKey, BaseURL: c.BaseURL, Query: q, PerPage: c.PageSize, Enrich: c.Enrich, HTTPClient: c.HTTPClient})
	},
	zoominfo.Provider: func(c Config) (pull.Puller, error) {
		var q zoominfo.Query
		if err := decode(c, &q); err != nil {
			return nil, err
		}
		return zoominfo.New(zoominfo.Options{ClientID: c.ClientID, ClientSecret: c.ClientSecret, BaseURL: c.BaseURL, Query: q, PageSize: c.PageSize, Enrich: c.Enrich, HTTPClient: c.HTTPClient})
	},
	hunter.Provider: func(c Config) (pull.Puller, error) {
		var q hunter.Query
		if err := decode(c, &q); err != nil {
			return nil, err
		}
		return hunter.New(hunter.Options{APIKey: c.APIKey, BaseURL: c.BaseURL, Query: q, Limit: c.PageSize, HTTPClient: c.HTTPClient})
	},
	lusha.Provider: func(c Config) (pull.Puller, error) {
		var q struct {
			lusha.Query
			CompanyDomains []string `json:"companyDomains"`
			CompanyNames   []string `json:"companyNames"`
		}
		if err := decode(c, &q); err != nil {
			return nil, err
		}
		q.Query.CompanyDomains, q.Query.CompanyNames = q.CompanyDomains, q.CompanyNames
		var reveal []string
		if c.Enrich {
			reveal = []string{"emails", "phones"}
		}
		return lusha.New(lusha.Options{APIKey: c.APIKey, BaseURL: c.BaseURL, Query: q.Query, PageSize: c.PageSize, Reveal: reveal, HTTPClient: c.HTTPClient})
	},
	seamless.Provider: func(c Config) (pull.Puller, error) {
		var q seamless.Query
		if err := decode(c, &q); err != nil {
			return nil, err
		}
		return seamless.New(seamless.Options{APIKey: c.APIKey, BaseURL: c.BaseURL, Query: q, Limit: c.PageSize, SearchOnly: !c.Enrich, HTTPClient: c.HTTPClient})
	},
	lead411.Provider: func(c Config) (pull.Puller, error) {
		var q lead411.Query
		if err := decode(c, &q); err != nil {
			return nil, err
		}
		return lead411.New(lead411.Options{Email: c.Email, Password: c.Password, BaseURL: c.BaseURL, Query: q, PerPage: c.PageSize, Unlock: c.Enrich, HTTPClient: c.HTTPClient})
	},
	rocketreach.Provider: func(c Config) (pull.Puller, error) {
		var q rocketreach.Query
		if err := decode(c, &q); err != nil {
			return nil, err
		}
		return rocketreach.New(rocketreach.Options{APIKey: c.APIKey, BaseURL: c.BaseURL, Query: q, PageSize: c.PageSize, Lookup: c.Enrich, HTTPClient: c.HTTPClient})
	},
	uplead.Provider: func(c Config) (pull.Puller, error) {
		var q struct {
			uplead.Query
			Domains []string `json:"domains"`
		}
		if err := decode(c, &q); err != nil {
			return nil, err
		}
		q.Query.Domains = q.Domains
		return uplead.New(uplead.Options{APIKey: c.APIKey, BaseURL: c.BaseURL, Query: q.Query, PerPage: c.PageSize, HTTPClient: c.HTTPClient})
	},
}

// New returns the Puller for cfg.Provider.
func New(cfg Config) (pull.Puller, error) {
	if cfg.Provider == "bookyourdata" || cfg.Provider == "leadsblue" {
		return nil, fmt.Errorf("pull %s: %w", cfg.Provider, ErrFileOnly)
	}
	b, ok := builders[cfg.Provider]
	if !ok {
		return nil, fmt.Errorf("pull: unknown provider %q (known: %v)", cfg.Provider, Providers())
	}
	p, err := b(cfg)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", cfg.Provider, err)
	}
	return p, nil
}

func decode(c Config, v any) error {
	if len(bytes.TrimSpace(c.Query)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(c.Query))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("query for %s: %w", c.Provider, err)
	}
	return nil
}
