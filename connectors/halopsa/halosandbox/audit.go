package halosandbox

import (
	"strconv"
	"strings"

	"github.com/leadstream/leadstream/internal/lead"
)

// Audit counts what must never happen in a customer's tenant.
type Audit struct {
	// DuplicateUsers: e-mail addresses held by more than one User (each
	// extra User counts).
	DuplicateUsers int
	// DuplicateClients: website domains held by more than one Client.
	DuplicateClients int
	// DuplicateLeadTickets: open tickets of the lead type beyond the first
	// of each User.
	DuplicateLeadTickets int
	// WrongLinks: Users whose company e-mail domain differs from their
	// Client's website domain (both known).
	WrongLinks int
	// Examples holds a few offenders, for test failures ("user 8812
	// ann@x.example at client 1201 y.example").
	Examples []string
}

// Clean reports whether the audit found nothing.
func (a Audit) Clean() bool {
	return a.DuplicateUsers == 0 && a.DuplicateClients == 0 && a.DuplicateLeadTickets == 0 && a.WrongLinks == 0
}

// Audit inspects every live record (a test hook): duplicates and wrong
// links as the customer would see them. leadTypeID is the lead ticket type.
func (s *Server) Audit(leadTypeID int) Audit {
	s.mu.Lock()
	defer s.mu.Unlock()
	var a Audit
	example := func(f string) {
		if len(a.Examples) < 5 {
			a.Examples = append(a.Examples, f)
		}
	}
	clientDomain := map[int]string{}
	domains := map[string]int{}
	for _, c := range s.tables["client"].rows {
		w, _ := c.f["website"].(string)
		if d := lead.RegistrableDomain(w); d != "" {
			clientDomain[c.id] = d
			if domains[d]++; domains[d] > 1 {
				a.DuplicateClients++
				example("client " + strconv.Itoa(c.id) + " doubles " + d)
			}
		}
	}
	emails := map[string]int{}
	for _, u := range s.tables["users"].rows {
		e, _ := u.f["emailaddress"].(string)
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		if emails[e]++; emails[e] > 1 {
			a.DuplicateUsers++
			example("user " + strconv.Itoa(u.id) + " doubles " + e)
		}
		_, host, _ := strings.Cut(e, "@")
		ed := lead.RegistrableDomain(host)
		cd := clientDomain[int(toFloat(u.f["client_id"]))]
		if ed != "" && cd != "" && ed != cd {
			a.WrongLinks++
			example("user " + strconv.Itoa(u.id) + " " + e + " at client " + strconv.Itoa(int(toFloat(u.f["client_id"]))) + " " + cd)
		}
	}
	perUser := map[int]int{}
	for _, t := range s.tables["faults"].rows {
		if t.opp || int(toFloat(t.f["tickettype_id"])) != leadTypeID || s.statusClosed(int(toFloat(t.f["status_id"]))) {
			continue
		}
		if u := int(toFloat(t.f["user_id"])); u != 0 {
			if perUser[u]++; perUser[u] > 1 {
				a.DuplicateLeadTickets++
				example("ticket " + strconv.Itoa(t.id) + " is user " + strconv.Itoa(u) + "'s second lead ticket")
			}
		}
	}
	return a
}
