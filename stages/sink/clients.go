package sink

import (
	"context"
	"fmt"
	"sync"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/internal/lead"
)

// clientIndex is the tenant's Clients by organisation key, read once per
// process: a new organisation is matched against it (by website domain,
// then by normalised name) before a Client is created, so customers and
// prospects already in HaloPSA are not doubled (crm.md §6.2).
type clientIndex struct {
	mu     sync.Mutex
	loaded bool
	byKey  map[string]orgRecord
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
	ci.byKey = make(map[string]orgRecord, 2*len(rows))
	for _, a := range rows {
		rec := orgRecord{ClientID: a.ID, SiteID: a.MainSiteID, Adopted: true}
		if d := lead.RegistrableDomain(a.Website); d != "" {
			ci.putLocked("d:"+d, rec)
		}
		if k := lead.CompanyKey(a.Name); k != "" {
			ci.putLocked("c:"+k, rec)
		}
	}
	ci.loaded = true
	return nil
}

// putLocked keeps the first Client seen for a key (the oldest id).
func (ci *clientIndex) putLocked(key string, rec orgRecord) {
	if _, ok := ci.byKey[key]; !ok {
		ci.byKey[key] = rec
	}
}

// lookup finds the Client of an organisation key, else of its name.
func (ci *clientIndex) lookup(key, name string) (orgRecord, bool) {
	ci.mu.Lock()
	defer ci.mu.Unlock()
	if rec, ok := ci.byKey[key]; ok {
		return rec, true
	}
	if k := lead.CompanyKey(name); k != "" {
		rec, ok := ci.byKey["c:"+k]
		return rec, ok
	}
	return orgRecord{}, false
}

// add records a Client leadstream created.
func (ci *clientIndex) add(key, name string, rec orgRecord) {
	ci.mu.Lock()
	defer ci.mu.Unlock()
	if ci.byKey == nil {
		ci.byKey = map[string]orgRecord{}
	}
	ci.putLocked(key, rec)
	if k := lead.CompanyKey(name); k != "" {
		ci.putLocked("c:"+k, rec)
	}
}
