package halosandbox

import (
	"strings"
	"testing"
)

// TestCommittedFaults: a committed fault stores the write and still
// answers the fault; a fault limited to POST lets reads pass.
func TestCommittedFaults(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     Fault
		wantCode  int
		wantUsers int
	}{
		{"500 before the write", Fault{Status: 500}, 500, 0},
		{"500 after the write", Fault{Status: 500, Commit: true}, 500, 1},
		{"504 after the write", Fault{Status: 504, Commit: true, Delay: 1}, 504, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			if code, body, _ := h.do("POST", "/api/Client", `[{"name":"Acme"}]`); code != 200 {
				t.Fatalf("client: %d %s", code, body)
			}
			f := tc.fault
			f.Method = "POST"
			h.sb.InjectFaults("Users", f)
			if code, _, _ := h.do("GET", "/api/Users", ""); code != 200 {
				t.Errorf("a GET met the POST-only fault: %d", code)
			}
			code, _, _ := h.do("POST", "/api/Users", `[{"name":"Ann","client_id":1,"emailaddress":"ann@acme.example"}]`)
			if code != tc.wantCode || h.sb.Count("Users") != tc.wantUsers {
				t.Errorf("answer %d with %d users stored, want %d with %d", code, h.sb.Count("Users"), tc.wantCode, tc.wantUsers)
			}
		})
	}
}

// TestRandomFaults: FaultRate answers about that share of requests with
// a fault, and FaultCommitShare of the faulted POSTs are stored.
func TestRandomFaults(t *testing.T) {
	h := newHarness(t, Options{FaultRate: 0.2, FaultCommitShare: 0.5, FaultSeed: 3})
	ok := 0
	for i := range 200 {
		code, _, _ := h.do("POST", "/api/Client", `[{"name":"c`+strings.Repeat("x", i%5)+`"}]`)
		if code == 200 {
			ok++
		}
	}
	st := h.sb.Stats()
	if st.Injected < 20 || st.Injected > 60 || st.Committed == 0 || st.Committed >= st.Injected {
		t.Errorf("injected %d, committed %d of 200 writes; want about 40 and about half", st.Injected, st.Committed)
	}
	if got := h.sb.Count("Client"); got != ok+st.Committed {
		t.Errorf("%d clients stored, want %d answered 200 + %d committed faults", got, ok, st.Committed)
	}
}

// TestClientListWebsiteOnlyWhenAsked: list rows carry no website unless
// include_website=true; the full object always does.
func TestClientListWebsiteOnlyWhenAsked(t *testing.T) {
	h := newHarness(t, Options{})
	h.do("POST", "/api/Client", `[{"name":"Acme","website":"https://acme.example"}]`)
	_, plain, _ := h.do("GET", "/api/Client?pageinate=true&page_size=100&page_no=1", "")
	_, with, _ := h.do("GET", "/api/Client?pageinate=true&page_size=100&page_no=1&include_website=true", "")
	_, full, _ := h.do("GET", "/api/Client/1", "")
	if strings.Contains(plain, "acme.example") || !strings.Contains(with, "acme.example") || !strings.Contains(full, "acme.example") {
		t.Errorf("website in plain rows %v, with include_website %v, in the object %v; want false, true, true",
			strings.Contains(plain, "acme.example"), strings.Contains(with, "acme.example"), strings.Contains(full, "acme.example"))
	}
}

// TestSiteListAddressOnlyWhenAsked: Site list rows carry their addresses
// only with includeaddress=true; the full object always does.
func TestSiteListAddressOnlyWhenAsked(t *testing.T) {
	h := newHarness(t, Options{})
	h.do("POST", "/api/Client", `[{"name":"Acme"}]`)
	h.do("POST", "/api/Site", `[{"name":"Dock","client_id":1,"delivery_address":{"line1":"9 Dock Road","postcode":"M1 2BB"}}]`)
	_, plain, _ := h.do("GET", "/api/Site?pageinate=true&page_size=100&page_no=1", "")
	_, with, _ := h.do("GET", "/api/Site?pageinate=true&page_size=100&page_no=1&includeaddress=true", "")
	_, full, _ := h.do("GET", "/api/Site/2", "")
	if strings.Contains(plain, "Dock Road") || !strings.Contains(with, "Dock Road") || !strings.Contains(full, "Dock Road") {
		t.Errorf("address in plain rows %v, with includeaddress %v, in the object %v; want false, true, true",
			strings.Contains(plain, "Dock Road"), strings.Contains(with, "Dock Road"), strings.Contains(full, "Dock Road"))
	}
}

// TestSeededTenant: SeedClients fills the tenant with alike-named Clients
// on their own domains, their Users and people's lead Tickets, at the
// configured id offsets.
func TestSeededTenant(t *testing.T) {
	sb := New(Options{SeedClients: 30, IDOffsets: map[string]int{"Client": 1000, "Users": 5000, "Tickets": 30000}})
	if n := sb.Count("Client"); n != 30 {
		t.Fatalf("%d clients, want 30", n)
	}
	if n := sb.Count("Users"); n != 45 {
		t.Errorf("%d users, want 45 (one or two per client)", n)
	}
	if n := sb.Count("Tickets"); n != 20 {
		t.Errorf("%d tickets, want 20", n)
	}
	c, ok := sb.Record("Client", 1001)
	if !ok || !strings.HasSuffix(c["website"].(string), "-1.net") {
		t.Fatalf("client 1001: %v", c)
	}
	u, ok := sb.Record("Users", 5001)
	if !ok || !strings.HasSuffix(u["emailaddress"].(string), "-1.net") || u["client_id"] != 1001 {
		t.Errorf("user 5001: %v", u)
	}
	if _, ok := sb.Record("Tickets", 30001); !ok {
		t.Errorf("no ticket 30001")
	}
}

// TestAudit counts duplicate Users, Clients and lead Tickets and Users
// linked to another company's Client.
func TestAudit(t *testing.T) {
	if a := New(Options{SeedClients: 40}).Audit(1); !a.Clean() {
		t.Fatalf("seeded tenant: %+v", a)
	}
	h := newHarness(t, Options{})
	h.do("POST", "/api/Client", `[{"name":"Acme","website":"https://acme.example"},{"name":"Acme again","website":"acme.example"},{"name":"Other","website":"other.example"}]`)
	h.do("POST", "/api/Users", `[{"name":"Ann","client_id":1,"emailaddress":"ann@acme.example"},{"name":"Ann","client_id":3,"emailaddress":"ANN@acme.example"}]`)
	h.do("POST", "/api/Tickets", `[{"summary":"a","tickettype_id":1,"user_id":1},{"summary":"b","tickettype_id":1,"user_id":1},{"summary":"c","tickettype_id":1,"user_id":1,"status_id":9}]`)
	a := h.sb.Audit(1)
	if a.DuplicateClients != 1 || a.DuplicateUsers != 1 || a.WrongLinks != 1 || a.DuplicateLeadTickets != 1 {
		t.Errorf("audit %+v; want one of each", a)
	}
}
