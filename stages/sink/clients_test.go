package sink

import "testing"

// An organisation finds an existing Client by domain, else by name, but a
// name does not join two organisations whose domains are known and differ.
func TestClientIndexLookup(t *testing.T) {
	var ci clientIndex
	ci.add("d:summitsystems.example", "Summit Systems LLC", orgRecord{ClientID: 1})
	ci.add("c:contoso", "Contoso Ltd", orgRecord{ClientID: 2})
	for _, tc := range []struct {
		name      string
		key, org  string
		want      int
		wantFound bool
	}{
		{"same domain", "d:summitsystems.example", "Summit Systems", 1, true},
		{"same name, no domain", "c:summitsystems", "Summit Systems Inc", 1, true},
		{"same name, another domain", "d:summit-systems.example", "Summit Systems Inc", 0, false},
		{"named Client without a domain", "d:contoso.example", "Contoso", 2, true},
		{"unknown", "d:other.example", "Other Ltd", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, ok := ci.lookup(tc.key, tc.org)
			if ok != tc.wantFound || rec.ClientID != tc.want {
				t.Errorf("lookup(%q, %q) = %d, %v; want %d, %v", tc.key, tc.org, rec.ClientID, ok, tc.want, tc.wantFound)
			}
		})
	}
}
