package lead

import "testing"

func TestTicketRefRoundTrip(t *testing.T) {
	for _, tc := range []struct{ id, key string }{
		{"ld_01JH8Q", "acme.com"},
		{"ld_2", "acme (holdings) ltd"},
		{"ld_3", "jane@example.org"},
		{"ld_4", ""},
	} {
		details := "Lead imported from Apollo.io on 2026-01-15 " + TicketRef(tc.id, tc.key)
		id, key, ok := ParseTicketRef(details)
		if !ok || id != tc.id || key != tc.key {
			t.Errorf("ParseTicketRef(%q) = %q, %q, %v", details, id, key, ok)
		}
	}
	if _, _, ok := ParseTicketRef("a ticket a person logged"); ok {
		t.Error("found a marker in a plain ticket")
	}
}
