// Package xlsxfile reads the first (or a named) worksheet of an XLSX
// workbook row by row: the sheet XML is streamed from the zip archive
// through internal/xmlstream, whose text comes in bounded chunks, so memory
// is bounded by one row (Options.MaxRecordBytes, however long a text run in
// the file is) plus the shared-strings table (Options.MaxSharedStringBytes).
// A row over its limit, and stray text between rows over it, come back as
// malformed rows to be dead-lettered; the rest of the sheet flows. The first
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

	"github.com/leadstream/leadstream/internal/xmlstream"
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
	dec     *xmlstream.Decoder
	shared  *sharedStrings
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
	rd.dec = xmlstream.NewDecoder(rd.cr, xmlstream.Options{})
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
	what  string // what is too large; empty: the row
}

func (e *tooBig) Error() string {
	if e.what != "" {
		return fmt.Sprintf("%s is larger than %d bytes", e.what, e.limit)
	}
	return fmt.Sprintf("row is larger than %d bytes", e.limit)
}

// row reads the next <row> element: its number and cell texts by column.
// Non-blank text outside any row (which Excel never writes) longer than
// MaxRecordBytes makes the row after it malformed (or, at the end of the
// sheet, a malformed row numbered after the last), so every row number
// stays unique; shorter stray text is ignored. Either way it is counted,
// never kept.
func (r *Reader) row() (int, []string, error) {
	stray := 0
	for {
		tok, err := r.dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if stray > r.opts.MaxRecordBytes {
					r.nextRow++
					return r.nextRow, nil, &tooBig{limit: r.opts.MaxRecordBytes, what: "the text after the last row"}
				}
				return r.nextRow, nil, io.EOF
			}
			return r.nextRow + 1, nil, fmt.Errorf("sheet XML: %w", err)
		}
		if tok.Kind == xmlstream.CharData {
			stray += nonSpace(tok.Data)
			continue
		}
		if tok.Kind != xmlstream.StartElement || tok.Name != "row" {
			continue
		}
		n, cells, err := r.readRow(tok)
		if err == nil && stray > r.opts.MaxRecordBytes {
			err = &tooBig{limit: r.opts.MaxRecordBytes, what: "the text before it, outside any row,", head: string(csvLine(cells))}
		}
		return n, cells, err
	}
}

func (r *Reader) readRow(se xmlstream.Token) (int, []string, error) {
	n := r.nextRow + 1
	if v := se.Attr("r"); v != "" {
		if k, err := strconv.Atoi(v); err == nil && k > 0 {
			n = k
		}
	}
	r.nextRow = n
	cells, err := r.cells()
	return n, cells, err
}

// nonSpace counts the bytes of b that are not XML white space.
func nonSpace(b []byte) int {
	n := 0
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			n++
		}
	}
	return n
}

// cells reads the cells of one row up to its end tag. Text of the row
// outside its cells counts towards the row's size.
func (r *Reader) cells() ([]string, error) {
	var cells []string
	size := 0
	var overflow error
	next := 0
	for {
		tok, err := r.dec.Token()
		if err != nil {
			return nil, fmt.Errorf("sheet XML: %w", err)
		}
		switch tok.Kind {
		case xmlstream.EndElement:
			if tok.Name == "row" {
				if overflow != nil {
					return nil, overflow
				}
				return cells, nil
			}
		case xmlstream.CharData:
			if size += nonSpace(tok.Data); size > r.opts.MaxRecordBytes && overflow == nil {
				overflow = &tooBig{limit: r.opts.MaxRecordBytes, head: string(csvLine(cells))}
			}
		case xmlstream.StartElement:
			if tok.Name != "c" {
				continue
			}
			col := next
			if ref := tok.Attr("r"); ref != "" {
				if c, ok := colIndex(ref); ok {
					col = c
				}
			}
			if col > 16383 {
				return nil, fmt.Errorf("cell %s is past column XFD", safeRef(tok.Attr("r")))
			}
			next = col + 1
			v, err := r.cell(tok, max(r.opts.MaxRecordBytes-size, 0))
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

// safeRef keeps a cell reference printable and short for a message.
func safeRef(ref string) string {
	var b strings.Builder
	for i := 0; i < len(ref) && i < 12; i++ {
		if c := ref[i]; c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' {
			b.WriteByte(c)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// cell reads one <c> element and returns its text, keeping at most room+1
// bytes of it; the rest streams past.
func (r *Reader) cell(start xmlstream.Token, room int) (string, error) {
	typ := start.Attr("t")
	var text []byte
	in := false // inside <v> or <t>, whose character data is the value
	depth := 0
	skipPh := 0
	for {
		tok, err := r.dec.Token()
		if err != nil {
			return "", fmt.Errorf("sheet XML in cell %s: %w", safeRef(start.Attr("r")), err)
		}
		switch tok.Kind {
		case xmlstream.StartElement:
			depth++
			switch tok.Name {
			case "v", "t":
				in = true
			case "rPh":
				skipPh++
			}
		case xmlstream.EndElement:
			if depth == 0 {
				return cellValue(typ, strings.ToValidUTF8(string(text), "\uFFFD"), r.shared), nil
			}
			depth--
			if tok.Name == "rPh" {
				skipPh--
			}
			in = false
		case xmlstream.CharData:
			if in && skipPh == 0 && len(text) <= room {
				text = append(text, tok.Data[:min(len(tok.Data), room+1-len(text))]...)
			}
		}
	}
}

func cellValue(typ, v string, shared *sharedStrings) string {
	switch typ {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return ""
		}
		return shared.at(i)
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

// sharedStrings holds the shared-strings table in one byte slice and the
// end offset of each string, so a table of many tiny strings costs 4 bytes
// per entry beside its text.
type sharedStrings struct {
	text []byte
	ends []uint32
}

func (s *sharedStrings) at(i int) string {
	if s == nil || i < 0 || i >= len(s.ends) {
		return ""
	}
	from := uint32(0)
	if i > 0 {
		from = s.ends[i-1]
	}
	return string(s.text[from:s.ends[i]])
}

// size is the memory the table holds.
func (s *sharedStrings) size() int64 { return int64(len(s.text)) + 4*int64(len(s.ends)) }

// readShared loads the shared-strings table; its text plus 4 bytes per
// entry may not exceed limit, and the part's XML is read through the
// bounded tokenizer.
func readShared(f *zip.File, limit int64) (*sharedStrings, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("xlsx: open sharedStrings.xml: %w", err)
	}
	defer rc.Close()
	tooLarge := fmt.Errorf("xlsx: sharedStrings.xml is larger than %d bytes", limit)
	dec := xmlstream.NewDecoder(rc, xmlstream.Options{})
	out := &sharedStrings{}
	inSI, inT, ph := false, false, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("xlsx: sharedStrings.xml: %w", err)
		}
		switch tok.Kind {
		case xmlstream.StartElement:
			switch tok.Name {
			case "si":
				inSI = true
			case "t":
				inT = true
			case "rPh":
				ph++
			}
		case xmlstream.EndElement:
			switch tok.Name {
			case "si":
				inSI = false
				if out.size()+4 > limit || len(out.text) > 1<<32-1 {
					return nil, tooLarge
				}
				out.ends = append(out.ends, uint32(len(out.text)))
			case "t":
				inT = false
			case "rPh":
				ph--
			}
		case xmlstream.CharData:
			if inSI && inT && ph == 0 {
				if out.size()+int64(len(tok.Data)) > limit {
					return nil, tooLarge
				}
				out.text = append(out.text, tok.Data...)
			}
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
