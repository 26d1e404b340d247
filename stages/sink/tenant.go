package sink

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/internal/atomicfile"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/internal/textsafe"
)

// tenantIndex is what the tenant already holds: every Client with its
// website, every User by e-mail, and the open lead Tickets by User. The
// first process against a tenant reads it whole (the initial sync); the
// copy is kept in a file under the data directory, so a restart reads
// only what changed since the last read (lastupdatefromdate). Each read
// is paged (page_size 100): adopting a tenant costs N/100 requests per
// resource, never one per Client. Records leadstream creates are added as
// they are made. While the process runs, refresh reads what changed since
// the last read before a batch that creates records, when the copy is
// older than the configured interval; the Sites (with their addresses)
// are read once the first time a lead lands at a Client leadstream did
// not make, then followed the same way.
//
// A new organisation is matched against it before a Client is created
// (crm.md §6.2): by website domain first; by normalised name only when a
// domain is missing on one side (§4.3), since alike names at different
// domains are different companies. A lead's contact is matched by e-mail
// (by name at the same Client when the lead has none), and a User that
// already has an open lead Ticket keeps it instead of getting a second.
//
// A Client or User deleted in HaloPSA stays in the copy until a write
// naming it fails (the sink then forgets the id, crm.md §6.1).
type tenantIndex struct {
	refreshMu sync.Mutex // one refresh at a time
	mu        sync.Mutex
	loaded    bool
	loadedAt  time.Time // when the last read began
	refreshes int       // reads since the first (for tests)
	path      string    // the copy's file ("": none)
	// The records, by id (what the file keeps).
	clients map[int]savedClient
	people  map[int]savedUser
	tickets map[int]int // user id → open lead ticket id
	// siteTickets are the open lead Tickets without a User (an
	// organisation lead's, Options.OrganisationTickets): site id → ticket.
	siteTickets map[int]int
	sites       map[int]savedSite
	// sitesAt is when the Sites were first read (zero: not yet; they are
	// read the first time a lead lands at a Client leadstream did not
	// make, then followed with the rest).
	sitesAt time.Time
	// Derived lookups.
	byDomain map[string]orgRecord
	byName   map[string][]indexedClient
	users    map[string]userRef // lower-case e-mail → User
	named    map[string][]int   // "<client id>/<lower-case name>" → Users, oldest first
	// owned are the Users leads have (ownUser): User id → lead id, kept
	// across re-reads and, in ownedLog, across restarts (the copy of the
	// tenant on disk is only written when the tenant is read).
	owned    map[int]string
	ownedLog *os.File
	atSite   map[string]int // "<client id>/<address key>" → Site
}

// savedClient and savedUser are the index's records of a Client and a User.
type savedClient struct {
	Name   string `json:"n,omitempty"`
	Domain string `json:"d,omitempty"`
	SiteID int    `json:"s,omitempty"`
	// Own: leadstream made it (its only Site is the one it wrote).
	Own bool `json:"o,omitempty"`
}

type savedUser struct {
	ClientID int    `json:"c,omitempty"`
	SiteID   int    `json:"s,omitempty"`
	Email    string `json:"e,omitempty"`
	Name     string `json:"n,omitempty"`
	// Own: a lead of leadstream's has it (leadstream made it, or linked
	// it). Such a User is never found again by name: dedupe said the lead
	// being written is another person.
	Own bool `json:"o,omitempty"`
}

// savedSite is the index's record of a Site: its Client and the keys of
// its delivery address (siteKeys).
type savedSite struct {
	ClientID int      `json:"c,omitempty"`
	Keys     []string `json:"k,omitempty"`
}

// tenantSnapshot is the index's file.
type tenantSnapshot struct {
	Identity string              `json:"identity"`
	ReadAt   time.Time           `json:"read_at"`
	Clients  map[int]savedClient `json:"clients"`
	Users    map[int]savedUser   `json:"users"`
	Tickets  map[int]int         `json:"tickets"`
	Sites    map[int]savedSite   `json:"sites"`
	SitesAt  time.Time           `json:"sites_read_at,omitzero"`
	// SiteTickets are the open lead Tickets without a User, by Site.
	SiteTickets map[int]int `json:"site_tickets,omitempty"`
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

// load reads the tenant once per process: all of it the first time, what
// changed since the last read when dir holds a copy from an earlier run.
func (ti *tenantIndex) load(ctx context.Context, c *halopsa.Client, leadTypeID int, dir string, log *slog.Logger) error {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	if ti.loaded {
		return nil
	}
	at := time.Now()
	ti.reset()
	ti.path = ""
	var since time.Time
	if dir != "" {
		sum := sha256.Sum256([]byte(c.Identity()))
		base := filepath.Join(dir, "tenant-"+hex.EncodeToString(sum[:6]))
		ti.path = base + ".json"
		ti.readOwned(base+"-owned.log", log)
		if snap, ok := readSnapshot(ti.path, c.Identity(), log); ok {
			ti.clients, ti.people, ti.tickets, ti.sites = snap.Clients, snap.Users, snap.Tickets, snap.Sites
			if snap.SiteTickets != nil {
				ti.siteTickets = snap.SiteTickets
			}
			ti.sitesAt = snap.SitesAt
			since = snap.ReadAt.Add(-clockSkew)
		}
	}
	ch, err := readChanges(ctx, c, leadTypeID, since, !ti.sitesAt.IsZero())
	if err != nil {
		return err
	}
	ti.mergeLocked(ch)
	ti.loaded, ti.loadedAt = true, at
	log.Info("read the HaloPSA tenant", "incremental", !since.IsZero(), "clients_read", len(ch.clients), "users_read", len(ch.users),
		"tickets_read", len(ch.tickets), "clients", len(ti.clients), "users", len(ti.people))
	ti.saveLocked(c.Identity(), log)
	return nil
}

// refresh follows the tenant while the process runs: when the index was
// last read more than maxAge ago it reads, paged and per resource, only
// what changed since (lastupdatefromdate, less the clock skew), so a
// Client or User a person made in HaloPSA meanwhile is adopted rather
// than doubled. It costs one page per resource when little changed,
// never a request per Client. maxAge ≤ 0 never refreshes. Refreshes are
// one at a time; lookups go on while one reads.
func (ti *tenantIndex) refresh(ctx context.Context, c *halopsa.Client, leadTypeID int, maxAge time.Duration, log *slog.Logger) error {
	if maxAge <= 0 {
		return nil
	}
	ti.refreshMu.Lock()
	defer ti.refreshMu.Unlock()
	ti.mu.Lock()
	loaded, last, sites := ti.loaded, ti.loadedAt, !ti.sitesAt.IsZero()
	ti.mu.Unlock()
	if !loaded || time.Since(last) < maxAge {
		return nil
	}
	at := time.Now()
	ch, err := readChanges(ctx, c, leadTypeID, last.Add(-clockSkew), sites)
	if err != nil {
		return err
	}
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.mergeLocked(ch)
	ti.loadedAt = at
	ti.refreshes++
	log.Debug("refreshed the HaloPSA tenant", "clients_read", len(ch.clients), "users_read", len(ch.users),
		"tickets_read", len(ch.tickets), "clients", len(ti.clients), "users", len(ti.people))
	ti.saveLocked(c.Identity(), log)
	return nil
}

// readSites reads every Site of the tenant (paged, with addresses) the
// first time it is called; later reads and refreshes follow their changes.
// A tenant whose leads all get Clients leadstream makes never pays for it.
func (ti *tenantIndex) readSites(ctx context.Context, c *halopsa.Client, log *slog.Logger) error {
	ti.refreshMu.Lock()
	defer ti.refreshMu.Unlock()
	ti.mu.Lock()
	done := !ti.sitesAt.IsZero()
	ti.mu.Unlock()
	if done {
		return nil
	}
	at := time.Now()
	sites, err := listSites(ctx, c, url.Values{})
	if err != nil {
		return err
	}
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.mergeLocked(tenantChanges{sites: sites})
	ti.sitesAt = at
	log.Info("read the HaloPSA tenant's sites", "sites_read", len(sites))
	ti.saveLocked(c.Identity(), log)
	return nil
}

func listSites(ctx context.Context, c *halopsa.Client, q url.Values) ([]halopsa.Site, error) {
	q.Set("includeaddress", "true")
	sites, err := halopsa.ListAll[halopsa.Site](ctx, c, halopsa.ResSite, q)
	if err != nil {
		return nil, fmt.Errorf("sink: reading HaloPSA sites: %w", err)
	}
	return sites, nil
}

// adopted reports whether a Client is one leadstream did not make.
func (ti *tenantIndex) adopted(clientID int) bool {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	c, ok := ti.clients[clientID]
	return ok && !c.Own
}

// tenantChanges is one read of the tenant: everything, or what changed
// since a time.
type tenantChanges struct {
	clients []halopsa.Area
	users   []halopsa.User
	tickets []halopsa.Ticket
	sites   []halopsa.Site
}

// readChanges reads the tenant's Clients (with their websites), Sites
// when sites is set (with their addresses: includeaddress), Users and
// open lead Tickets, paged; since non-zero reads only what changed after.
func readChanges(ctx context.Context, c *halopsa.Client, leadTypeID int, since time.Time, sites bool) (tenantChanges, error) {
	query := func(kv ...string) url.Values {
		q := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		if !since.IsZero() {
			q.Set("lastupdatefromdate", since.UTC().Format("2006-01-02T15:04:05"))
		}
		return q
	}
	var ch tenantChanges
	var err error
	if ch.clients, err = halopsa.ListAll[halopsa.Area](ctx, c, halopsa.ResClient, query("include_website", "true")); err != nil {
		return ch, fmt.Errorf("sink: reading HaloPSA clients: %w", err)
	}
	if sites {
		if ch.sites, err = listSites(ctx, c, query()); err != nil {
			return ch, err
		}
	}
	if ch.users, err = halopsa.ListAll[halopsa.User](ctx, c, halopsa.ResUsers, query()); err != nil {
		return ch, fmt.Errorf("sink: reading HaloPSA users: %w", err)
	}
	ch.tickets, err = halopsa.ListAll[halopsa.Ticket](ctx, c, halopsa.ResTickets,
		query("requesttype_id", strconv.Itoa(leadTypeID), "open_only", "true"))
	if err != nil {
		return ch, fmt.Errorf("sink: reading HaloPSA lead tickets: %w", err)
	}
	return ch, nil
}

// mergeLocked takes a read into the records (a changed record replaces
// its copy) and rebuilds the lookups.
func (ti *tenantIndex) mergeLocked(ch tenantChanges) {
	if ti.clients == nil {
		ti.reset()
	}
	for _, a := range ch.clients {
		ti.clients[a.ID] = savedClient{Name: a.Name, Domain: lead.RegistrableDomain(a.Website), SiteID: a.MainSiteID, Own: ti.clients[a.ID].Own}
	}
	for _, st := range ch.sites {
		if st.Inactive || st.ClientID == 0 {
			delete(ti.sites, st.ID)
			continue
		}
		var keys []string
		if a := st.DeliveryAddress; a != nil {
			keys = siteKeys(a.Line1, a.Line2, a.Postcode)
		}
		if k := siteNameKey(st.Name); k != "" {
			keys = append(keys, k)
		}
		ti.sites[st.ID] = savedSite{ClientID: st.ClientID, Keys: keys}
	}
	for _, u := range ch.users {
		ti.people[u.ID] = savedUser{ClientID: u.ClientID, SiteID: int(u.SiteID), Email: u.EmailAddress, Name: u.Name, Own: ti.people[u.ID].Own}
	}
	for _, t := range ch.tickets {
		if _, ok := ti.tickets[t.UserID]; !ok && t.UserID != 0 {
			ti.tickets[t.UserID] = t.ID
		}
		if _, ok := ti.siteTickets[t.SiteID]; !ok && t.UserID == 0 && t.SiteID != 0 {
			ti.siteTickets[t.SiteID] = t.ID
		}
	}
	ti.derive()
}

// saveLocked keeps the copy under the data directory, if there is one.
func (ti *tenantIndex) saveLocked(identity string, log *slog.Logger) {
	if ti.path == "" {
		return
	}
	b, err := json.Marshal(tenantSnapshot{Identity: identity, ReadAt: ti.loadedAt, Clients: ti.clients, Users: ti.people, Tickets: ti.tickets, Sites: ti.sites, SitesAt: ti.sitesAt, SiteTickets: ti.siteTickets})
	if err == nil {
		err = atomicfile.Write(ti.path, b, false)
	}
	if err != nil {
		log.Warn("could not keep the copy of the HaloPSA tenant; the next start reads it whole", "path", ti.path, "err", err)
	}
}

// readSnapshot reads the index's file; a missing, unreadable or other
// tenant's file is no copy.
func readSnapshot(path, identity string, log *slog.Logger) (tenantSnapshot, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			log.Warn("could not read the copy of the HaloPSA tenant; reading it whole", "path", path, "err", err)
		}
		return tenantSnapshot{}, false
	}
	var snap tenantSnapshot
	if err := json.Unmarshal(b, &snap); err != nil || snap.Identity != identity || snap.ReadAt.IsZero() {
		log.Warn("the copy of the HaloPSA tenant is unusable; reading it whole", "path", path)
		return tenantSnapshot{}, false
	}
	if snap.Clients == nil {
		snap.Clients = map[int]savedClient{}
	}
	if snap.Users == nil {
		snap.Users = map[int]savedUser{}
	}
	if snap.Tickets == nil {
		snap.Tickets = map[int]int{}
	}
	if snap.Sites == nil {
		snap.Sites = map[int]savedSite{}
	}
	return snap, true
}

func (ti *tenantIndex) reset() {
	ti.clients = map[int]savedClient{}
	ti.people = map[int]savedUser{}
	ti.tickets = map[int]int{}
	ti.sites = map[int]savedSite{}
	ti.siteTickets = map[int]int{}
	ti.derive()
}

// derive rebuilds the lookups from the records, oldest id first.
func (ti *tenantIndex) derive() {
	ti.byDomain = map[string]orgRecord{}
	ti.byName = map[string][]indexedClient{}
	ti.users = map[string]userRef{}
	ti.named = map[string][]int{}
	ti.atSite = map[string]int{}
	for _, id := range slices.Sorted(maps.Keys(ti.sites)) {
		st := ti.sites[id]
		for _, k := range st.Keys {
			if _, ok := ti.atSite[strconv.Itoa(st.ClientID)+"/"+k]; !ok {
				ti.atSite[strconv.Itoa(st.ClientID)+"/"+k] = id
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(ti.clients)) {
		c := ti.clients[id]
		ti.deriveClient(id, c)
	}
	for _, id := range slices.Sorted(maps.Keys(ti.people)) {
		ti.deriveUser(id, ti.people[id])
	}
}

// deriveClient keeps the first Client seen per domain (the oldest id)
// and every Client per name.
func (ti *tenantIndex) deriveClient(id int, c savedClient) {
	rec := orgRecord{ClientID: id, SiteID: c.SiteID, Adopted: true}
	if c.Domain != "" {
		if _, ok := ti.byDomain[c.Domain]; !ok {
			ti.byDomain[c.Domain] = rec
		}
	}
	if k := lead.CompanyKey(c.Name); k != "" {
		ti.byName[k] = append(ti.byName[k], indexedClient{rec: rec, domain: c.Domain})
	}
}

func (ti *tenantIndex) deriveUser(id int, u savedUser) {
	ref := userRef{ID: id, ClientID: u.ClientID, SiteID: u.SiteID}
	if e := strings.ToLower(strings.TrimSpace(u.Email)); e != "" {
		if _, ok := ti.users[e]; !ok {
			ti.users[e] = ref
		}
	}
	if n := strings.ToLower(strings.TrimSpace(u.Name)); n != "" {
		k := strconv.Itoa(u.ClientID) + "/" + n
		if !slices.Contains(ti.named[k], id) {
			ti.named[k] = append(ti.named[k], id)
		}
	}
}

func (ti *tenantIndex) addUserLocked(u halopsa.User) {
	if ti.people == nil {
		ti.reset()
	}
	su := savedUser{ClientID: u.ClientID, SiteID: int(u.SiteID), Email: u.EmailAddress, Name: u.Name, Own: ti.people[u.ID].Own}
	ti.people[u.ID] = su
	ti.deriveUser(u.ID, su)
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
	if ti.clients == nil {
		ti.reset()
	}
	c := savedClient{Name: name, Domain: domainOf(key), SiteID: rec.SiteID, Own: true}
	ti.clients[rec.ClientID] = c
	ti.deriveClient(rec.ClientID, c)
}

// user finds the User of lead leadID: by e-mail, else (no e-mail) by name
// at the lead's Client, among the Users no other lead of leadstream's has
// (two leads of one name are two people: dedupe kept them apart).
func (ti *tenantIndex) user(leadID string, l *lead.Lead, clientID int) (userRef, bool) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	// HaloPSA holds what was written: the neutralised text (records.go).
	if l.Email != "" {
		u, ok := ti.users[strings.ToLower(textsafe.Cell(l.Email))]
		return u, ok
	}
	for _, id := range ti.named[strconv.Itoa(clientID)+"/"+strings.ToLower(textsafe.Cell(personName(l)))] {
		u := ti.people[id]
		if owner, owned := ti.owned[id]; owned && owner != leadID || !owned && u.Own {
			continue
		}
		return userRef{ID: id, ClientID: u.ClientID, SiteID: u.SiteID}, true
	}
	return userRef{}, false
}

// addUser records a User read from HaloPSA.
func (ti *tenantIndex) addUser(u halopsa.User) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.addUserLocked(u)
}

// ownUser marks a User that lead now has (leadstream made or linked it),
// also one the index has not read yet, and notes it in the owned log.
func (ti *tenantIndex) ownUser(id int, leadID string) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	if ti.owned == nil {
		ti.owned = map[int]string{}
	}
	if u, ok := ti.people[id]; ok {
		u.Own = true
		ti.people[id] = u
	}
	if _, ok := ti.owned[id]; ok {
		return
	}
	ti.owned[id] = leadID
	if ti.ownedLog != nil {
		// Written at once: the User exists in HaloPSA whatever becomes of
		// the batch, and the line must outlive a crash of the process.
		_, _ = fmt.Fprintf(ti.ownedLog, "%d %s\n", id, leadID)
	}
}

// readOwned loads the owned log at path and opens it for appending, once:
// a load retried after a failed read of the tenant keeps what it has.
func (ti *tenantIndex) readOwned(path string, log *slog.Logger) {
	if ti.ownedLog != nil {
		return
	}
	if ti.owned == nil {
		ti.owned = map[int]string{}
	}
	if b, err := os.ReadFile(path); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			idText, leadID, ok := strings.Cut(line, " ")
			if id, err := strconv.Atoi(idText); ok && err == nil && id > 0 {
				ti.owned[id] = leadID
			}
		}
	}
	err := os.MkdirAll(filepath.Dir(path), 0o700)
	var f *os.File
	if err == nil {
		f, err = os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	}
	if err != nil {
		log.Warn("sink: the log of Users leads have cannot be written; after a restart a lead without e-mail may be given a namesake's User by name", "err", err)
		return
	}
	ti.ownedLog = f
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

// siteTicket is the open lead ticket without a User at a Site (an
// organisation lead's).
func (ti *tenantIndex) siteTicket(siteID int) (int, bool) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	id, ok := ti.siteTickets[siteID]
	return id, ok
}

// addSiteTicket records an organisation lead's ticket.
func (ti *tenantIndex) addSiteTicket(siteID, ticketID int) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	if ti.siteTickets == nil {
		ti.reset()
	}
	if _, ok := ti.siteTickets[siteID]; !ok {
		ti.siteTickets[siteID] = ticketID
	}
}

// addSite records a Site leadstream created (or seeded with a Client)
// with the keys of its address and name, so later leads at that address
// find it.
func (ti *tenantIndex) addSite(siteID, clientID int, a lead.Address, name string) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	if ti.sites == nil {
		ti.reset()
	}
	keys := siteKeys(textsafe.Cell(a.Street), textsafe.Cell(a.City), textsafe.Cell(a.Postcode))
	if k := siteNameKey(textsafe.Cell(name)); k != "" {
		keys = append(keys, k)
	}
	ti.sites[siteID] = savedSite{ClientID: clientID, Keys: keys}
	for _, k := range keys {
		if _, ok := ti.atSite[strconv.Itoa(clientID)+"/"+k]; !ok {
			ti.atSite[strconv.Itoa(clientID)+"/"+k] = siteID
		}
	}
}

// removeUser takes a User leadstream made inactive out of the lookups,
// so no later lead is linked to it.
func (ti *tenantIndex) removeUser(id int) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	if _, ok := ti.people[id]; !ok {
		return
	}
	delete(ti.people, id)
	ti.derive()
}

// domainOf is the domain of a "d:" organisation key, else "".
func domainOf(key string) string {
	d, _ := strings.CutPrefix(key, "d:")
	if d == key {
		return ""
	}
	return d
}

// site is the Site of a Client at a lead's address: the contact's own
// (street, city, postcode: where the person works) first, else the
// organisation's head office; the oldest active Site whose delivery
// address has the same street and postcode, else the same street and
// city (line1, line2 and postcode, as leadstream writes a new Client's
// site).
func (ti *tenantIndex) site(clientID int, l *lead.Lead) (int, bool) {
	if l == nil || clientID == 0 {
		return 0, false
	}
	addrs := []lead.Address{{Street: l.Street, City: l.City, Postcode: l.Postcode}}
	if l.HQ != nil {
		addrs = append(addrs, *l.HQ)
	}
	ti.mu.Lock()
	defer ti.mu.Unlock()
	for _, a := range addrs {
		// HaloPSA holds what was written: the neutralised text (records.go).
		for _, k := range siteKeys(textsafe.Cell(a.Street), textsafe.Cell(a.City), textsafe.Cell(a.Postcode)) {
			if id, ok := ti.atSite[strconv.Itoa(clientID)+"/"+k]; ok {
				return id, true
			}
		}
	}
	return 0, false
}

// orgSite is the Site of a Client that is an organisation lead's: the
// one at its address (site), else, for a lead without a street, the one
// with the name the sink gives such a Site (its city: "Leeds").
func (ti *tenantIndex) orgSite(clientID int, l *lead.Lead) (int, bool) {
	if id, ok := ti.site(clientID, l); ok {
		return id, true
	}
	if len(leadSiteKeys(l)) > 0 {
		return 0, false
	}
	k := siteNameKey(textsafe.Cell(siteName(l)))
	if k == "" {
		return 0, false
	}
	ti.mu.Lock()
	defer ti.mu.Unlock()
	id, ok := ti.atSite[strconv.Itoa(clientID)+"/"+k]
	return id, ok
}

// siteNameKey is the key a Site is found by its name with ("" for none).
func siteNameKey(name string) string {
	if n := addressPart(name); n != "" {
		return "n:" + n
	}
	return ""
}

// siteKeys are the keys an address is matched by: street and postcode,
// and street and city, each normalised (case, punctuation and spacing
// ignored); none without a street.
func siteKeys(street, city, postcode string) []string {
	st := addressPart(street)
	if st == "" {
		return nil
	}
	var keys []string
	if pc := addressPart(postcode); pc != "" {
		keys = append(keys, "p:"+st+"|"+pc)
	}
	if c := addressPart(city); c != "" {
		keys = append(keys, "c:"+st+"|"+c)
	}
	return keys
}

// addressPart is an address line in lower case with letters and digits
// only, words separated by one space.
func addressPart(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}
