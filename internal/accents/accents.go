// Package accents removes accents from text for matching: "Zoë Müller"
// becomes "Zoe Muller". It is safe for concurrent use; a
// golang.org/x/text Transformer is not, so each call takes one of its own
// from a pool.
package accents

import (
	"sync"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// strippers hold the transformers Strip uses: decompose (compatibility
// forms too), drop the combining marks, compose again.
var strippers = sync.Pool{New: func() any {
	return transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

// Strip returns s without its accents, and s itself when it is ASCII
// (which has none) or cannot be transformed.
func Strip(s string) string {
	if IsASCII(s) {
		return s
	}
	t := strippers.Get().(transform.Transformer)
	defer strippers.Put(t)
	out, _, err := transform.String(t, s)
	if err != nil {
		return s
	}
	return out
}

// IsASCII reports whether s is all ASCII (no byte 0x80 or above).
func IsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
