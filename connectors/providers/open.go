package providers

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
	xtransform "golang.org/x/text/transform"

	"github.com/leadstream/leadstream/connectors/csvfile"
	"github.com/leadstream/leadstream/connectors/jsonfile"
	"github.com/leadstream/leadstream/connectors/xlsxfile"
	"github.com/leadstream/leadstream/pipeline"
)

// CanonicalKey is the source key of the canonical format (README "Input
// formats"), which needs no mapping.
const CanonicalKey = "csv"

// File formats Open recognises.
const (
	FormatCSV   = "csv"
	FormatJSON  = "json"
	FormatJSONL = "jsonl"
	FormatXLSX  = "xlsx"
)

// Options configures Open and Opener. The zero value is usable.
type Options struct {
	// Format forces a format; empty sniffs it from the extension and the
	// first bytes.
	Format string
	// Delimiter for CSV; 0 detects it among , ; tab and |.
	Delimiter rune
	// Sheet names the XLSX worksheet; empty reads the first.
	Sheet string
	// MaxRecordBytes bounds one record (default 1 MiB).
	MaxRecordBytes int
	// MaxDepth bounds the nesting of a JSON record (default 32).
	MaxDepth int
	// DropColumns are raw column names (case-insensitive) never passed on,
	// e.g. a dataset's entity_id ground truth.
	DropColumns []string
	// RequireIdentity turns a mapped row without the minimum identity of
	// providers.md §8.1 (an email, or first and last name — or a full name —
	// plus company or domain) into a malformed row with the reason.
	RequireIdentity bool
}

// Open is DefaultSet().Open with default options: it opens the export at
// path, detects its provider when provider is "", and returns a source of
// canonical rows and the provider used. The source also implements
// io.Closer; it closes the file at io.EOF too.
func Open(path string, provider string) (pipeline.RowSource, string, error) {
	s, err := DefaultSet()
	if err != nil {
		return nil, "", err
	}
	return s.Open(path, provider, Options{})
}

// Open opens the export at path with the mappings of s. See Open.
func (s *Set) Open(path, provider string, opts Options) (pipeline.RowSource, string, error) {
	open, provider, err := s.Opener(path, provider, opts)
	if err != nil {
		return nil, "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("open %s: %w", path, err)
	}
	src, err := open(f)
	if err != nil {
		f.Close()
		return nil, "", fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return &fileSource{RowSource: src, f: f}, provider, nil
}

// Opener sniffs the export at path, detects its provider when provider is
// "", and returns the function pipeline.ImportFile needs to read it as
// canonical rows, with the provider to put in ImportOptions.Provider:
//
//	open, prov, err := set.Opener(path, flagProvider, providers.Options{})
//	res, err := pipeline.ImportFile(ctx, cl, path, open, pipeline.ImportOptions{Provider: prov, ...})
//
// The function needs an io.ReaderAt (an *os.File) for XLSX.
func (s *Set) Opener(path, provider string, opts Options) (func(io.Reader) (pipeline.RowSource, error), string, error) {
	base := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	format := opts.Format
	if format == "" {
		if format, err = sniff(path, Transcode(f)); err != nil {
			return nil, "", fmt.Errorf("%s: %w", base, err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, "", fmt.Errorf("%s: %w", base, err)
		}
	}
	switch format {
	case FormatCSV, FormatJSON, FormatJSONL, FormatXLSX:
	default:
		return nil, "", fmt.Errorf("%s: unknown format %q (csv, json, jsonl or xlsx)", base, format)
	}
	if provider == "" {
		raw, err := openRaw(f, format, opts)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", base, err)
		}
		if c, ok := raw.(io.Closer); ok {
			defer c.Close()
		}
		header := raw.(interface{ Header() []string }).Header()
		if len(header) == 0 {
			return nil, "", fmt.Errorf("%s: the first record is malformed, so the provider cannot be detected; pass --provider", base)
		}
		if provider, err = s.Detect(header); err != nil {
			if !s.IsCanonical(header) {
				return nil, "", fmt.Errorf("%s: %w", base, err)
			}
			provider = CanonicalKey
		}
	}
	if provider == CanonicalKey {
		return canonicalOpener(format, opts), CanonicalKey, nil
	}
	m, err := s.Mapping(provider)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", base, err)
	}
	open := func(r io.Reader) (pipeline.RowSource, error) {
		raw, err := openRaw(r, format, opts)
		if err != nil {
			return nil, err
		}
		return &mapped{src: raw, m: m, identity: opts.RequireIdentity}, nil
	}
	return open, provider, nil
}

// canonicalOpener reads the canonical format: a CSV strictly (csvfile: a
// repeated or blank column name is an error), other formats with their
// field names as they are.
func canonicalOpener(format string, opts Options) func(io.Reader) (pipeline.RowSource, error) {
	return func(r io.Reader) (pipeline.RowSource, error) {
		if format == FormatCSV {
			drop := make([]string, len(opts.DropColumns))
			for i, d := range opts.DropColumns {
				drop[i] = strings.ToLower(strings.TrimSpace(d))
			}
			return csvfile.NewReader(Transcode(r), csvfile.Options{Delimiter: opts.Delimiter, MaxRecordBytes: opts.MaxRecordBytes, DropColumns: drop})
		}
		return openRaw(r, format, opts)
	}
}

// Transcode returns a reader of r's text in UTF-8: a UTF-16 or UTF-32
// byte-order mark (Excel's "Unicode text" is UTF-16LE, tab-separated)
// selects that encoding's decoder; anything else is read as it is (the
// readers handle UTF-8, its BOM, and Windows-1252).
func Transcode(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	b, _ := br.Peek(4)
	var dec *encoding.Decoder
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE, 0, 0}):
		dec = utf32.UTF32(utf32.LittleEndian, utf32.ExpectBOM).NewDecoder()
	case bytes.HasPrefix(b, []byte{0, 0, 0xFE, 0xFF}):
		dec = utf32.UTF32(utf32.BigEndian, utf32.ExpectBOM).NewDecoder()
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		dec = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		dec = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
	default:
		return br
	}
	return xtransform.NewReader(br, dec)
}

// OpenRaw reads an export without mapping it: rows keep the provider's own
// field names. format is one of the Format constants.
func OpenRaw(r io.Reader, format string, opts Options) (pipeline.RowSource, error) {
	return openRaw(r, format, opts)
}

type headered interface {
	pipeline.RowSource
	Header() []string
}

func openRaw(r io.Reader, format string, opts Options) (headered, error) {
	switch format {
	case FormatCSV:
		return newCSV(Transcode(r), opts)
	case FormatJSON, FormatJSONL:
		r = Transcode(r)
		jf := jsonfile.Array
		if format == FormatJSONL {
			jf = jsonfile.Lines
		}
		rd, err := jsonfile.NewReader(r, jsonfile.Options{Format: jf, MaxRecordBytes: opts.MaxRecordBytes, MaxDepth: opts.MaxDepth})
		if err != nil {
			return nil, err
		}
		if len(opts.DropColumns) > 0 {
			return &dropping{headered: rd, drop: opts.DropColumns}, nil
		}
		return rd, nil
	case FormatXLSX:
		ra, ok := r.(io.ReaderAt)
		st, ok2 := r.(interface{ Stat() (os.FileInfo, error) })
		if !ok || !ok2 {
			return nil, errors.New("xlsx needs a file that allows random access")
		}
		fi, err := st.Stat()
		if err != nil {
			return nil, fmt.Errorf("stat: %w", err)
		}
		lower := make([]string, len(opts.DropColumns))
		for i, d := range opts.DropColumns {
			lower[i] = strings.ToLower(d)
		}
		return xlsxfile.NewReader(ra, fi.Size(), xlsxfile.Options{Sheet: opts.Sheet, MaxRecordBytes: opts.MaxRecordBytes, DropColumns: lower})
	}
	return nil, fmt.Errorf("unknown format %q", format)
}

// sniff tells the format from the first bytes, then the extension.
func sniff(path string, r io.Reader) (string, error) {
	head := make([]byte, 4096)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read: %w", err)
	}
	head = head[:n]
	ext := strings.ToLower(filepath.Ext(path))
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return FormatXLSX, nil
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case len(t) == 0:
		return "", errors.New("empty file")
	case bytes.Count(t, []byte{0}) > len(t)/8:
		return "", errors.New("the file holds NUL bytes: UTF-16 or UTF-32 text without a byte-order mark, or not text at all; save it as UTF-8 (or \"Unicode text\", which has one)")
	case ext == ".jsonl" || ext == ".ndjson":
		return FormatJSONL, nil
	case t[0] == '[':
		return FormatJSON, nil
	case t[0] == '{':
		// JSON lines when the first line is a whole value and another follows.
		if i := bytes.IndexByte(t, '\n'); i >= 0 {
			rest := bytes.TrimLeft(t[i+1:], " \t\r\n")
			if json.Valid(bytes.TrimSpace(t[:i])) && len(rest) > 0 && rest[0] == '{' {
				return FormatJSONL, nil
			}
		}
		return FormatJSON, nil
	case ext == ".xlsx":
		return "", errors.New("the .xlsx file is not a zip archive")
	}
	return FormatCSV, nil
}

// fileSource closes the file when the rows end or on Close.
type fileSource struct {
	pipeline.RowSource
	f      *os.File
	closed bool
}

func (s *fileSource) Next() (pipeline.SourceRow, error) {
	row, err := s.RowSource.Next()
	if err != nil {
		_ = s.Close()
	}
	return row, err
}

// Close closes the reader and the file.
func (s *fileSource) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if c, ok := s.RowSource.(io.Closer); ok {
		_ = c.Close()
	}
	return s.f.Close()
}

// mapped applies a mapping to each well-formed row.
type mapped struct {
	src      headered
	m        *Mapping
	identity bool
}

func (s *mapped) Next() (pipeline.SourceRow, error) {
	row, err := s.src.Next()
	if err != nil || row.Err != nil {
		return row, err
	}
	row.Fields = s.m.Apply(row.Fields)
	if s.identity {
		if err := hasIdentity(row.Fields); err != nil {
			row.Err = fmt.Errorf("line %d: %w", row.Line, err)
		}
	}
	return row, nil
}

// hasIdentity checks the minimum identity of providers.md §8.1.
func hasIdentity(f map[string]string) error {
	if f["email"] != "" {
		return nil
	}
	named := f["first_name"] != "" && f["last_name"] != "" || f["full_name"] != ""
	if named && (f["company"] != "" || f["domain"] != "") {
		return nil
	}
	return errors.New("below the minimum identity: no email, and no name with a company or domain")
}

func (s *mapped) BytesRead() int64 { return s.src.BytesRead() }

// Close closes the underlying reader if it holds resources.
func (s *mapped) Close() error {
	if c, ok := s.src.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// dropping removes configured columns from JSON rows.
type dropping struct {
	headered
	drop []string
}

func (d *dropping) Next() (pipeline.SourceRow, error) {
	row, err := d.headered.Next()
	for k := range row.Fields {
		for _, c := range d.drop {
			if strings.EqualFold(k, c) {
				delete(row.Fields, k)
			}
		}
	}
	return row, err
}

// csvSource wraps csvfile.Reader. The header row is read here first so
// that repeated names (Seamless has "First Name" twice) and blank names do
// not make csvfile refuse the file: the first occurrence keeps the name,
// later ones become "name (2)", blanks "column N". csvfile then reads the
// rewritten header and the untouched rest.
type csvSource struct {
	*csvfile.Reader
	header []string // original names, for detection
	delta  int64    // original header length minus rewritten length
}

func (c *csvSource) Header() []string { return c.header }

func (c *csvSource) BytesRead() int64 { return c.Reader.BytesRead() + c.delta }

func newCSV(r io.Reader, opts Options) (*csvSource, error) {
	limit := opts.MaxRecordBytes
	if limit <= 0 {
		limit = 1 << 20
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var raw []byte
	for lines := 0; ; lines++ {
		chunk, err := br.ReadSlice('\n')
		raw = append(raw, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(raw) > limit {
				return nil, fmt.Errorf("line 1: header is larger than %d bytes", limit)
			}
			lines--
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("line 1: read: %w", err)
		}
		if err != nil || bytes.Count(raw, []byte{'"'})%2 == 0 || lines > 20 || len(raw) > limit {
			break
		}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, errors.New("line 1: empty file, expected a header row")
	}
	text := bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	text = bytes.TrimRight(text, "\r\n")
	if !utf8.Valid(text) {
		if dec, err := charmap.Windows1252.NewDecoder().Bytes(text); err == nil {
			text = dec
		}
	}
	delim := opts.Delimiter
	if delim == 0 {
		delim = ','
		best := 0
		for _, d := range []rune{',', ';', '\t', '|'} {
			if c := bytes.Count(text, []byte(string(d))); c > best {
				delim, best = d, c
			}
		}
	}
	cr := csv.NewReader(bytes.NewReader(text))
	cr.Comma = delim
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	names, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("line 1: header: %w", err)
	}
	header := make([]string, len(names))
	fixed := make([]string, len(names))
	seen := make(map[string]int)
	for i, n := range names {
		n = strings.Join(strings.Fields(n), " ")
		header[i] = n
		key := strings.ToLower(n)
		if key == "" {
			key = fmt.Sprintf("column %d", i+1)
		}
		if k := seen[key]; k > 0 {
			seen[key] = k + 1
			key = fmt.Sprintf("%s (%d)", key, k+1)
		} else {
			seen[key] = 1
		}
		fixed[i] = key
	}
	var hb bytes.Buffer
	w := csv.NewWriter(&hb)
	w.Comma = delim
	_ = w.Write(fixed)
	w.Flush()
	hbLen := hb.Len()
	drop := make([]string, len(opts.DropColumns))
	for i, d := range opts.DropColumns {
		drop[i] = strings.ToLower(strings.TrimSpace(d))
	}
	rd, err := csvfile.NewReader(io.MultiReader(&hb, br), csvfile.Options{
		Delimiter: delim, MaxRecordBytes: limit, DropColumns: drop,
	})
	if err != nil {
		return nil, err
	}
	return &csvSource{Reader: rd, header: header, delta: int64(len(raw) - hbLen)}, nil
}
