package apikey

import (
	"os"
	"strings"
	"testing"
)

func TestCreateAuthenticateRevoke(t *testing.T) {
	path := Path(t.TempDir())
	s := Open(path)
	key, e, err := s.Create("ops laptop", RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), key) || strings.Contains(string(raw), strings.SplitN(key, "_", 3)[2]) {
		t.Fatal("the key file holds the key in clear")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	// Another process (a second store on the file) sees the key.
	other := Open(path)
	got, err := other.Authenticate(key)
	if err != nil || got.ID != e.ID || got.Role != RoleOperator {
		t.Fatalf("authenticate: %+v %v", got, err)
	}
	for _, bad := range []string{"", "lsk_" + e.ID + "_wrong", key + "x", "Bearer " + key, "lsk_nope_" + strings.SplitN(key, "_", 3)[2]} {
		if _, err := other.Authenticate(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := s.Revoke(e.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path).Authenticate(key); err == nil {
		t.Fatal("revoked key accepted")
	}
	list, _ := Open(path).List()
	if len(list) != 1 || list[0].RevokedAt == nil {
		t.Fatalf("list: %+v", list)
	}
	if _, _, err := s.Create("x", "root"); err == nil {
		t.Fatal("unknown role accepted")
	}
	if _, err := s.Revoke("nobody"); err == nil {
		t.Fatal("revoked an unknown key")
	}
}

func TestAllows(t *testing.T) {
	tests := []struct {
		role, need string
		ok         bool
	}{
		{RoleViewer, RoleViewer, true}, {RoleViewer, RoleOperator, false}, {RoleOperator, RoleViewer, true},
		{RoleOperator, RoleAdmin, false}, {RoleAdmin, RoleOperator, true}, {"", RoleViewer, false},
	}
	for _, tc := range tests {
		if got := Allows(tc.role, tc.need); got != tc.ok {
			t.Errorf("Allows(%q, %q) = %v", tc.role, tc.need, got)
		}
	}
}
