package providers

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"

	"github.com/leadstream/leadstream/pipeline"
)

const canonicalCSV = "record_id,first_name,last_name,email,company\nr1,Jane,Doe,jane@acme.example,Acme\nr2,Bob,Ray,bob@acme.example,Acme\n"

func encodeText(t *testing.T, enc string, text string) []byte {
	t.Helper()
	var out []byte
	var err error
	switch enc {
	case "utf-8":
		return []byte(text)
	case "utf-8-bom":
		return append([]byte("\xef\xbb\xbf"), text...)
	case "utf-16le":
		out, err = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(text))
	case "utf-16be":
		out, err = unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(text))
	case "utf-32le":
		out, err = utf32.UTF32(utf32.LittleEndian, utf32.UseBOM).NewEncoder().Bytes([]byte(text))
	case "utf-32be":
		out, err = utf32.UTF32(utf32.BigEndian, utf32.UseBOM).NewEncoder().Bytes([]byte(text))
	case "utf-16le-no-bom":
		out, err = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().Bytes([]byte(text))
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func rowsOf(t *testing.T, src pipeline.RowSource) []pipeline.SourceRow {
	t.Helper()
	var out []pipeline.SourceRow
	for {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, row)
	}
}

// TestUnicodeEncodings reads text files in every encoding a byte-order
// mark names, as the canonical format and as a provider export (Excel's
// "Unicode text" is UTF-16LE with tabs).
func TestUnicodeEncodings(t *testing.T) {
	set, err := DefaultSet()
	if err != nil {
		t.Fatal(err)
	}
	excel := "First Name\tLast Name\tEmail\tCompany Name\tPhone\tCity\tCountry\tJob Title\nJürgen\tMüller\tjm@acme.example\tAcme\t+49 30 555 0100\tBerlin\tGermany\tCEO\n"
	for _, enc := range []string{"utf-8", "utf-8-bom", "utf-16le", "utf-16be", "utf-32le", "utf-32be"} {
		for _, tc := range []struct {
			name, text, provider, wantProvider, field, want string
		}{
			{"canonical", strings.ReplaceAll(canonicalCSV, "Jane", "Jäne"), "", CanonicalKey, "first_name", "Jäne"},
			{"excel unicode text", excel, BookYourData, BookYourData, "last_name", "Müller"},
		} {
			t.Run(enc+"/"+tc.name, func(t *testing.T) {
				path := writeFile(t, "f.txt", encodeText(t, enc, tc.text))
				src, prov, err := set.Open(path, tc.provider, Options{})
				if err != nil {
					t.Fatal(err)
				}
				rows := rowsOf(t, src)
				if prov != tc.wantProvider || len(rows) == 0 || rows[0].Err != nil || rows[0].Fields[tc.field] != tc.want {
					t.Fatalf("provider %q, rows %+v; want %s with %s=%q", prov, rows, tc.wantProvider, tc.field, tc.want)
				}
			})
		}
	}
	// UTF-16 without a byte-order mark is refused with advice, without
	// NUL bytes in the message.
	path := writeFile(t, "nobom.csv", encodeText(t, "utf-16le-no-bom", canonicalCSV))
	_, _, err = set.Open(path, "", Options{})
	if err == nil || !strings.Contains(err.Error(), "NUL bytes") || strings.ContainsRune(err.Error(), 0) {
		t.Fatalf("UTF-16 without BOM: %v", err)
	}
}

func xlsxFile(t *testing.T, rows [][]string) string {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	part := func(name, body string) {
		w, _ := zw.Create(name)
		io.WriteString(w, body)
	}
	part("xl/workbook.xml", `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	part("xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="x"/></Relationships>`)
	sheet := `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
	for _, r := range rows {
		sheet += "<row>"
		for _, c := range r {
			sheet += `<c t="inlineStr"><is><t>` + c + `</t></is></c>`
		}
		sheet += "</row>"
	}
	part("xl/worksheets/sheet1.xml", sheet+`</sheetData></worksheet>`)
	zw.Close()
	return writeFile(t, "f.xlsx", b.Bytes())
}

// TestCanonicalEverywhere accepts the canonical columns in every format,
// detected or named, and refuses to read a provider export as canonical.
func TestCanonicalEverywhere(t *testing.T) {
	set, err := DefaultSet()
	if err != nil {
		t.Fatal(err)
	}
	header := []string{"record_id", "entity_id", "first_name", "last_name", "email", "company"}
	for _, tc := range []struct {
		name, path, provider string
	}{
		{"csv", writeFile(t, "c.csv", []byte("record_id,entity_id,first_name,last_name,email,company\nr1,e1,Jane,Doe,jane@acme.example,Acme\n")), ""},
		{"xlsx", xlsxFile(t, [][]string{header, {"r1", "e1", "Jane", "Doe", "jane@acme.example", "Acme"}}), ""},
		{"xlsx named", xlsxFile(t, [][]string{header, {"r1", "e1", "Jane", "Doe", "jane@acme.example", "Acme"}}), CanonicalKey},
		{"json", writeFile(t, "c.json", []byte(`[{"record_id":"r1","entity_id":"e1","first_name":"Jane","last_name":"Doe","email":"jane@acme.example","company":"Acme"}]`)), ""},
		{"jsonl", writeFile(t, "c.jsonl", []byte(`{"record_id":"r1","entity_id":"e1","first_name":"Jane","last_name":"Doe","email":"jane@acme.example","company":"Acme"}`+"\n")), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, prov, err := set.Open(tc.path, tc.provider, Options{DropColumns: []string{"entity_id"}})
			if err != nil {
				t.Fatal(err)
			}
			rows := rowsOf(t, src)
			if prov != CanonicalKey || len(rows) != 1 || rows[0].Fields["first_name"] != "Jane" || rows[0].Fields["email"] != "jane@acme.example" {
				t.Fatalf("provider %q rows %+v", prov, rows)
			}
			if _, ok := rows[0].Fields["entity_id"]; ok {
				t.Errorf("entity_id kept: %v", rows[0].Fields)
			}
		})
	}

	for _, tc := range []struct {
		name, path, want string
	}{
		// Full Name is a provider column: not canonical, and BookYourData
		// and LeadsBlue share the layout, so detection refuses.
		{"bookyourdata without --provider", filepath.Join("testdata", "bookyourdata.csv"), "pass --provider"},
		{"a file without a header row", writeFile(t, "nohead.csv", []byte("Jane,Doe,jane@acme.example,+1 415 555 0100\n")), "is it a header?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := set.Open(tc.path, "", Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			for _, pii := range []string{"Jane", "jane@", "415", "Grace", "grace."} {
				if strings.Contains(err.Error(), pii) {
					t.Errorf("the message shows personal data (%q): %v", pii, err)
				}
			}
		})
	}
	if !set.IsCanonical([]string{"first_name", "email", "x_custom"}) || set.IsCanonical([]string{"Full Name", "Email", "Phone"}) || set.IsCanonical([]string{"email"}) {
		t.Error("IsCanonical")
	}
}
