package xlsxfile

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

// bomb builds a workbook whose sheet carries n bytes of text at where:
// "cell" (one cell of row 3), "between" (between rows 2 and 3), "formula"
// (in a cell's formula, which is not a value), "row" (in row 3 outside
// its cells) or "end" (after the last row).
func bomb(t *testing.T, n int, where string) *bytes.Reader {
	t.Helper()
	parts := workbook("S=")
	delete(parts, "xl/worksheets/s1.xml")
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range parts {
		w, _ := zw.Create(name)
		_, _ = io.WriteString(w, body)
	}
	w, err := zw.Create("xl/worksheets/s1.xml")
	if err != nil {
		t.Fatal(err)
	}
	c := func(ref, v string) string { return `<c r="` + ref + `" t="inlineStr"><is><t>` + v + `</t></is></c>` }
	io.WriteString(w, `<worksheet `+nsMain+`><sheetData><row r="1">`+c("A1", "email")+c("B1", "name")+`</row>`+
		`<row r="2">`+c("A2", "a@x.com")+c("B2", "Ann")+`</row>`)
	switch where {
	case "cell":
		io.WriteString(w, `<row r="3">`+c("A3", "c@x.com")+`<c r="B3" t="inlineStr"><is><t>`)
	case "formula":
		io.WriteString(w, `<row r="3">`+c("A3", "c@x.com")+`<c r="B3"><f>`)
	case "row":
		io.WriteString(w, `<row r="3">`+c("A3", "c@x.com"))
	}
	chunk := bytes.Repeat([]byte("A"), 1<<16)
	for left := n; left > 0 && where != "end"; left -= len(chunk) {
		w.Write(chunk[:min(len(chunk), left)])
	}
	switch where {
	case "cell":
		io.WriteString(w, `</t></is></c></row>`)
	case "formula":
		io.WriteString(w, `</f><v>1</v></c></row>`)
	case "row":
		io.WriteString(w, `</row>`)
	case "between":
		io.WriteString(w, `<row r="3">`+c("A3", "c@x.com")+c("B3", "Cy")+`</row>`)
	}
	if where == "end" {
		io.WriteString(w, `<row r="4">`+c("A4", "d@x.com")+c("B4", "Dee")+`</row>`)
		for left := n; left > 0; left -= len(chunk) {
			w.Write(chunk[:min(len(chunk), left)])
		}
		io.WriteString(w, `</sheetData></worksheet>`)
	} else {
		io.WriteString(w, `<row r="4">`+c("A4", "d@x.com")+c("B4", "Dee")+`</row></sheetData></worksheet>`)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b.Bytes())
}

// TestBomb reads sheets holding 16 MiB of text in one run: the offending
// row (or the stray text) is reported malformed, the others flow, and the
// reader allocates a small fraction of the text (it never holds the run).
func TestBomb(t *testing.T) {
	const size = 16 << 20
	for _, tc := range []struct {
		where string
		want  []string // per row: "ok:<line>" or "bad:<line>:<message part>"
	}{
		{"cell", []string{"ok:2", "bad:3:row 3: row is larger than 65536 bytes", "ok:4"}},
		{"row", []string{"ok:2", "bad:3:row 3: row is larger than 65536 bytes", "ok:4"}},
		{"between", []string{"ok:2", "bad:3:row 3: the text before it, outside any row, is larger than 65536 bytes", "ok:4"}},
		{"end", []string{"ok:2", "ok:4", "bad:5:row 5: the text after the last row is larger than 65536 bytes"}},
		{"formula", []string{"ok:2", "ok:3", "ok:4"}},
	} {
		t.Run(tc.where, func(t *testing.T) {
			ra := bomb(t, size, tc.where)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			rd, err := NewReader(ra, ra.Size(), Options{MaxRecordBytes: 64 << 10})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for {
				row, err := rd.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if row.Err != nil {
					got = append(got, "bad:"+itoa(row.Line)+":"+row.Err.Error())
					if len(row.Raw) > 64<<10 {
						t.Errorf("malformed row keeps %d bytes", len(row.Raw))
					}
					continue
				}
				got = append(got, "ok:"+itoa(row.Line))
			}
			runtime.ReadMemStats(&after)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("rows = %q, want %q", got, tc.want)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/4 {
				t.Errorf("allocated %d bytes reading %d bytes of text", alloc, size)
			}
		})
	}
}

func itoa(n int) string {
	var b []byte
	for ; n > 0 || len(b) == 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// FuzzReader feeds arbitrary sheet XML to the reader with small limits
// and checks that it ends, that no row exceeds the record limit, and that
// row numbers are positive.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		`<row r="1"><c t="inlineStr"><is><t>a</t></is></c><c t="s"><v>0</v></c></row><row><c><v>1</v></c><c><v>2</v></c></row>`,
		`<row><c r="B1" t="inlineStr"><is><r><t>x</t></r><rPh><t>y</t></rPh></is></c></row>junk<row><c><f>SUM(A1)</f><v>3</v></c></row>`,
		`<row><c t="b"><v>1</v></c></row><row><c t="e"><v>#N/A</v></c><c><v>1E3</v></c></row>`,
		`<row><c r="ZZZZ1"><v>1</v></c></row>`, `<row><c><v>1</c></row>`, `<![CDATA[x]]><row/>`,
	} {
		f.Add([]byte(s))
	}
	const limit = 64
	f.Fuzz(func(t *testing.T, body []byte) {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		stored := func(name string) io.Writer { // no compression: the fuzzer's time goes to the reader
			w, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
			return w
		}
		for name, part := range workbook("S=") {
			if strings.HasPrefix(name, "xl/worksheets/") {
				part = `<worksheet ` + nsMain + `><sheetData>` + string(body) + `</sheetData></worksheet>`
			}
			io.WriteString(stored(name), part)
		}
		io.WriteString(stored("xl/sharedStrings.xml"), `<sst><si><t>shared</t></si></sst>`)
		zw.Close()
		ra := bytes.NewReader(b.Bytes())
		rd, err := NewReader(ra, ra.Size(), Options{MaxRecordBytes: limit, MaxSharedStringBytes: 1 << 10})
		if err != nil {
			return
		}
		defer rd.Close()
		for i := 0; ; i++ {
			if i > len(body)+2 {
				t.Fatal("more rows than input bytes")
			}
			row, err := rd.Next()
			if err != nil {
				return // io.EOF, or a broken sheet reported once
			}
			if row.Line <= 0 {
				t.Fatalf("row number %d", row.Line)
			}
			if row.Err != nil {
				if len(row.Raw) > 4*limit+16 {
					t.Fatalf("malformed row keeps %d bytes", len(row.Raw))
				}
				continue
			}
			size := 0
			for _, v := range row.Fields {
				size += len(v)
			}
			if size > limit {
				t.Fatalf("row of %d bytes passed a %d-byte limit", size, limit)
			}
		}
	})
}
