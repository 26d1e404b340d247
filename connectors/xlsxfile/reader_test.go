package xlsxfile

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/leadstream/leadstream/pipeline"
)

const (
	nsMain = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	nsRel  = `xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
)

// book builds a workbook from raw part bodies.
func book(t *testing.T, parts map[string]string) *bytes.Reader {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range parts {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b.Bytes())
}

func workbook(sheets ...string) map[string]string {
	wb := `<workbook ` + nsMain + ` ` + nsRel + `><sheets>`
	rels := `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`
	parts := map[string]string{}
	for i, s := range sheets {
		name, body, _ := strings.Cut(s, "=")
		id := string(rune('1' + i))
		wb += `<sheet name="` + name + `" sheetId="` + id + `" r:id="rId` + id + `"/>`
		rels += `<Relationship Id="rId` + id + `" Target="worksheets/s` + id + `.xml" Type="x"/>`
		parts["xl/worksheets/s"+id+".xml"] = `<?xml version="1.0"?><worksheet ` + nsMain + `><sheetData>` + body + `</sheetData></worksheet>`
	}
	parts["xl/workbook.xml"] = wb + `</sheets></workbook>`
	parts["xl/_rels/workbook.xml.rels"] = rels + `</Relationships>`
	return parts
}

func rows(t *testing.T, rd *Reader) []pipeline.SourceRow {
	t.Helper()
	var out []pipeline.SourceRow
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, row)
	}
}

func TestReader(t *testing.T) {
	parts := workbook(
		`Contacts=`+
			`<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="inlineStr"><is><t> Email  Address </t></is></c><c r="D2" t="s"><v>0</v></c><c r="E2" t="str"><v>Phone</v></c><c r="F2" t="s"><v>3</v></c></row>`+
			`<row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3" t="inlineStr"><is><r><t>jane@</t></r><r><t>example.com</t></r></is></c><c r="C3"><v>x</v></c><c r="D3" t="s"><v>2</v></c><c r="E3"><v>1.4155550100E10</v></c><c r="F3" t="b"><v>1</v></c><c r="H3" t="e"><v>#N/A</v></c></row>`+
			`<row r="4"></row>`+
			`<row r="5"><c r="A5" t="s"><v>99</v></c><c r="B5" t="inlineStr"><is><t>bob@example.com</t></is></c><c r="E5"><v>42.5</v></c></row>`,
		`Other=<row r="1"><c r="A1" t="inlineStr"><is><t>Only</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>here</t></is></c></row>`,
	)
	parts["xl/sharedStrings.xml"] = `<sst ` + nsMain + `><si><t>Name</t></si><si><r><t>Ja</t></r><r><t>ne</t></r><rPh><t>ジェーン</t></rPh></si><si><t xml:space="preserve"> Doe &amp; Co </t></si><si><t>Opt In</t></si></sst>`
	ra := book(t, parts)
	rd, err := NewReader(ra, ra.Size(), Options{DropColumns: []string{"opt in"}})
	if err != nil {
		t.Fatal(err)
	}
	if h := strings.Join(rd.Header(), "|"); h != "name|email address|column C|name (2)|phone|opt in" {
		t.Errorf("Header = %q", h)
	}
	got := rows(t, rd)
	if len(got) != 2 {
		t.Fatalf("rows = %+v", got)
	}
	r := got[0]
	want := map[string]string{"name": "Jane", "email address": "jane@example.com", "column C": "x", "name (2)": "Doe & Co", "phone": "14155550100"}
	if r.Line != 3 {
		t.Errorf("line = %d, want 3", r.Line)
	}
	for k, v := range want {
		if r.Fields[k] != v {
			t.Errorf("%s = %q, want %q (%v)", k, r.Fields[k], v, r.Fields)
		}
	}
	if _, ok := r.Fields["opt in"]; ok {
		t.Errorf("dropped column kept: %v", r.Fields)
	}
	if _, ok := r.Fields["column H"]; ok {
		t.Errorf("error cell kept: %v", r.Fields)
	}
	if !strings.Contains(string(r.Raw), "jane@example.com") {
		t.Errorf("raw = %q", r.Raw)
	}
	if got[1].Line != 5 || got[1].Fields["phone"] != "42.5" || got[1].Fields["name"] != "" {
		t.Errorf("row 5 = %+v", got[1])
	}
	if rd.BytesRead() <= 0 {
		t.Error("BytesRead not advancing")
	}
	rd.Close()

	rd, err = NewReader(ra, ra.Size(), Options{Sheet: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if got := rows(t, rd); len(got) != 1 || got[0].Fields["only"] != "here" {
		t.Errorf("named sheet rows = %+v", got)
	}
	if _, err := NewReader(ra, ra.Size(), Options{Sheet: "Nope"}); err == nil || !strings.Contains(err.Error(), "Contacts, Other") {
		t.Errorf("missing sheet: %v", err)
	}
}

func TestHostile(t *testing.T) {
	big := strings.Repeat("x", 3000)
	parts := workbook(`S=` +
		`<row><c t="inlineStr"><is><t>a</t></is></c><c t="inlineStr"><is><t>b</t></is></c></row>` +
		`<row><c t="inlineStr"><is><t>` + big + `</t></is></c><c t="inlineStr"><is><t>` + big + `</t></is></c></row>` +
		`<row><c t="inlineStr"><is><t>1</t></is></c><c t="inlineStr"><is><t>2</t></is></c></row>` +
		`<row><c r="ZZZZ9"><v>1</v></c></row>`)
	ra := book(t, parts)
	rd, err := NewReader(ra, ra.Size(), Options{MaxRecordBytes: 4000})
	if err != nil {
		t.Fatal(err)
	}
	row, err := rd.Next()
	if err != nil || row.Err == nil || !strings.Contains(row.Err.Error(), "row 2: row is larger than 4000 bytes") {
		t.Fatalf("oversized row = %+v, %v", row, err)
	}
	if row, err = rd.Next(); err != nil || row.Err != nil || row.Fields["a"] != "1" || row.Line != 3 {
		t.Fatalf("row after oversized = %+v, %v", row, err)
	}
	if _, err = rd.Next(); err == nil || !strings.Contains(err.Error(), "past column XFD") {
		t.Fatalf("cell past XFD: %v", err)
	}

	// Broken XML is fatal for the file and names the row.
	ra = book(t, workbook(`S=<row><c t="inlineStr"><is><t>a</t></is></c></row><row><c><v>1</c></row>`))
	rd, err = NewReader(ra, ra.Size(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rd.Next(); err == nil || !strings.Contains(err.Error(), "row 2") {
		t.Fatalf("broken XML: %v", err)
	}

	// Shared strings over the limit.
	parts = workbook(`S=<row><c t="s"><v>0</v></c></row>`)
	parts["xl/sharedStrings.xml"] = `<sst><si><t>` + strings.Repeat("y", 5000) + `</t></si></sst>`
	ra = book(t, parts)
	if _, err := NewReader(ra, ra.Size(), Options{MaxSharedStringBytes: 1000}); err == nil || !strings.Contains(err.Error(), "larger than 1000") {
		t.Fatalf("shared strings limit: %v", err)
	}

	// Not a zip; no sheet; no header.
	if _, err := NewReader(strings.NewReader("abc"), 3, Options{}); err == nil || !strings.Contains(err.Error(), "not a zip") {
		t.Errorf("not a zip: %v", err)
	}
	ra = book(t, map[string]string{"x.txt": "x"})
	if _, err := NewReader(ra, ra.Size(), Options{}); err == nil {
		t.Error("workbook without sheets accepted")
	}
	ra = book(t, workbook(`S=<row></row>`))
	if _, err := NewReader(ra, ra.Size(), Options{}); err == nil || !strings.Contains(err.Error(), "no header row") {
		t.Errorf("empty sheet: %v", err)
	}
}

func TestColumns(t *testing.T) {
	for i, name := range map[int]string{0: "A", 25: "Z", 26: "AA", 701: "ZZ", 702: "AAA", 16383: "XFD"} {
		if colName(i) != name {
			t.Errorf("colName(%d) = %s, want %s", i, colName(i), name)
		}
		if c, ok := colIndex(name + "12"); !ok || c != i {
			t.Errorf("colIndex(%s12) = %d, want %d", name, c, i)
		}
	}
}
