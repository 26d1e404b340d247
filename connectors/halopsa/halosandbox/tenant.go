package halosandbox

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Words of the seeded tenant's Client names. They are the kind of names
// MSPs' customers and leadstream's generated leads (bench/leadgen) both
// carry, so alike names meet: "Summit Cloud Ltd" in the tenant and
// "Summit Cloud Inc" in an import are different organisations with
// different domains.
var (
	tenantNameA    = []string{"North", "Blue", "Bright", "Iron", "Silver", "Quantum", "Summit", "Harbor", "Pioneer", "Vertex", "Evergreen", "Atlas", "Beacon", "Cobalt", "Granite", "Horizon", "Keystone", "Lumen", "Meridian", "Nimbus"}
	tenantNameB    = []string{"Networks", "Systems", "IT", "Cloud", "Data", "Tech", "Solutions", "Logic", "Works", "Labs", "Managed Services", "Consulting", "Digital", "Security", "Computing"}
	tenantSuffixes = []string{"Ltd", "Inc", "LLC", "GmbH", "Pty Ltd", "Group", "Holdings"}
	tenantFirst    = []string{"Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Robin", "Jamie", "Avery", "Riley"}
	tenantLast     = []string{"Reed", "Hale", "Frost", "Lane", "Marsh", "Stone", "Wells", "Brooks", "Fox", "Gray"}
)

// SeedTenant fills the tenant with n Clients people made over the years:
// names alike to generated leads' companies, each with its own website on
// another domain ("<name>-<i>.net", never a leadgen domain), one or two
// Users with e-mail addresses at that domain, and an open lead Ticket (no
// leadstream reference) for every other User. The records are dated a
// month back, so incremental reads (lastupdatefromdate) do not see them.
// The same seed gives the same tenant.
func (s *Server) SeedTenant(n int, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	s.mu.Lock()
	defer s.mu.Unlock()
	then := time.Now().Add(-30 * 24 * time.Hour)
	client, users, tickets := entities["client"], entities["users"], entities["tickets"]
	for i := range n {
		a, b := pick(tenantNameA), pick(tenantNameB)
		name := a + " " + b + " " + pick(tenantSuffixes)
		domain := fmt.Sprintf("%s-%d.net", strings.ToLower(a+strings.ReplaceAll(b, " ", "")), i+1)
		c, _ := s.apply(client, &elem{create: true, f: map[string]any{"name": name, "website": "https://www." + domain,
			"notes": "customer since " + then.Format("2006")}, createOnly: map[string]any{"newclient_sitename": "Head Office"}}, then)
		seen := ""
		for j := range 1 + i%2 {
			first, last := pick(tenantFirst), pick(tenantLast)
			if first+last == seen {
				first = "Chris"
			}
			seen = first + last
			u, _ := s.apply(users, &elem{create: true, f: map[string]any{"firstname": first, "surname": last,
				"emailaddress": fmt.Sprintf("%s.%s@%s", strings.ToLower(first), strings.ToLower(last), domain),
				"client_id":    c.id}}, then)
			if j == 0 && i%3 != 2 {
				s.apply(tickets, &elem{create: true, f: map[string]any{"summary": "Call back " + first + " " + last,
					"details": "Logged by reception", "tickettype_id": s.opts.Seed.DefaultTicketTypeID,
					"status_id": s.opts.Seed.DefaultStatusID, "client_id": c.id, "user_id": u.id,
					"site_id": c.f["main_site_id"]}}, then)
			}
		}
	}
}

// TenantIDOffsets are ids where a tenant in use for years would be.
func TenantIDOffsets() map[string]int {
	return map[string]int{"Client": 1200, "Site": 2400, "Users": 8800, "Tickets": 45000, "Actions": 210000}
}
