// Package registry builds the enrichment clients a waterfall names from
// the environment: <PROVIDER>_API_KEY (ZoomInfo: ZOOMINFO_CLIENT_ID and
// ZOOMINFO_CLIENT_SECRET; Lead411: LEAD411_EMAIL and LEAD411_PASSWORD,
// as for pulls) and, for emulators and proxies,
// <PROVIDER>_BASE_URL. Apollo's phone reveals are delivered to a webhook:
// with APOLLO_WEBHOOK_ADDR set the caller serves Clients.ApolloInbox there
// under an unguessable path (APOLLO_WEBHOOK_URL is the public URL that
// reaches it, default http://<addr><path>); without it every reveal is
// read from GET /webhook_result. A provider without a key is left out,
// and the stage skips it with the reason not_configured.
package registry

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/connectors/enrich/apollo"
	"github.com/leadstream/leadstream/connectors/enrich/hunter"
	"github.com/leadstream/leadstream/connectors/enrich/lead411"
	"github.com/leadstream/leadstream/connectors/enrich/lusha"
	"github.com/leadstream/leadstream/connectors/enrich/rocketreach"
	"github.com/leadstream/leadstream/connectors/enrich/seamless"
	"github.com/leadstream/leadstream/connectors/enrich/uplead"
	"github.com/leadstream/leadstream/connectors/enrich/zoominfo"
)

// Known lists the providers with an enrichment client.
var Known = []string{apollo.Provider, hunter.Provider, lusha.Provider, uplead.Provider, zoominfo.Provider,
	rocketreach.Provider, seamless.Provider, lead411.Provider}

// Clients are the built clients.
type Clients struct {
	People    map[string]enrich.Provider
	Companies map[string]enrich.CompanyProvider
	// Missing names providers the waterfall uses that have no key.
	Missing []string
	// ApolloInbox receives Apollo's reveals at ApolloInboxPath on
	// APOLLO_WEBHOOK_ADDR (nil without it).
	ApolloInbox     *apollo.Inbox
	ApolloInboxPath string
}

// Build makes a client for each provider in names (unknown names are an
// error). getenv reads the environment; perSecond overrides pacing per
// provider; instrument wraps each provider's HTTP client (nil: none).
func Build(names []string, getenv func(string) string, perSecond map[string]float64, instrument func(provider string, hc *http.Client) *http.Client) (Clients, error) {
	c := Clients{People: map[string]enrich.Provider{}, Companies: map[string]enrich.CompanyProvider{}}
	for _, n := range names {
		if !slices.Contains(Known, n) {
			return Clients{}, fmt.Errorf("no enrichment client for provider %q (known: %s)", n, strings.Join(Known, ", "))
		}
		env := strings.ToUpper(n)
		key := getenv(env + "_API_KEY")
		switch n {
		case zoominfo.Provider:
			key = getenv("ZOOMINFO_CLIENT_SECRET")
		case lead411.Provider:
			key = getenv("LEAD411_PASSWORD")
		}
		if key == "" {
			c.Missing = append(c.Missing, n)
			continue
		}
		hc := &http.Client{Timeout: time.Minute}
		if instrument != nil {
			hc = instrument(n, hc)
		}
		cfg := enrich.ClientConfig{BaseURL: getenv(env + "_BASE_URL"), APIKey: key, HTTP: hc, PerSecond: perSecond[n]}
		switch n {
		case apollo.Provider:
			ac := apollo.Config{ClientConfig: cfg, WebhookURL: getenv("APOLLO_WEBHOOK_URL")}
			if addr := getenv("APOLLO_WEBHOOK_ADDR"); addr != "" {
				var tok [16]byte
				if _, err := rand.Read(tok[:]); err != nil {
					return Clients{}, err
				}
				c.ApolloInbox, c.ApolloInboxPath = apollo.NewInbox(0), "/apollo/webhook/"+hex.EncodeToString(tok[:])
				if ac.WebhookURL == "" {
					ac.WebhookURL = "http://" + addr + c.ApolloInboxPath
				} else {
					ac.WebhookURL = strings.TrimRight(ac.WebhookURL, "/") + c.ApolloInboxPath
				}
				ac.Inbox = c.ApolloInbox
			}
			cl := apollo.New(ac)
			c.People[n], c.Companies[n] = cl, cl
		case hunter.Provider:
			c.People[n] = hunter.New(cfg)
		case lusha.Provider:
			c.People[n] = lusha.New(cfg)
		case zoominfo.Provider:
			cl := zoominfo.New(zoominfo.Config{ClientConfig: cfg, ClientID: getenv("ZOOMINFO_CLIENT_ID")})
			c.People[n], c.Companies[n] = cl, cl
		case uplead.Provider:
			cl := uplead.New(cfg)
			c.People[n], c.Companies[n] = cl, cl
		case rocketreach.Provider:
			c.People[n] = rocketreach.New(rocketreach.Config{ClientConfig: cfg})
		case seamless.Provider:
			c.People[n] = seamless.New(seamless.Config{ClientConfig: cfg})
		case lead411.Provider:
			c.People[n] = lead411.New(lead411.Config{ClientConfig: cfg, Email: getenv("LEAD411_EMAIL")})
		}
	}
	return c, nil
}
