package sink

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/internal/lead"
)

// clientIndex is the tenant's Clients by organisation key, read once per
// process: a new organisation is matched against it (by website domain,
// then by normalised name) before a Client is created, so customers and
// prospects already in HaloPSA are not doubled (crm.md §6.2). A name
// match does not join two organisations whose domains are both known and
// differ: the domain is the organisation key (§4.3).
type clientIndex struct {
	mu     sync.Mutex
	loaded bool
	byKey  map[string]indexedClient
}

// indexedClient is a Client and the registrable domain it is known by
// ("" when none).
type indexedClient struct {
	rec    orgRecord
	domain string
}

// load reads every active Client once.
func (ci *clientIndex) load(ctx context.Context, c *halopsa.Client) error {
	ci.mu.Lock()
	defer ci.mu.Unlock()
	if ci.loaded {
		return nil
	}
	rows, err := halopsa.ListAll[halopsa.Area](ctx, c, halopsa.ResClient, nil)
	if err != nil {
		return fmt.Errorf("sink: reading HaloPSA clients: %w", err)
	}
	ci.byKey = make(map[string]indexedClient, 2*len(rows))
	for _, a := range rows {
		rec := orgRecord{ClientID: a.ID, SiteID: a.MainSiteID, Adopted: true}
		d := lead.RegistrableDomain(a.Website)
		if d != "" {
			ci.putLocked("d:"+d, rec, d)
		}
		if k := lead.CompanyKey(a.Name); k != "" {
			ci.putLocked("c:"+k, rec, d)
		}
	}
	ci.loaded = true
	return nil
}

// putLocked keeps the first Client seen for a key (the oldest id).
func (ci *clientIndex) putLocked(key string, rec orgRecord, domain string) {
	if _, ok := ci.byKey[key]; !ok {
		ci.byKey[key] = indexedClient{rec: rec, domain: domain}
	}
}

// lookup finds the Client of an organisation key, else of its name,
// unless that Client's domain is known and another than the key's.
func (ci *clientIndex) lookup(key, name string) (orgRecord, bool) {
	ci.mu.Lock()
	defer ci.mu.Unlock()
	if hit, ok := ci.byKey[key]; ok {
		return hit.rec, true
	}
	k := lead.CompanyKey(name)
	if k == "" {
		return orgRecord{}, false
	}
	hit, ok := ci.byKey["c:"+k]
	if !ok || hit.domain != "" && domainOf(key) != "" && hit.domain != domainOf(key) {
		return orgRecord{}, false
	}
	return hit.rec, true
}

// add records a Client leadstream created.
func (ci *clientIndex) add(key, name string, rec orgRecord) {
	ci.mu.Lock()
	defer ci.mu.Unlock()
	if ci.byKey == nil {
		ci.byKey = map[string]indexedClient{}
	}
	ci.putLocked(key, rec, domainOf(key))
	if k := lead.CompanyKey(name); k != "" {
		ci.putLocked("c:"+k, rec, domainOf(key))
	}
}

// domainOf is the domain of a "d:" organisation key, else "".
func domainOf(key string) string {
	d, _ := strings.CutPrefix(key, "d:")
	if d == key {
		return ""
	}
	return d
}
