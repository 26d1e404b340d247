package jsonfile

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzReader feeds arbitrary bytes to the reader, as a JSON array and as
// JSON lines, with small limits, and checks that it ends and that no row
// flattens past the budget its record limit allows.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		`[{"email":"a@x.com","phones":[{"type":"mobile","number":"+1"}]},{"x":null}]`,
		`{"people":[{"first_name":"A"}],"pagination":{"page":1}}`,
		"{\"a\":1}\n{\"b\":{\"c\":[1,2,3]}}\n{bad\n",
		`{"data":{"organization":{"name":"Acme"},"emails":[{"value":"a@acme.com"}]}}`,
		`[{"k":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}]`,
		`[[[[[[[[[[[[[[[[[[[[`, `["x", 1, {"a":"b"}]`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	const limit = 256
	f.Fuzz(func(t *testing.T, data []byte, lines bool) {
		format := Array
		if lines {
			format = Lines
		}
		r, err := NewReader(bytes.NewReader(data), Options{Format: format, MaxRecordBytes: limit, MaxDepth: 6})
		if err != nil {
			return
		}
		for i := 0; ; i++ {
			if i > len(data)+2 {
				t.Fatal("more rows than input bytes")
			}
			row, err := r.Next()
			if err != nil {
				return
			}
			if row.Err != nil {
				continue
			}
			size := 0
			for k, v := range row.Fields {
				size += len(k) + len(v)
				if len(k) > MaxFieldPath+16 || strings.TrimSpace(v) != v {
					t.Fatalf("field %q = %q", k, v)
				}
			}
			if size > 2*flattenBudget(limit) {
				t.Fatalf("row flattened to %d bytes", size)
			}
		}
	})
}
