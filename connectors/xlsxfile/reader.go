// Package xlsxfile reads the first (or a named) worksheet of an XLSX
// workbook row by row: the sheet XML is streamed from the zip archive with
// encoding/xml, so memory is bounded by one row plus the shared-strings
// table (itself bounded by Options.MaxSharedStringBytes). The first
// non-empty row is the header; names are trimmed and lower-cased like
// connectors/csvfile, a repeated name keeps its first column and later
// ones become "name (2)", and a value under a blank header cell is kept as
// "column <letter>". Each data row becomes a pipeline.SourceRow whose Line is
// the sheet row number.
package xlsxfile

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/leadstream/leadstream/pipeline"
)

// Options configures a Reader.
type Options struct {
	// Sheet names the worksheet to read; empty reads the first one.
	Sheet string
	// MaxRecordBytes bounds the text of one row (default 1 MiB); a longer
	// row is reported as malformed.
	MaxRecordBytes int
	// MaxSharedStringBytes bounds the shared-strings table (default 64 MiB).
	MaxSharedStringBytes int64
	// DropColumns are header names (lower case) never passed on.
	DropColumns []string
}

// Reader yields the rows of one worksheet.
type Reader struct {
	opts    Options
	rc      io.ReadCloser
	cr      *countReader
	dec     *xml.Decoder
	shared  []string
	header  []string
	drop    []bool
	scale   float64 // compressed/uncompressed size of the sheet
	nextRow int
	done    bool
}

// NewReader opens the workbook held by ra (size bytes long) and reads the
// header row of its sheet.
func NewReader(ra io.ReaderAt, size int64, opts Options) (*Reader, error) {
	if opts.MaxRecordBytes <= 0 {
		opts.MaxRecordBytes = 1 << 20
	}
	if opts.MaxSharedStringBytes <= 0 {
		opts.MaxSharedStringBytes = 64 << 20
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, fmt.Errorf("xlsx: not a zip archive: %w", err)
	}
	files := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		files[strings.TrimPrefix(f.Name, "/")] = f
	}
	sheetPath, err := findSheet(files, opts.Sheet)
	if err != nil {
		return nil, err
	}
	rd := &Reader{opts: opts}
	if f := files["xl/sharedStrings.xml"]; f != nil {
		if rd.shared, err = readShared(f, opts.MaxSharedStringBytes); err != nil {
			return nil, err
		}
	}
	sf := files[sheetPath]
	rc, err := sf.Open()
	if err != nil {
		return nil, fmt.Errorf("xlsx: open %s: %w", sheetPath, err)
	}
	rd.rc = rc
	rd.cr = &countReader{r: rc}
	rd.dec = xml.NewDecoder(rd.cr)
	if sf.UncompressedSize64 > 0 {
		rd.scale = float64(sf.CompressedSize64) / float64(sf.UncompressedSize64)
	}
	for {
		n, cells, err := rd.row()
		if err != nil {
			rc.Close()
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("xlsx: sheet %s has no header row", sheetPath)
			}
			return nil, fmt.Errorf("xlsx: header: %w", err)
		}
		if !anyText(cells) {
			continue
		}
		rd.setHeader(cells)
		rd.nextRow = n
		return rd, nil
	}
}

// Header returns the lower-cased column names.
func (r *Reader) Header() []string { return r.header }

// BytesRead estimates the position in the file from the uncompressed
// bytes of the sheet consumed.
func (r *Reader) BytesRead() int64 { return int64(float64(r.cr.n) * r.scale) }

// Close releases the sheet stream.
func (r *Reader) Close() error { return r.rc.Close() }

// Next returns the next data row, or io.EOF. A row whose text exceeds
// MaxRecordBytes comes back with Err set. Empty rows are skipped.
func (r *Reader) Next() (pipeline.SourceRow, error) {
	for {
		if r.done {
			return pipeline.SourceRow{}, io.EOF
		}
		n, cells, err := r.row()
		if errors.Is(err, io.EOF) {
			r.done = true
			return pipeline.SourceRow{}, io.EOF
		}
		if err != nil {
			var big *tooBig
			if errors.As(err, &big) {
				return pipeline.SourceRow{Line: n, Err: fmt.Errorf("row %d: %w", n, err), Raw: []byte(big.head)}, nil
			}
			r.done = true
			return pipeline.SourceRow{}, fmt.Errorf("xlsx: row %d: %w", n, err)
		}
		if !anyText(cells) {
			continue
		}
		row := pipeline.SourceRow{Line: n, Raw: csvLine(cells), Fields: make(map[string]string, len(cells))}
		for i, v := range cells {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			if i >= len(r.header) {
				row.Fields["column "+colName(i)] = v
				continue
			}
			if r.drop[i] {
				continue
			}
			row.Fields[r.header[i]] = v
		}
		return row, nil
	}
}

func (r *Reader) setHeader(cells []string) {
	seen := make(map[string]int)
	for i, c := range cells {
		name := strings.ToLower(strings.Join(strings.Fields(c), " "))
		if name == "" {
			name = "column " + colName(i)
		}
		if k := seen[name]; k > 0 {
			seen[name] = k + 1
			name = fmt.Sprintf("%s (%d)", name, k+1)
		} else {
			seen[name] = 1
		}
		dropped := false
		for _, d := range r.opts.DropColumns {
			dropped = dropped || strings.EqualFold(d, name)
		}
		r.header = append(r.header, name)
		r.drop = append(r.drop, dropped)
	}
}

type tooBig struct {
	limit int
	head  string
}

func (e *tooBig) Error() string { return fmt.Sprintf("row is larger than %d bytes", e.limit) }

// row reads the next <row> element: its number and cell texts by column.
func (r *Reader) row() (int, []string, error) {
	for {
		tok, err := r.dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return r.nextRow, nil, io.EOF
			}
			return r.nextRow + 1, nil, fmt.Errorf("sheet XML: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "row" {
			continue
		}
		n := r.nextRow + 1
		if v := attr(se, "r"); v != "" {
			if k, err := strconv.Atoi(v); err == nil && k > 0 {
				n = k
			}
		}
		r.nextRow = n
		cells, err := r.cells(n)
		return n, cells, err
	}
}

// cells reads the cells of one row up to its end tag.
func (r *Reader) cells(n int) ([]string, error) {
	var cells []string
	size := 0
	var overflow error
	next := 0
	for {
		tok, err := r.dec.Token()
		if err != nil {
			return nil, fmt.Errorf("sheet XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if t.Name.Local == "row" {
				if overflow != nil {
					return nil, overflow
				}
				return cells, nil
			}
		case xml.StartElement:
			if t.Name.Local != "c" {
				continue
			}
			col := next
			if ref := attr(t, "r"); ref != "" {
				if c, ok := colIndex(ref); ok {
					col = c
				}
			}
			if col > 16383 {
				return nil, fmt.Errorf("cell %s is past column XFD", attr(t, "r"))
			}
			next = col + 1
			v, err := r.cell(t, r.opts.MaxRecordBytes-size)
			if err != nil {
				return nil, err
			}
			size += len(v)
			if size > r.opts.MaxRecordBytes {
				if overflow == nil {
					overflow = &tooBig{limit: r.opts.MaxRecordBytes, head: string(csvLine(cells))}
				}
				continue
			}
			for len(cells) <= col {
				cells = append(cells, "")
			}
			cells[col] = v
		}
	}
}

// cell reads one <c> element and returns its text, keeping at most room+1
// bytes of it.
func (r *Reader) cell(start xml.StartElement, room int) (string, error) {
	typ := attr(start, "t")
	var text strings.Builder
	in := "" // element whose character data is collected: "v" or "t"
	depth := 0
	skipPh := 0
	for {
		tok, err := r.dec.Token()
		if err != nil {
			return "", fmt.Errorf("sheet XML in cell %s: %w", attr(start, "r"), err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch t.Name.Local {
			case "v", "t":
				in = t.Name.Local
			case "rPh":
				skipPh++
			}
		case xml.EndElement:
			if depth == 0 {
				return cellValue(typ, text.String(), r.shared), nil
			}
			depth--
			if t.Name.Local == "rPh" {
				skipPh--
			}
			in = ""
		case xml.CharData:
			if in != "" && skipPh == 0 && text.Len() <= room {
				text.Write(t[:min(len(t), room+1-text.Len())])
			}
		}
	}
}

func cellValue(typ, v string, shared []string) string {
	switch typ {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 || i >= len(shared) {
			return ""
		}
		return shared[i]
	case "b":
		if strings.TrimSpace(v) == "1" {
			return "true"
		}
		return "false"
	case "e":
		return "" // #N/A, #REF! and the like carry no value
	case "str", "inlineStr":
		return v
	}
	// A number: spell exponent forms out so phone numbers and ids survive.
	if strings.ContainsAny(v, "eE") {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
	}
	return v
}

// readShared loads the shared-strings table.
func readShared(f *zip.File, limit int64) ([]string, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("xlsx: open sharedStrings.xml: %w", err)
	}
	defer rc.Close()
	dec := xml.NewDecoder(io.LimitReader(rc, limit+1))
	cr := 0
	var out []string
	var cur strings.Builder
	inSI, inT, ph := false, false, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			if int64(cr) >= limit {
				return nil, fmt.Errorf("xlsx: sharedStrings.xml is larger than %d bytes", limit)
			}
			return nil, fmt.Errorf("xlsx: sharedStrings.xml: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI = true
				cur.Reset()
			case "t":
				inT = true
			case "rPh":
				ph++
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				inSI = false
				out = append(out, cur.String())
			case "t":
				inT = false
			case "rPh":
				ph--
			}
		case xml.CharData:
			cr += len(t)
			if inSI && inT && ph == 0 {
				cur.Write(t)
			}
		}
		if dec.InputOffset() > limit {
			return nil, fmt.Errorf("xlsx: sharedStrings.xml is larger than %d bytes", limit)
		}
	}
}

// findSheet resolves the worksheet part through workbook.xml and its
// relationships, falling back to xl/worksheets/sheet1.xml.
func findSheet(files map[string]*zip.File, want string) (string, error) {
	type sheet struct {
		Name string `xml:"name,attr"`
		RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
	}
	var wb struct {
		Sheets []sheet `xml:"sheets>sheet"`
	}
	var rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := decodeSmall(files["xl/workbook.xml"], &wb); err != nil || len(wb.Sheets) == 0 {
		if want == "" && files["xl/worksheets/sheet1.xml"] != nil {
			return "xl/worksheets/sheet1.xml", nil
		}
		return "", errors.New("xlsx: xl/workbook.xml lists no sheets")
	}
	_ = decodeSmall(files["xl/_rels/workbook.xml.rels"], &rels)
	var names []string
	for i, s := range wb.Sheets {
		names = append(names, s.Name)
		if want != "" && !strings.EqualFold(s.Name, want) {
			continue
		}
		for _, rel := range rels.Rel {
			if rel.ID != s.RID {
				continue
			}
			p := rel.Target
			if strings.HasPrefix(p, "/") {
				p = strings.TrimPrefix(p, "/")
			} else {
				p = path.Join("xl", p)
			}
			if files[p] != nil {
				return p, nil
			}
		}
		if p := fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1); files[p] != nil {
			return p, nil
		}
		return "", fmt.Errorf("xlsx: sheet %q has no worksheet part", s.Name)
	}
	return "", fmt.Errorf("xlsx: no sheet named %q (sheets: %s)", want, strings.Join(names, ", "))
}

func decodeSmall(f *zip.File, v any) error {
	if f == nil {
		return errors.New("missing")
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(io.LimitReader(rc, 8<<20)).Decode(v)
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// colIndex turns the letters of a cell reference ("AB12") into a 0-based
// column.
func colIndex(ref string) (int, bool) {
	n := 0
	i := 0
	for ; i < len(ref) && i < 4; i++ {
		c := ref[i] | 0x20
		if c < 'a' || c > 'z' {
			break
		}
		n = n*26 + int(c-'a'+1)
	}
	return n - 1, i > 0
}

// colName turns a 0-based column into letters.
func colName(i int) string {
	var b []byte
	for i++; i > 0; i = (i - 1) / 26 {
		b = append([]byte{byte('A' + (i-1)%26)}, b...)
	}
	return string(b)
}

func anyText(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return true
		}
	}
	return false
}

func csvLine(cells []string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(cells)
	w.Flush()
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
