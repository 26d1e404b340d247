package jsonfile

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/leadstream/leadstream/pipeline"
)

type result struct {
	line   int
	fields map[string]string
	err    string
}

func drain(t *testing.T, rd *Reader) []result {
	t.Helper()
	var out []result
	for i := 0; i < 1000; i++ {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		r := result{line: row.Line, fields: row.Fields}
		if row.Err != nil {
			r.err = row.Err.Error()
		}
		out = append(out, r)
	}
	t.Fatal("reader does not end")
	return nil
}

func TestReader(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40)
	huge := `{"name":"` + strings.Repeat("x", 5000) + `"}`
	tests := []struct {
		name  string
		input string
		opts  Options
		want  []result // fields checked only for the keys given; err as a substring
	}{
		{
			name:  "array with nesting and arrays",
			input: `[{"a":{"b":"x","c":[1,2.50,true,null,""]},"n":"  trim "},{"z":"y"}]`,
			want: []result{
				{line: 1, fields: map[string]string{"a.b": "x", "a.c.0": "1", "a.c.1": "2.50", "a.c.2": "true", "n": "trim"}},
				{line: 2, fields: map[string]string{"z": "y"}},
			},
		},
		{
			name:  "envelope object, records under people, BOM",
			input: "\ufeff{\"pagination\":{\"page\":1,\"x\":[1,{\"y\":\"]\"}]},\"people\":[{\"id\":\"1\"},\n{\"id\":\"2\"}],\"meta\":{}}",
			want:  []result{{line: 1, fields: map[string]string{"id": "1"}}, {line: 2, fields: map[string]string{"id": "2"}}},
		},
		{
			name:  "nested envelope (Hunter data.emails)",
			input: `{"data":{"domain":"example.com","emails":[{"value":"a@example.com"}]},"meta":{}}`,
			want:  []result{{line: 1, fields: map[string]string{"value": "a@example.com"}}},
		},
		{
			name:  "json lines with a bad line in the middle",
			input: "{\"a\":1}\n\n{\"a\":\n{\"a\":3}\r\n",
			want: []result{
				{line: 1, fields: map[string]string{"a": "1"}},
				{line: 3, err: "line 3: invalid JSON"},
				{line: 4, fields: map[string]string{"a": "3"}},
			},
		},
		{
			name:  "syntax error inside one element, the next survives",
			input: `[{"a":1 "b":2},{"a":2}]`,
			want:  []result{{line: 1, err: "record 1 (line 1): invalid JSON"}, {line: 2, fields: map[string]string{"a": "2"}}},
		},
		{
			name:  "mismatched bracket",
			input: `[{"a":[1,2}},{"a":2}]`,
			want:  []result{{line: 1, err: `'}' closes a '['`}, {line: 2, fields: map[string]string{"a": "2"}}},
		},
		{
			name:  "deep nesting is refused and skipped",
			input: `[` + deep + `,{"ok":"yes"}]`,
			want:  []result{{line: 1, err: "nested deeper than 32 levels"}, {line: 2, fields: map[string]string{"ok": "yes"}}},
		},
		{
			name:  "deep nesting in JSON lines",
			input: deep + "\n{\"ok\":\"yes\"}\n",
			opts:  Options{Format: Lines},
			want:  []result{{line: 1, err: "nested deeper than 32 levels"}, {line: 2, fields: map[string]string{"ok": "yes"}}},
		},
		{
			name:  "huge field in an array",
			input: `[` + huge + `,{"ok":"yes"}]`,
			opts:  Options{MaxRecordBytes: 1024},
			want:  []result{{line: 1, err: "larger than 1024 bytes"}, {line: 2, fields: map[string]string{"ok": "yes"}}},
		},
		{
			name:  "huge line in JSON lines",
			input: huge + "\n{\"ok\":\"yes\"}\n",
			opts:  Options{MaxRecordBytes: 1024, Format: Lines},
			want:  []result{{line: 1, err: "line 1: record is larger than 1024 bytes"}, {line: 2, fields: map[string]string{"ok": "yes"}}},
		},
		{
			name:  "invalid UTF-8 read as Windows-1252",
			input: "[{\"name\":\"Ren\xe9e\",\"\x80k\":\"\x93q\x94\"}]",
			want:  []result{{line: 1, fields: map[string]string{"name": "Renée", "€k": "“q”"}}},
		},
		{
			name:  "truncated inside a record",
			input: `[{"a":1},{"a":"unterminated`,
			want:  []result{{line: 1, fields: map[string]string{"a": "1"}}, {line: 2, err: "truncated JSON"}},
		},
		{
			name:  "truncated after a record",
			input: `[{"a":1},`,
			want:  []result{{line: 1, fields: map[string]string{"a": "1"}}, {line: 2, err: "ends before the array is closed"}},
		},
		{
			name:  "scalars and arrays are not records",
			input: `[1,"s",[1],{"a":1},]`,
			want: []result{
				{line: 1, err: "record is a number, not an object"},
				{line: 2, err: "record is a string, not an object"},
				{line: 3, err: "record is an array, not an object"},
				{line: 4, fields: map[string]string{"a": "1"}},
			},
		},
		{
			name:  "big integers keep their digits",
			input: `[{"request_id":1039995589705121900,"neg":-12}]`,
			want:  []result{{line: 1, fields: map[string]string{"request_id": "1039995589705121900", "neg": "-12"}}},
		},
		{
			name:  "empty array",
			input: ` [ ] `,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd, err := NewReader(strings.NewReader(tt.input), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := drain(t, rd)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d rows %+v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.line != w.line {
					t.Errorf("row %d: line %d, want %d", i, g.line, w.line)
				}
				if w.err != "" {
					if !strings.Contains(g.err, w.err) {
						t.Errorf("row %d: err %q, want %q", i, g.err, w.err)
					}
					continue
				}
				if g.err != "" {
					t.Errorf("row %d: unexpected err %s", i, g.err)
				}
				for k, v := range w.fields {
					if g.fields[k] != v {
						t.Errorf("row %d: %s = %q, want %q (%v)", i, k, g.fields[k], v, g.fields)
					}
				}
				if _, ok := g.fields["a.c.3"]; ok {
					t.Errorf("null kept: %v", g.fields)
				}
			}
			if rd.BytesRead() > int64(len(tt.input)) {
				t.Errorf("BytesRead %d > input %d", rd.BytesRead(), len(tt.input))
			}
		})
	}
}

func TestNewReaderErrors(t *testing.T) {
	for _, tt := range []struct{ input, msg string }{
		{"", "empty file"},
		{"   \n", "empty file"},
		{`{"meta":{"total":1}}`, "no array of records under any of the keys"},
		{`"just a string"`, "expected a JSON array or object"},
		{`{"people" 1}`, "expected ':'"},
	} {
		if _, err := NewReader(strings.NewReader(tt.input), Options{}); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("NewReader(%q) = %v, want %q", tt.input, err, tt.msg)
		}
	}
}

func TestAutoFormatAndHeader(t *testing.T) {
	rd, err := NewReader(strings.NewReader("{\"b\":1,\"a\":{\"x\":2}}\n{\"b\":2}\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rd.lines {
		t.Error("two one-line objects not read as JSON lines")
	}
	if h := strings.Join(rd.Header(), ","); h != "a.x,b" {
		t.Errorf("Header = %s", h)
	}
	if got := drain(t, rd); len(got) != 2 {
		t.Errorf("rows = %v", got)
	}
	// A pretty-printed single object is a document, not JSON lines.
	rd, err = NewReader(strings.NewReader("{\n \"data\": [\n  {\"b\": 1}\n ]\n}\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rd.lines {
		t.Error("pretty-printed document read as JSON lines")
	}
	if got := drain(t, rd); len(got) != 1 || got[0].line != 1 {
		t.Errorf("rows = %v", got)
	}
}

// TestStreamsLargeInput reads many records through a reader that is
// never held whole, as a check that records are not accumulated.
func TestStreamsLargeInput(t *testing.T) {
	const n = 20000
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte("["))
		for i := range n {
			if i > 0 {
				pw.Write([]byte(","))
			}
			pw.Write([]byte(`{"first_name":"Jane","organization":{"name":"Example Co","keywords":["a","b"]}}`))
		}
		pw.Write([]byte("]"))
		pw.Close()
	}()
	rd, err := NewReader(pr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || row.Err != nil {
			t.Fatalf("row %d: %v %v", count, err, row.Err)
		}
		count++
	}
	if count != n {
		t.Fatalf("read %d records, want %d", count, n)
	}
}

func TestFlatten(t *testing.T) {
	f, err := Flatten([]byte(`{"a":{"b":[{"c":"x"},{"c":"y"}]},"a.b.0.c":"dup"}`), 8)
	if err != nil {
		t.Fatal(err)
	}
	if f["a.b.0.c"] != "x" || f["a.b.1.c"] != "y" {
		t.Errorf("Flatten = %v", f)
	}
	if _, err := Flatten([]byte(`{"a":1} {"b":2}`), 8); err == nil {
		t.Error("trailing data accepted")
	}
	var _ pipeline.RowSource = (*Reader)(nil)
}

func TestEnvelope(t *testing.T) {
	in := `{"meta":{"top":"ignored"},"data":{"domain":"example.com","technologies":["a","b"],"emails":[{"value":"x@example.com","domain":"own"}],"after":"not seen"}}`
	rd, err := NewReader(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := drain(t, rd)
	if len(got) != 1 {
		t.Fatalf("rows = %v", got)
	}
	f := got[0].fields
	if f["data.domain"] != "example.com" || f["data.technologies.1"] != "b" || f["domain"] != "own" || f["value"] != "x@example.com" {
		t.Errorf("fields = %v", f)
	}
	if _, ok := f["meta.top"]; ok {
		t.Errorf("top-level sibling captured: %v", f)
	}
}
