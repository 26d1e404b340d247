package sink

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/internal/lead"
)

// tenantIndex is what the tenant already holds, read once per process
// before the first write (the initial sync): every Client with its
// website, every User by e-mail, and the open lead Tickets by User. Each
// read is paged (page_size 100), so adopting a tenant costs N/100
// requests per resource, never one per Client. Records leadstream creates
// are added as they are made.
//
// A new organisation is matched against it before a Client is created
// (crm.md §6.2): by website domain first; by normalised name only when a
// domain is missing on one side (§4.3), since alike names at different
// domains are different companies. A lead's contact is matched by e-mail
// (by name at the same Client when the lead has none), and a User that
// already has an open lead Ticket keeps it instead of getting a second.
type tenantIndex struct {
	mu       sync.Mutex
	loaded   bool
	loadedAt time.Time
	byDomain map[string]orgRecord
	byName   map[string][]indexedClient
	users    map[string]userRef // lower-case e-mail → User
	named    map[string]userRef // "<client id>/<lower-case name>" → User
	tickets  map[int]int        // user id → open lead ticket id
}

// indexedClient is a Client and the registrable domain it is known by
// ("" when none).
type indexedClient struct {
	rec    orgRecord
	domain string
}

// userRef is a User already in the tenant.
type userRef struct {
	ID, ClientID, SiteID int
}

// load reads the tenant once: Clients with their websites, Users, and
// the open tickets of the lead type.
func (ti *tenantIndex) load(ctx context.Context, c *halopsa.Client, leadTypeID int) error {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	if ti.loaded {
		return nil
	}
	at := time.Now()
	clients, err := halopsa.ListAll[halopsa.Area](ctx, c, halopsa.ResClient, url.Values{"include_website": {"true"}})
	if err != nil {
		return fmt.Errorf("sink: reading HaloPSA clients: %w", err)
	}
	users, err := halopsa.ListAll[halopsa.User](ctx, c, halopsa.ResUsers, nil)
	if err != nil {
		return fmt.Errorf("sink: reading HaloPSA users: %w", err)
	}
	tickets, err := halopsa.ListAll[halopsa.Ticket](ctx, c, halopsa.ResTickets,
		url.Values{"requesttype_id": {strconv.Itoa(leadTypeID)}, "open_only": {"true"}})
	if err != nil {
		return fmt.Errorf("sink: reading HaloPSA lead tickets: %w", err)
	}
	ti.reset()
	for _, a := range clients {
		ti.addClientLocked(a.Name, lead.RegistrableDomain(a.Website), orgRecord{ClientID: a.ID, SiteID: a.MainSiteID, Adopted: true})
	}
	for _, u := range users {
		ti.addUserLocked(u)
	}
	for _, t := range tickets {
		if _, ok := ti.tickets[t.UserID]; !ok && t.UserID != 0 {
			ti.tickets[t.UserID] = t.ID
		}
	}
	ti.loaded, ti.loadedAt = true, at
	return nil
}

func (ti *tenantIndex) reset() {
	ti.byDomain = map[string]orgRecord{}
	ti.byName = map[string][]indexedClient{}
	ti.users = map[string]userRef{}
	ti.named = map[string]userRef{}
	ti.tickets = map[int]int{}
}

// addClientLocked keeps the first Client seen per domain (the oldest id)
// and every Client per name.
func (ti *tenantIndex) addClientLocked(name, domain string, rec orgRecord) {
	if ti.byDomain == nil {
		ti.reset()
	}
	if domain != "" {
		if _, ok := ti.byDomain[domain]; !ok {
			ti.byDomain[domain] = rec
		}
	}
	if k := lead.CompanyKey(name); k != "" {
		ti.byName[k] = append(ti.byName[k], indexedClient{rec: rec, domain: domain})
	}
}

func (ti *tenantIndex) addUserLocked(u halopsa.User) {
	if ti.users == nil {
		ti.reset()
	}
	ref := userRef{ID: u.ID, ClientID: u.ClientID, SiteID: int(u.SiteID)}
	if e := strings.ToLower(strings.TrimSpace(u.EmailAddress)); e != "" {
		if _, ok := ti.users[e]; !ok {
			ti.users[e] = ref
		}
	}
	if n := strings.ToLower(strings.TrimSpace(u.Name)); n != "" {
		k := strconv.Itoa(u.ClientID) + "/" + n
		if _, ok := ti.named[k]; !ok {
			ti.named[k] = ref
		}
	}
}

// since reports whether the index was read after t (so it holds whatever
// a write sent before t created).
func (ti *tenantIndex) since(t time.Time) bool {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	return ti.loaded && ti.loadedAt.After(t)
}

// lookup finds the Client of an organisation key: by its domain, else by
// name when the key or the Client has no domain.
func (ti *tenantIndex) lookup(key, name string) (orgRecord, bool) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	d := domainOf(key)
	if d != "" {
		if rec, ok := ti.byDomain[d]; ok {
			return rec, true
		}
	}
	k := lead.CompanyKey(name)
	if k == "" {
		return orgRecord{}, false
	}
	for _, c := range ti.byName[k] {
		if c.domain == "" || d == "" {
			return c.rec, true
		}
	}
	return orgRecord{}, false
}

// addClient records a Client leadstream created (or found again).
func (ti *tenantIndex) addClient(key, name string, rec orgRecord) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.addClientLocked(name, domainOf(key), rec)
}

// user finds the User of a lead: by e-mail, else (no e-mail) by name at
// the lead's Client.
func (ti *tenantIndex) user(l *lead.Lead, clientID int) (userRef, bool) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	if l.Email != "" {
		u, ok := ti.users[strings.ToLower(l.Email)]
		return u, ok
	}
	u, ok := ti.named[strconv.Itoa(clientID)+"/"+strings.ToLower(personName(l))]
	return u, ok
}

// addUser records a User leadstream created (or found again).
func (ti *tenantIndex) addUser(u halopsa.User) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.addUserLocked(u)
}

// ticket is the open lead ticket of a User.
func (ti *tenantIndex) ticket(userID int) (int, bool) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	id, ok := ti.tickets[userID]
	return id, ok
}

// addTicket records a lead ticket leadstream created (or found again).
func (ti *tenantIndex) addTicket(userID, ticketID int) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	if ti.tickets == nil {
		ti.reset()
	}
	if _, ok := ti.tickets[userID]; !ok {
		ti.tickets[userID] = ticketID
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
