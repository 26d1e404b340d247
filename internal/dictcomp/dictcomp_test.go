package dictcomp

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/s2"
)

func TestRoundTrip(t *testing.T) {
	random := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	typical := []byte("\x84\xa3raw\x80\xa4lead\x8a\xaafirst_name\xa3Ann\xa9last_name\xa5Smith\xa5email\xb1ann.smith@acme.io" +
		"\xa7company\xa8Acme Ltd\xa7country\xa2GB\xa6source\xa6apollo")
	tests := []struct {
		name string
		dst  []byte // Encode appends to it
		in   []byte
	}{
		{"empty", nil, []byte{}},
		{"one byte", nil, []byte{'x'}},
		{"a record", nil, typical},
		{"a record after a prefix", []byte("prefix"), typical},
		{"incompressible MiB", nil, random},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z := Encode(append([]byte(nil), tc.dst...), tc.in)
			if !bytes.HasPrefix(z, tc.dst) {
				t.Fatalf("Encode dropped dst")
			}
			got, err := Decode(z[len(tc.dst):])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.in) {
				t.Fatalf("round trip changed %d bytes into %d", len(tc.in), len(got))
			}
		})
	}
	// The dictionary pays: a record is smaller than S2 alone makes it.
	if z, plain := len(Encode(nil, typical)), len(s2.Encode(nil, typical)); z >= plain {
		t.Errorf("with the dictionary %d bytes, S2 alone %d", z, plain)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, nil},
		{"unknown dictionary", append([]byte{200}, Encode(nil, []byte("hello hello"))[1:]...), ErrUnknownDict},
		{"corrupt", []byte{current, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.in)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDictionaryParses(t *testing.T) {
	if dictionary(current) == nil {
		t.Fatal("the built-in dictionary does not parse")
	}
}

func BenchmarkEncode(b *testing.B) {
	rec := bytes.Repeat([]byte("\xa4lead\xaafirst_name\xa3Ann\xa9last_name\xa5Smith\xa7country\xa2GB"), 16)
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		z := Encode(nil, rec)
		if _, err := Decode(z); err != nil {
			b.Fatal(err)
		}
	}
}
