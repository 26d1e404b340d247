package accents

import (
	"sync"
	"testing"
)

func TestStrip(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Acme Ltd", "Acme Ltd"},
		{"Zoë Müller", "Zoe Muller"},
		{"Société Générale", "Societe Generale"},
		{"Ｆｕｌｌｗｉｄｔｈ", "Fullwidth"},
		{"Ångström & Øresund", "Angstrom & Øresund"}, // Ø is a letter of its own, not O with a mark
	} {
		if got := Strip(tc.in); got != tc.want {
			t.Errorf("Strip(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Strip is called from every dedupe partition at once: a shared
// Transformer panicked there ("slice bounds out of range").
func TestStripConcurrently(t *testing.T) {
	names := []string{"Koninklijke Philips Électronique N.V.", "Zoë Müller GmbH", "Bäckerei Zoë", "Crème Brûlée Café SARL"}
	want := make([]string, len(names))
	for i, n := range names {
		want[i] = Strip(n)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				k := (g + i) % len(names)
				if got := Strip(names[k]); got != want[k] {
					t.Errorf("Strip(%q) = %q, want %q", names[k], got, want[k])
					return
				}
			}
		}()
	}
	wg.Wait()
}
