// Package jsonfile reads provider exports in JSON (an array of records, or
// an API response whose records sit in a named array such as "people",
// "data" or "profiles") and JSON lines, one record at a time in bounded
// memory. Each record is flattened to dotted paths ("organization.name",
// "phone_numbers.0.sanitized_number") so that connectors/providers can map it
// like a CSV row.
//
// Hostile input is bounded: a record larger than MaxRecordBytes or nested
// deeper than MaxDepth, a syntax error, or a record cut short at the end of
// the file comes back as a pipeline.SourceRow with Err set naming the record
// and line, and the reader goes on with the next record where the structure
// allows. Invalid UTF-8 is read as Windows-1252, as connectors/csvfile does.
package jsonfile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/leadstream/leadstream/pipeline"
)

// Format selects how the input is laid out.
type Format int

const (
	// Auto picks Array when the first non-blank byte is '[' or the first
	// value spans several lines, and Lines otherwise.
	Auto Format = iota
	// Array is one JSON value: an array of records, or an object holding
	// one (see Options.RecordKeys).
	Array
	// Lines is JSON lines: one record per line.
	Lines
)

// DefaultRecordKeys are the object keys under which API responses keep
// their records (Apollo "people"/"matches", ZoomInfo and UpLead "data",
// Lusha "results"/"contacts", RocketReach "profiles", Lead411 "AllResults",
// Hunter "emails").
var DefaultRecordKeys = []string{
	"people", "matches", "contacts", "results", "data", "profiles", "AllResults",
	"emails", "records", "items", "organizations",
}

// Options configures a Reader.
type Options struct {
	Format Format
	// MaxRecordBytes bounds one record (default 1 MiB).
	MaxRecordBytes int
	// MaxDepth bounds the nesting of one record (default 32).
	MaxDepth int
	// RecordKeys names the arrays of records inside an enclosing object
	// (default DefaultRecordKeys). Objects are searched up to three levels.
	RecordKeys []string
}

// Reader yields the flattened records of a JSON or JSON lines input.
type Reader struct {
	opts   Options
	br     *bufio.Reader
	read   int64
	line   int // current line of the scanner, 1-based
	index  int // records returned so far
	lines  bool
	inArr  bool // positioned inside the records array
	done   bool
	peeked *pipeline.SourceRow
	header []string
	// envelope holds the fields that share a nested object with the records
	// array (Hunter's data.organization beside data.emails); they describe
	// every record and are added to each under their full path.
	envelope map[string]string
	envSize  int
}

// NewReader sniffs the layout of r and returns a reader positioned at its
// first record. An input that holds no records array is an error.
func NewReader(r io.Reader, opts Options) (*Reader, error) {
	if opts.MaxRecordBytes <= 0 {
		opts.MaxRecordBytes = 1 << 20
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = 32
	}
	if opts.RecordKeys == nil {
		opts.RecordKeys = DefaultRecordKeys
	}
	rd := &Reader{opts: opts, br: bufio.NewReaderSize(r, 64<<10), line: 1}
	if b, err := rd.br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = rd.br.Discard(3)
		rd.read += 3
	}
	c, err := rd.skipSpace()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("line 1: empty file, expected JSON")
		}
		return nil, err
	}
	switch opts.Format {
	case Lines:
		rd.lines = true
	case Array:
	default:
		rd.lines = c == '{' && rd.firstLineIsValue()
	}
	if !rd.lines {
		if err := rd.findArray(0, ""); err != nil {
			return nil, err
		}
	}
	// Read ahead to the first well-formed record so Header can be offered.
	for {
		row, err := rd.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
		if rd.peeked == nil {
			cp := row
			rd.peeked = &cp
		}
		if row.Err == nil {
			rd.header = sortedKeys(row.Fields)
			break
		}
		// A malformed first record is kept and returned in order; look no
		// further for a header.
		break
	}
	return rd, nil
}

// Header returns the flattened field names of the first record when it is
// well formed (nil otherwise), for provider detection.
func (r *Reader) Header() []string { return r.header }

// BytesRead is how far into the input the reader is.
func (r *Reader) BytesRead() int64 { return r.read }

// Next returns the next record, or io.EOF. A malformed record comes back
// with Err set; Line is the line number for JSON lines and the 1-based
// record index for an array (so it is unique even in one-line files), and
// the error names both.
func (r *Reader) Next() (pipeline.SourceRow, error) {
	if r.peeked != nil {
		row := *r.peeked
		r.peeked = nil
		return row, nil
	}
	return r.next()
}

func (r *Reader) next() (pipeline.SourceRow, error) {
	if r.done {
		return pipeline.SourceRow{}, io.EOF
	}
	if r.lines {
		return r.nextLine()
	}
	return r.nextElement()
}

// nextLine reads one JSON lines record.
func (r *Reader) nextLine() (pipeline.SourceRow, error) {
	for {
		start := r.line
		text, tooLong, err := r.physical()
		if err != nil {
			return pipeline.SourceRow{}, err
		}
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		r.index++
		row := pipeline.SourceRow{Line: start, Raw: text}
		if tooLong {
			row.Err = fmt.Errorf("line %d: record is larger than %d bytes", start, r.opts.MaxRecordBytes)
			row.Raw = text[:min(len(text), 1024)]
			return row, nil
		}
		fields, ferr := Flatten(fixUTF8(text), r.opts.MaxDepth)
		if ferr != nil {
			row.Err = fmt.Errorf("line %d: %w", start, ferr)
			return row, nil
		}
		row.Fields = fields
		return row, nil
	}
}

// physical reads one line without its ending; a line longer than
// MaxRecordBytes is cut there and the rest skipped.
func (r *Reader) physical() ([]byte, bool, error) {
	var buf []byte
	long := false
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.read += int64(len(chunk))
		if len(buf)+len(chunk) <= r.opts.MaxRecordBytes+2 {
			buf = append(buf, chunk...)
		} else {
			long = true
			if room := r.opts.MaxRecordBytes - len(buf); room > 0 {
				buf = append(buf, chunk[:room]...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			r.done = true
			if len(buf) == 0 && !long {
				return nil, false, io.EOF
			}
			break
		}
		if err != nil {
			return nil, false, fmt.Errorf("line %d: read: %w", r.line, err)
		}
		break
	}
	r.line++
	buf = bytes.TrimSuffix(bytes.TrimSuffix(buf, []byte("\n")), []byte("\r"))
	return buf, long, nil
}

// nextElement reads one element of the records array.
func (r *Reader) nextElement() (pipeline.SourceRow, error) {
	c, err := r.skipSpace()
	if errors.Is(err, io.EOF) {
		r.done = true
		if r.inArr {
			r.index++
			return pipeline.SourceRow{Line: r.index, Err: fmt.Errorf("record %d (line %d): the input ends before the array is closed", r.index, r.line)}, nil
		}
		return pipeline.SourceRow{}, io.EOF
	}
	if err != nil {
		return pipeline.SourceRow{}, err
	}
	switch c {
	case ']':
		r.consume()
		r.done = true
		return pipeline.SourceRow{}, io.EOF
	case ',':
		r.consume()
		if c, err = r.skipSpace(); err != nil {
			return r.nextElement()
		}
		if c == ']' {
			return r.nextElement()
		}
	}
	r.index++
	startLine := r.line
	val, big, deep, verr := r.scanValue()
	row := pipeline.SourceRow{Line: r.index, Raw: val}
	where := fmt.Sprintf("record %d (line %d)", r.index, startLine)
	switch {
	case verr != nil:
		row.Err = fmt.Errorf("%s: %w", where, verr)
		row.Raw = val[:min(len(val), 1024)]
		if errors.Is(verr, errTruncated) {
			r.done = true
		}
	case big:
		row.Err = fmt.Errorf("%s: record is larger than %d bytes", where, r.opts.MaxRecordBytes)
		row.Raw = val[:min(len(val), 1024)]
	case deep:
		row.Err = fmt.Errorf("%s: record is nested deeper than %d levels", where, r.opts.MaxDepth)
		row.Raw = val[:min(len(val), 1024)]
	default:
		fields, ferr := Flatten(fixUTF8(val), r.opts.MaxDepth)
		if ferr != nil {
			row.Err = fmt.Errorf("%s: %w", where, ferr)
		} else {
			row.Fields = r.withEnvelope(fields)
		}
	}
	return row, nil
}

var errTruncated = errors.New("the input ends inside the record (truncated JSON)")

// scanValue reads one JSON value as bytes, keeping at most MaxRecordBytes
// of it, tracking strings and brackets so a value that is too big or too
// deep is skipped to its end without being held. A closing bracket that
// does not match ends the value early; Flatten then reports it.
func (r *Reader) scanValue() (val []byte, big, deep bool, err error) {
	var stack []byte // expected closers, at most MaxDepth+1 deep
	var mismatch error
	depth := 0
	inStr, esc := false, false
	first := true
	for {
		c, rerr := r.br.ReadByte()
		if rerr != nil {
			if errors.Is(rerr, io.EOF) {
				if depth == 0 && !inStr && !first {
					return val, big, deep, nil // a bare scalar at the end
				}
				return val, big, deep, errTruncated
			}
			return val, big, deep, fmt.Errorf("read: %w", rerr)
		}
		if !inStr && depth == 0 && !first {
			// A scalar element ends at a separator.
			if c == ',' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t' {
				_ = r.br.UnreadByte()
				return val, big, deep, nil
			}
		}
		r.read++
		if c == '\n' {
			r.line++
		}
		if len(val) < r.opts.MaxRecordBytes {
			val = append(val, c)
		} else {
			big = true
		}
		first = false
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
				if depth == 0 {
					return val, big, deep, nil
				}
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
			if depth > r.opts.MaxDepth {
				deep = true
			} else {
				closer := byte('}')
				if c == '[' {
					closer = ']'
				}
				stack = append(stack, closer)
			}
		case '}', ']':
			if depth == 0 {
				return val, big, deep, fmt.Errorf("unexpected %q", c)
			}
			if depth <= r.opts.MaxDepth {
				if stack[len(stack)-1] != c && mismatch == nil {
					// Read on as if it matched, so the record ends where
					// its brackets balance and the next one is intact.
					mismatch = fmt.Errorf("%q closes a %q", c, opener(stack[len(stack)-1]))
				}
				stack = stack[:len(stack)-1]
			}
			depth--
			if depth == 0 {
				return val, big, deep, mismatch
			}
		}
	}
}

func opener(closer byte) byte {
	if closer == '}' {
		return '{'
	}
	return '['
}

// findArray positions the reader inside the records array: the top-level
// array, or the first array under one of RecordKeys in nested objects.
func (r *Reader) findArray(level int, path string) error {
	c, err := r.skipSpace()
	if err != nil {
		return fmt.Errorf("line %d: looking for the records array: %w", r.line, err)
	}
	switch c {
	case '[':
		r.consume()
		r.inArr = true
		return nil
	case '{':
		if level > 3 {
			return fmt.Errorf("line %d: no records array within 3 levels", r.line)
		}
		r.consume()
	default:
		return fmt.Errorf("line %d: expected a JSON array or object, found %q", r.line, c)
	}
	for {
		c, err := r.skipSpace()
		if err != nil {
			return fmt.Errorf("line %d: looking for the records array: %w", r.line, err)
		}
		switch c {
		case ',':
			r.consume()
			continue
		case '}':
			return fmt.Errorf("line %d: no array of records under any of the keys %s (for single records use JSON lines)", r.line, strings.Join(r.opts.RecordKeys, ", "))
		case '"':
		default:
			return fmt.Errorf("line %d: expected an object key, found %q", r.line, c)
		}
		keyb, big, _, err := r.scanValue()
		if err != nil || big {
			return fmt.Errorf("line %d: bad object key", r.line)
		}
		var key string
		if err := json.Unmarshal(keyb, &key); err != nil {
			return fmt.Errorf("line %d: bad object key: %w", r.line, err)
		}
		if c, err = r.skipSpace(); err != nil || c != ':' {
			return fmt.Errorf("line %d: expected ':' after key %q", r.line, key)
		}
		r.consume()
		if c, err = r.skipSpace(); err != nil {
			return fmt.Errorf("line %d: value of %q: %w", r.line, key, err)
		}
		known := false
		for _, k := range r.opts.RecordKeys {
			known = known || k == key
		}
		if known && (c == '[' || c == '{') {
			if c == '[' {
				r.consume()
				r.inArr = true
				return nil
			}
			return r.findArray(level+1, join(path, key))
		}
		// Skip the value; below the top level keep it as envelope data.
		val, big, deep, err := r.scanValue()
		if err != nil {
			return fmt.Errorf("line %d: value of %q: %w", r.line, key, err)
		}
		if level > 0 && !big && !deep {
			r.capture(join(path, key), val)
		}
	}
}

// capture flattens one envelope value under its path, within
// MaxRecordBytes in all.
func (r *Reader) capture(path string, val []byte) {
	if r.envSize+len(val) > r.opts.MaxRecordBytes {
		return
	}
	wrapped := append(append([]byte(`{"v":`), fixUTF8(val)...), '}')
	f, err := Flatten(wrapped, r.opts.MaxDepth)
	if err != nil {
		return
	}
	if r.envelope == nil {
		r.envelope = make(map[string]string)
	}
	r.envSize += len(val)
	for k, v := range f {
		r.envelope[path+strings.TrimPrefix(k, "v")] = v
	}
}

// withEnvelope adds the envelope fields a record does not have itself.
func (r *Reader) withEnvelope(fields map[string]string) map[string]string {
	for k, v := range r.envelope {
		if _, ok := fields[k]; !ok {
			fields[k] = v
		}
	}
	return fields
}

// skipSpace peeks at the next non-blank byte.
func (r *Reader) skipSpace() (byte, error) {
	for {
		b, err := r.br.Peek(1)
		if err != nil {
			return 0, err
		}
		switch b[0] {
		case ' ', '\t', '\r':
		case '\n':
			r.line++
		default:
			return b[0], nil
		}
		_, _ = r.br.Discard(1)
		r.read++
	}
}

func (r *Reader) consume() {
	_, _ = r.br.Discard(1)
	r.read++
}

// firstLineIsValue reports whether the first line (looked at without
// consuming it) is a complete JSON value followed by another line that
// starts a value, as in JSON lines.
func (r *Reader) firstLineIsValue() bool {
	b, _ := r.br.Peek(r.br.Size())
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return false // one line, or longer than the buffer: one document
	}
	rest := bytes.TrimLeft(b[i+1:], " \t\r\n")
	return json.Valid(bytes.TrimSpace(b[:i])) && len(rest) > 0 && rest[0] == '{'
}

// fixUTF8 reads bytes that are not valid UTF-8 as Windows-1252.
func fixUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	if dec, err := charmap.Windows1252.NewDecoder().Bytes(b); err == nil {
		return dec
	}
	return b
}

// Flatten decodes one JSON object token by token into dotted paths: nested
// object keys joined with ".", array elements by index ("phones.0.number").
// Strings are trimmed, numbers kept as written, booleans as "true"/"false";
// nulls and empty strings are left out. A value that is not an object, a
// syntax error, trailing data or nesting deeper than maxDepth is an error.
func Flatten(b []byte, maxDepth int) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("record is %s, not an object", describe(tok))
	}
	out := make(map[string]string)
	// Field paths repeat their prefixes, so a record can flatten to far more
	// than its own size ({"<long key>": [1, 1, 1, …]}); every leaf is charged
	// its path and value against a budget proportional to the record.
	budget := flattenBudget(len(b))
	if err := walkObject(dec, "", 1, maxDepth, &walker{out: out, budget: budget}); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid JSON: data after the record")
	}
	return out, nil
}

// MaxFieldPath bounds the length of one flattened field path.
const MaxFieldPath = 4 << 10

// flattenBudget is how many bytes of paths and values a record of n bytes
// may flatten to.
func flattenBudget(n int) int { return 16*n + 64<<10 }

// walker collects flattened fields within a byte budget.
type walker struct {
	out    map[string]string
	budget int
}

func (w *walker) charge(path string, n int) error {
	w.budget -= len(path) + n
	if w.budget < 0 {
		return errors.New("record flattens to too many field names and values")
	}
	return nil
}

func walkObject(dec *json.Decoder, prefix string, depth, maxDepth int, w *walker) error {
	for {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("invalid JSON in %s: %w", orRoot(prefix), err)
		}
		if d, ok := tok.(json.Delim); ok && d == '}' {
			return nil
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("invalid JSON in %s: key is %s", orRoot(prefix), describe(tok))
		}
		if len(prefix)+len(key) >= MaxFieldPath {
			return fmt.Errorf("a field name in %s is longer than %d bytes", orRoot(truncPath(prefix)), MaxFieldPath)
		}
		if err := walkValue(dec, join(prefix, key), depth, maxDepth, w); err != nil {
			return err
		}
	}
}

func walkValue(dec *json.Decoder, path string, depth, maxDepth int, w *walker) error {
	out := w.out
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("invalid JSON at %s: %w", truncPath(path), err)
	}
	if _, nested := tok.(json.Delim); !nested {
		n := 0
		if v, ok := tok.(string); ok {
			n = len(v)
		}
		if err := w.charge(path, n); err != nil {
			return err
		}
	}
	switch v := tok.(type) {
	case json.Delim:
		if depth+1 > maxDepth {
			return fmt.Errorf("field %s is nested deeper than %d levels", path, maxDepth)
		}
		if v == '{' {
			return walkObject(dec, path, depth+1, maxDepth, w)
		}
		for i := 0; ; i++ {
			if !dec.More() {
				if _, err := dec.Token(); err != nil {
					return fmt.Errorf("invalid JSON at %s: %w", path, err)
				}
				return nil
			}
			if err := walkValue(dec, path+"."+strconv.Itoa(i), depth+1, maxDepth, w); err != nil {
				return err
			}
		}
	case string:
		if s := strings.TrimSpace(v); s != "" {
			if _, dup := out[path]; !dup {
				out[path] = s
			}
		}
	case json.Number:
		out[path] = v.String()
	case bool:
		out[path] = strconv.FormatBool(v)
	case nil:
	}
	return nil
}

// truncPath shortens a field path for a message.
func truncPath(p string) string {
	if len(p) > 80 {
		return strings.ToValidUTF8(p[:80], "") + "…"
	}
	return p
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func orRoot(p string) string {
	if p == "" {
		return "the record"
	}
	return p
}

func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
		return fmt.Sprintf("%q", string(v))
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "unknown"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
