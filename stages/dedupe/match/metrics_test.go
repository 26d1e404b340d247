package match

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/adrg/strutil/metrics"
)

// The matcher's own Jaro, Dice and bounded OSA agree with the reference
// implementations they replace.
func TestMetricsMatchReference(t *testing.T) {
	words := []string{"", "a", "ab", "martha", "marhta", "jonathan", "jonathon", "dixon", "dicksonx", "müller", "muller",
		"jacqueline", "jasmine", "o'neil", "oneil", "van der berg", "vanderberg", "crate", "carter", "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
		"jonesjennifer@pitts.com", "jonesjennifer@pitts.co", "hannah88@powers.com", "hannah88opowersc@m"}
	for _, a := range words {
		for _, b := range words {
			if a == "" || b == "" {
				continue
			}
			if got, want := jaro(a, b), (&metrics.Jaro{CaseSensitive: true}).Compare(a, b); math.Abs(got-want) > 1e-12 {
				t.Errorf("jaro(%q, %q) = %v, want %v", a, b, got, want)
			}
			if got, want := dice(a, b), (&metrics.SorensenDice{CaseSensitive: true, NgramSize: 2}).Compare(a, b); a != b && math.Abs(got-want) > 1e-12 {
				t.Errorf("dice(%q, %q) = %v, want %v", a, b, got, want)
			}
			for k := 0; k <= 3; k++ {
				if got, want := osaWithin(a, b, k), osa(a, b) <= k; got != want {
					t.Errorf("osaWithin(%q, %q, %d) = %v, want %v", a, b, k, got, want)
				}
			}
		}
	}
}

// The ASCII fast path of jaro gives exactly the rune path's results.
func TestJaroASCII(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		b := make([]byte, rng.IntN(14))
		for i := range b {
			b[i] = "abcdeilmnorst .-"[rng.IntN(16)]
		}
		return string(b)
	}
	for range 200000 {
		a, b := word(), word()
		if got, want := jaroASCII(a, b), jaroRunes(a, b); got != want {
			t.Fatalf("jaroASCII(%q, %q) = %v, jaroRunes %v", a, b, got, want)
		}
	}
}
