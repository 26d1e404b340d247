package lead

import (
	"strings"
	"testing"
)

func TestSuppressionKeys(t *testing.T) {
	secret := []byte("k")
	a := SuppressionKeys(secret, []string{"Olga@Northwind.example", "olga@northwind.example"}, []string{"+442079460321", "not a number"})
	if len(a) != 2 {
		t.Fatalf("keys = %v, want one per distinct e-mail and valid phone", a)
	}
	for _, k := range a {
		if strings.Contains(k, "olga") || strings.Contains(k, "4420") || len(k) != 64 {
			t.Errorf("key %q is not an opaque HMAC", k)
		}
	}
	if b := SuppressionKeys([]byte("other"), []string{"olga@northwind.example"}, nil); b[0] == a[0] {
		t.Error("the key does not depend on the secret")
	}
}
