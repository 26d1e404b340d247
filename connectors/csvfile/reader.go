// Package csvfile reads delimited export files row by row in bounded
// memory: a byte-order mark is dropped, the delimiter is detected from the
// header, Windows-1252 lines are transcoded to UTF-8, quoted fields may
// span lines, and a malformed row is reported with its line number and
// original bytes without stopping the file.
package csvfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/leadstream/leadstream/pipeline"
)

// Options configures a Reader.
type Options struct {
	// Delimiter separates fields; 0 detects it from the header among
	// comma, semicolon, tab and pipe.
	Delimiter rune
	// MaxRecordBytes bounds one record, quoted line breaks included
	// (default 1 MiB). A longer record is reported as malformed.
	MaxRecordBytes int
	// MaxLinesPerRecord bounds how many physical lines one quoted record may
	// span before its opening line is reported as malformed (default 100).
	MaxLinesPerRecord int
	// DropColumns are header names whose values never enter the pipeline
	// (e.g. the datasets' entity_id ground truth).
	DropColumns []string
}

// Reader yields the rows of a delimited file.
type Reader struct {
	opts    Options
	br      *bufio.Reader
	header  []string
	drop    []bool
	read    int64
	line    int        // physical lines consumed from br
	pending []physLine // lines read ahead and not yet used
	eof     bool
}

type physLine struct {
	n    int
	text []byte
}

// NewReader reads the header row of r and returns a reader of its rows.
func NewReader(r io.Reader, opts Options) (*Reader, error) {
	if opts.MaxRecordBytes <= 0 {
		opts.MaxRecordBytes = 1 << 20
	}
	if opts.MaxLinesPerRecord <= 0 {
		opts.MaxLinesPerRecord = 100
	}
	rd := &Reader{opts: opts, br: bufio.NewReaderSize(r, 64<<10)}
	first, err := rd.physical()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("line 1: empty file, expected a header row")
		}
		return nil, fmt.Errorf("line 1: %w", err)
	}
	text := bytes.TrimPrefix(first.text, []byte("\xef\xbb\xbf"))
	if rd.opts.Delimiter == 0 {
		rd.opts.Delimiter = detectDelimiter(text)
	}
	fields, err := rd.parse(text, 0)
	if err != nil {
		return nil, fmt.Errorf("line 1: header: %w", err)
	}
	seen := make(map[string]int, len(fields))
	for i, f := range fields {
		name := strings.ToLower(strings.TrimSpace(f))
		if name == "" {
			return nil, fmt.Errorf("line 1: header: column %d has no name", i+1)
		}
		// Positions, not names: in a file without a header row the names
		// are a person's data.
		if j, dup := seen[name]; dup {
			return nil, fmt.Errorf("line 1: header: columns %d and %d have the same name", j, i+1)
		}
		seen[name] = i + 1
		rd.header = append(rd.header, name)
		dropped := false
		for _, d := range opts.DropColumns {
			dropped = dropped || d == name
		}
		rd.drop = append(rd.drop, dropped)
	}
	return rd, nil
}

// Header returns the lower-cased column names.
func (r *Reader) Header() []string { return r.header }

// BytesRead is how far into the input the reader is.
func (r *Reader) BytesRead() int64 { return r.read }

// Next returns the next row, or io.EOF. A malformed row comes back with
// Err set and the reader positioned to go on.
func (r *Reader) Next() (pipeline.SourceRow, error) {
	for {
		first, err := r.take()
		if err != nil {
			return pipeline.SourceRow{}, err
		}
		if len(bytes.TrimSpace(first.text)) == 0 {
			continue // blank lines carry no record
		}
		rec := first.text
		used := []physLine{first}
		for quotesOpen(rec) && len(used) < r.opts.MaxLinesPerRecord && len(rec) <= r.opts.MaxRecordBytes {
			next, err := r.take()
			if err != nil {
				break
			}
			used = append(used, next)
			rec = append(append(append([]byte{}, rec...), '\n'), next.text...)
		}
		row := pipeline.SourceRow{Line: first.n, Raw: rec}
		switch {
		case len(rec) > r.opts.MaxRecordBytes:
			row.Err = fmt.Errorf("record is larger than %d bytes", r.opts.MaxRecordBytes)
			row.Raw = first.text[:min(len(first.text), 1024)]
			r.unread(used[1:])
			return row, nil
		case quotesOpen(rec):
			row.Err = errors.New("a quoted field is never closed")
			row.Raw = first.text
			r.unread(used[1:])
			return row, nil
		}
		fields, perr := r.parse(rec, len(r.header))
		if perr != nil {
			if len(used) > 1 {
				// The join swallowed other rows; blame the first line only
				// and read the rest again on their own.
				row.Raw = first.text
				r.unread(used[1:])
			}
			row.Err = perr
			return row, nil
		}
		row.Fields = make(map[string]string, len(fields))
		for i, v := range fields {
			if r.drop[i] {
				continue
			}
			if v = clean(v); v != "" {
				row.Fields[r.header[i]] = v
			}
		}
		return row, nil
	}
}

// parse splits one logical record; want > 0 enforces the field count.
func (r *Reader) parse(rec []byte, want int) ([]string, error) {
	cr := csv.NewReader(bytes.NewReader(rec))
	cr.Comma = r.opts.Delimiter
	cr.FieldsPerRecord = want
	fields, err := cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				return nil, fmt.Errorf("has %d fields, the header has %d", len(fields), want)
			}
			return nil, fmt.Errorf("column %d: %v", pe.Column, pe.Err)
		}
		return nil, err
	}
	return fields, nil
}

// take returns the next physical line, from the read-ahead first.
func (r *Reader) take() (physLine, error) {
	if n := len(r.pending); n > 0 {
		l := r.pending[0]
		r.pending = r.pending[1:]
		return l, nil
	}
	return r.physical()
}

func (r *Reader) unread(ls []physLine) {
	if len(ls) > 0 {
		r.pending = append(append([]physLine{}, ls...), r.pending...)
	}
}

// physical reads one line from the input, without its line ending,
// transcoding Windows-1252 to UTF-8 when it is not valid UTF-8. A line
// longer than MaxRecordBytes is cut there and the rest skipped.
func (r *Reader) physical() (physLine, error) {
	if r.eof {
		return physLine{}, io.EOF
	}
	var buf []byte
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.read += int64(len(chunk))
		if len(buf) <= r.opts.MaxRecordBytes {
			buf = append(buf, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			r.eof = true
			if len(buf) == 0 {
				return physLine{}, io.EOF
			}
			break
		}
		if err != nil {
			return physLine{}, fmt.Errorf("line %d: read: %w", r.line+1, err)
		}
		break
	}
	r.line++
	buf = bytes.TrimSuffix(bytes.TrimSuffix(buf, []byte("\n")), []byte("\r"))
	if !utf8.Valid(buf) {
		if dec, err := charmap.Windows1252.NewDecoder().Bytes(buf); err == nil {
			buf = dec
		}
	}
	return physLine{n: r.line, text: buf}, nil
}

// quotesOpen reports whether rec ends inside a quoted field.
func quotesOpen(rec []byte) bool { return bytes.Count(rec, []byte{'"'})%2 == 1 }

// detectDelimiter picks the candidate that occurs most in the header.
func detectDelimiter(header []byte) rune {
	best, n := ',', 0
	for _, d := range []rune{',', ';', '\t', '|'} {
		if c := bytes.Count(header, []byte(string(d))); c > n {
			best, n = d, c
		}
	}
	return best
}

// clean trims a value, folds runs of white space into one space and drops
// control characters.
func clean(v string) string {
	var b strings.Builder
	space := false
	for _, c := range v {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\u00a0':
			space = true
		case c < 0x20 || c == 0x7f || c == utf8.RuneError:
			// control characters and undecodable bytes carry no meaning
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(c)
		}
	}
	return b.String()
}
