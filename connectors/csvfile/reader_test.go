package csvfile

import (
	"errors"
	"io"
	"strings"
	"testing"
)

type wantRow struct {
	line   int
	fields map[string]string
	err    string // substring of the row error; "" for a good row
}

func readAll(t *testing.T, in string, opts Options) ([]wantRow, error) {
	t.Helper()
	r, err := NewReader(strings.NewReader(in), opts)
	if err != nil {
		return nil, err
	}
	var out []wantRow
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		w := wantRow{line: row.Line, fields: row.Fields}
		if row.Err != nil {
			w.err = row.Err.Error()
			w.fields = nil
		}
		out = append(out, w)
	}
}

func TestReader(t *testing.T) {
	big := strings.Repeat("x", 2000)
	tests := []struct {
		name    string
		in      string
		opts    Options
		want    []wantRow
		wantErr string // error from NewReader
	}{
		{
			name: "plain with BOM and CRLF",
			in:   "\xef\xbb\xbfRecord_ID,Email\r\nr1, Ada@Example.com \r\n",
			want: []wantRow{{line: 2, fields: map[string]string{"record_id": "r1", "email": "Ada@Example.com"}}},
		},
		{
			name: "semicolon delimiter detected, empty values dropped",
			in:   "a;b;c\n1;;3\n",
			want: []wantRow{{line: 2, fields: map[string]string{"a": "1", "c": "3"}}},
		},
		{
			name: "windows-1252 line transcoded",
			in:   "name,city\nJos\xe9,M\xfcnchen\n",
			want: []wantRow{{line: 2, fields: map[string]string{"name": "José", "city": "München"}}},
		},
		{
			name: "quoted newline and doubled quotes",
			in:   "id,note\n1,\"two\nlines, \"\"quoted\"\"\"\n2,x\n",
			want: []wantRow{
				{line: 2, fields: map[string]string{"id": "1", "note": `two lines, "quoted"`}},
				{line: 4, fields: map[string]string{"id": "2", "note": "x"}},
			},
		},
		{
			name: "wrong field count, then good rows",
			in:   "a,b\n1\n2,3\n",
			want: []wantRow{{line: 2, err: "has 1 fields, the header has 2"}, {line: 3, fields: map[string]string{"a": "2", "b": "3"}}},
		},
		{
			name: "unclosed quote does not swallow the rest",
			in:   "a,b\n\"1,2\n3,4\n5,6\n",
			opts: Options{MaxLinesPerRecord: 2},
			want: []wantRow{
				{line: 2, err: "never closed"},
				{line: 3, fields: map[string]string{"a": "3", "b": "4"}},
				{line: 4, fields: map[string]string{"a": "5", "b": "6"}},
			},
		},
		{
			name: "huge record is reported, not buffered",
			in:   "a,b\n" + big + ",1\n2,3\n",
			opts: Options{MaxRecordBytes: 1024},
			want: []wantRow{{line: 2, err: "larger than 1024 bytes"}, {line: 3, fields: map[string]string{"a": "2", "b": "3"}}},
		},
		{
			name: "blank lines skipped, control characters removed, dropped column",
			in:   "id,entity_id,name\n\n1,e1,A\x00 \x07B\n",
			opts: Options{DropColumns: []string{"entity_id"}},
			want: []wantRow{{line: 3, fields: map[string]string{"id": "1", "name": "A B"}}},
		},
		{name: "empty file", in: "", wantErr: "empty file"},
		{name: "duplicate header", in: "a,A\n1,2\n", wantErr: `columns 1 and 2 have the same name`},
		{name: "nameless column", in: "a,,c\n", wantErr: "column 2 has no name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(t, tt.in, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d rows %+v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.line != w.line || (w.err == "") != (g.err == "") || (w.err != "" && !strings.Contains(g.err, w.err)) {
					t.Errorf("row %d: got line %d err %q, want line %d err %q", i, g.line, g.err, w.line, w.err)
				}
				for k, v := range w.fields {
					if g.fields[k] != v {
						t.Errorf("row %d: %s = %q, want %q", i, k, g.fields[k], v)
					}
				}
				if len(g.fields) != len(w.fields) {
					t.Errorf("row %d: fields %v, want %v", i, g.fields, w.fields)
				}
			}
		})
	}
}
