// Command xlsxbomb writes a small XLSX workbook whose sheet holds a huge
// text run, to measure that reading it stays in bounded memory (issue 16):
//
//	go run ./bench/cmd/xlsxbomb -o bomb.xlsx -size 1GiB -where cell
//	/usr/bin/time -v go run ./cmd/leadstream normalize bomb.xlsx
//
// -where cell puts the text in one cell of row 3; -where between puts it
// between rows 2 and 3. Rows 2 and 4 are ordinary leads.
package main

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"strings"
)

func main() {
	out := flag.String("o", "bomb.xlsx", "output file")
	size := flag.String("size", "1GiB", "bytes of text (suffix KiB, MiB or GiB)")
	where := flag.String("where", "cell", "cell or between")
	flag.Parse()
	n, err := parseSize(*size)
	if err != nil {
		log.Fatal(err)
	}
	if err := write(*out, n, *where); err != nil {
		log.Fatal(err)
	}
	fi, _ := os.Stat(*out)
	fmt.Printf("%s: %d bytes holding %d bytes of text (%s)\n", *out, fi.Size(), n, *where)
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suf, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(s, suf) {
			s, mult = strings.TrimSuffix(s, suf), m
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v * mult, err
}

func inline(ref, v string) string {
	return `<c r="` + ref + `" t="inlineStr"><is><t>` + v + `</t></is></c>`
}

func write(path string, n int64, where string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	zw := zip.NewWriter(bw)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>`},
		{"xl/workbook.xml", `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Leads" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
	}
	for _, p := range parts {
		w, err := zw.Create(p.name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, p.body); err != nil {
			return err
		}
	}
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return err
	}
	head := `<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row r="1">` + inline("A1", "email") + inline("B1", "first_name") + inline("C1", "last_name") + inline("D1", "company") + `</row>` +
		`<row r="2">` + inline("A2", "ann@example.com") + inline("B2", "Ann") + inline("C2", "Lee") + inline("D2", "Acme") + `</row>`
	tail := `<row r="4">` + inline("A4", "bob@example.com") + inline("B4", "Bob") + inline("C4", "Ray") + inline("D4", "Acme") + `</row></sheetData></worksheet>`
	if _, err := io.WriteString(w, head); err != nil {
		return err
	}
	if where == "cell" {
		_, err = io.WriteString(w, `<row r="3">`+inline("A3", "cy@example.com")+`<c r="B3" t="inlineStr"><is><t>`)
	}
	if err != nil {
		return err
	}
	chunk := []byte(strings.Repeat("A", 1<<20))
	for left := n; left > 0; left -= int64(len(chunk)) {
		if _, err := w.Write(chunk[:min(int64(len(chunk)), left)]); err != nil {
			return err
		}
	}
	if where == "cell" {
		_, err = io.WriteString(w, `</t></is></c></row>`)
	} else {
		_, err = io.WriteString(w, `<row r="3">`+inline("A3", "cy@example.com")+inline("B3", "Cy")+inline("C3", "Ng")+inline("D3", "Acme")+`</row>`)
	}
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, tail); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}
