package csvfile

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReader feeds arbitrary bytes to the reader with small limits and
// checks that it never panics or loops, that it ends, that every row is
// either malformed or has fields of known columns in valid UTF-8 without
// control characters, and that line numbers only move forward.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"record_id,first_name,email\nr1,jack,j@x.com\n",
		"\xef\xbb\xbfa;b;c\r\n1;2;3\r\n",
		"a\tb\n\"x\ny\"\tz\n",
		"a|b\n\"unterminated|x\n1|2\n",
		"a,b\n1,2,3\n\n\n4,5\n",
		"a,b\nM\xfcller,caf\xe9\n",
		"a,a\n1,2\n",
		",\n",
		"",
		"a,b\n\"\"\"q\"\"\",\x00\x07\n",
		"h\n" + strings.Repeat("x", 300) + "\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), Options{MaxRecordBytes: 256, MaxLinesPerRecord: 4, DropColumns: []string{"entity_id"}})
		if err != nil {
			return // a bad header is a reported error, not a crash
		}
		known := map[string]bool{}
		for _, h := range r.Header() {
			known[h] = true
		}
		last := 0
		for i := 0; ; i++ {
			if i > len(data)+2 {
				t.Fatalf("more rows than input bytes: the reader does not advance")
			}
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if row.Line <= last {
				t.Fatalf("line %d after line %d", row.Line, last)
			}
			last = row.Line
			if row.Err != nil {
				if len(row.Raw) > 256*4+8 && !bytes.Contains(row.Raw, []byte{'\n'}) {
					t.Fatalf("malformed row keeps %d bytes", len(row.Raw))
				}
				continue
			}
			for k, v := range row.Fields {
				if !known[k] || k == "entity_id" {
					t.Fatalf("field %q is not a kept header column", k)
				}
				if v == "" || !utf8.ValidString(v) || v != strings.TrimSpace(v) {
					t.Fatalf("field %q = %q is not clean", k, v)
				}
				for _, c := range v {
					if c < 0x20 || c == 0x7f {
						t.Fatalf("field %q = %q has a control character", k, v)
					}
				}
			}
		}
		if r.BytesRead() != int64(len(data)) {
			t.Fatalf("read %d of %d bytes", r.BytesRead(), len(data))
		}
	})
}
