package dictcomp

import (
	_ "embed"
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/s2"
)

// dict1 is dictionary 1: S2 dictionary bytes (s2.Dict.Bytes) made by
// bench/cmd/sealdict from the sealed envelopes of a leadgen run.
//
//go:embed dict-1.s2dict
var dict1 []byte

// current is the dictionary Encode uses.
const current = 1

// parsed1 is dictionary 1, parsed on first use (S2 builds its hash tables
// lazily, once, and a Dict is safe for concurrent use).
var parsed1 = sync.OnceValue(func() *s2.Dict { return s2.NewDict(dict1) })

// dictionary returns dictionary n, nil for one this build does not have.
func dictionary(n byte) *s2.Dict {
	if n == 1 {
		return parsed1()
	}
	return nil
}

// ErrUnknownDict is returned for data made with a dictionary this build
// does not have (a newer release's).
var ErrUnknownDict = errors.New("dictcomp: unknown dictionary")

// Encode appends src, compressed with the current dictionary, to dst.
func Encode(dst, src []byte) []byte {
	d := dictionary(current)
	n := len(dst)
	dst = append(dst, current)
	need := n + 1 + s2.MaxEncodedLen(len(src))
	if cap(dst) < need {
		dst = append(make([]byte, 0, need), dst...)
	}
	out := d.Encode(dst[n+1:need], src)
	return dst[:n+1+len(out)]
}

// Decode returns what Encode compressed.
func Decode(src []byte) ([]byte, error) {
	if len(src) == 0 {
		return nil, errors.New("dictcomp: empty input")
	}
	d := dictionary(src[0])
	if d == nil {
		return nil, fmt.Errorf("%w %d", ErrUnknownDict, src[0])
	}
	out, err := d.Decode(nil, src[1:])
	if err != nil {
		return nil, fmt.Errorf("dictcomp: %w", err)
	}
	return out, nil
}
