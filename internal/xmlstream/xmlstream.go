// Package xmlstream is a streaming XML tokenizer whose memory is bounded
// by its options whatever the document holds. encoding/xml returns a text
// run, a comment or an attribute value whole, so one 1 GiB text node costs
// 1 GiB; here character data comes in chunks of at most Options.MaxChunk
// bytes, comments and processing instructions are skipped as they stream
// past, and names, attribute values, attribute counts and nesting depth are
// capped. It reads the subset of XML that office documents use: elements,
// attributes, character data with the predefined and numeric entity
// references, CDATA sections, comments and processing instructions. A
// document type declaration is refused (no entity expansion). Names are
// reported by their local part (the namespace prefix dropped).
package xmlstream

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// Kind tells what a Token is.
type Kind uint8

// Token kinds.
const (
	StartElement Kind = iota + 1
	EndElement
	CharData
)

// Attr is one attribute, by local name.
type Attr struct {
	Name, Value string
}

// Token is one piece of the document. Data (CharData) is only valid until
// the next call to Token.
type Token struct {
	Kind  Kind
	Name  string // element local name (StartElement, EndElement)
	Attrs []Attr // StartElement
	Data  []byte // CharData: at most MaxChunk bytes of decoded text
}

// Attr returns the value of the attribute with the given local name.
func (t Token) Attr(name string) string {
	for _, a := range t.Attrs {
		if a.Name == name {
			return a.Value
		}
	}
	return ""
}

// Options bounds a Decoder. Zero fields take the defaults.
type Options struct {
	// MaxChunk bounds one CharData token (default 32 KiB); a longer text
	// run comes as several tokens.
	MaxChunk int
	// MaxName bounds an element or attribute name (default 256 bytes).
	MaxName int
	// MaxAttrValue bounds one attribute value (default 64 KiB).
	MaxAttrValue int
	// MaxAttrs bounds the attributes of one element (default 64).
	MaxAttrs int
	// MaxDepth bounds element nesting (default 256).
	MaxDepth int
}

// SyntaxError is a malformed or over-limit document, at a byte offset.
type SyntaxError struct {
	Offset int64
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("XML syntax error at byte %d: %s", e.Offset, e.Msg)
}

// Decoder reads tokens from a stream.
type Decoder struct {
	opts       Options
	br         *bufio.Reader
	off        int64
	stack      []string
	pendingEnd string
	hasPending bool
	inCDATA    bool
	text       []byte
	attrs      []Attr
	err        error
}

// NewDecoder returns a decoder reading r.
func NewDecoder(r io.Reader, opts Options) *Decoder {
	if opts.MaxChunk <= 0 {
		opts.MaxChunk = 32 << 10
	}
	if opts.MaxName <= 0 {
		opts.MaxName = 256
	}
	if opts.MaxAttrValue <= 0 {
		opts.MaxAttrValue = 64 << 10
	}
	if opts.MaxAttrs <= 0 {
		opts.MaxAttrs = 64
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = 256
	}
	return &Decoder{opts: opts, br: bufio.NewReaderSize(r, 32<<10)}
}

// InputOffset is the number of bytes consumed.
func (d *Decoder) InputOffset() int64 { return d.off }

// Depth is the number of elements open.
func (d *Decoder) Depth() int { return len(d.stack) }

// Token returns the next token, io.EOF at the end of a well-formed
// document, or a *SyntaxError (after which every call returns it again).
func (d *Decoder) Token() (Token, error) {
	if d.err != nil {
		return Token{}, d.err
	}
	t, err := d.token()
	if err != nil {
		if !errors.Is(err, io.EOF) || len(d.stack) > 0 || d.inCDATA {
			var se *SyntaxError
			if errors.Is(err, io.EOF) {
				err = d.syntax("unexpected end of document")
			} else if !errors.As(err, &se) {
				err = fmt.Errorf("xml read at byte %d: %w", d.off, err)
			}
		}
		d.err = err
		return Token{}, err
	}
	return t, nil
}

func (d *Decoder) syntax(format string, args ...any) error {
	return &SyntaxError{Offset: d.off, Msg: fmt.Sprintf(format, args...)}
}

func (d *Decoder) readByte() (byte, error) {
	c, err := d.br.ReadByte()
	if err == nil {
		d.off++
	}
	return c, err
}

func (d *Decoder) unread() {
	_ = d.br.UnreadByte()
	d.off--
}

func (d *Decoder) token() (Token, error) {
	if d.hasPending {
		d.hasPending = false
		return Token{Kind: EndElement, Name: d.pendingEnd}, nil
	}
	if d.inCDATA {
		return d.cdata()
	}
	if d.off == 0 {
		if _, err := d.expect("\xef\xbb\xbf"); err != nil {
			return Token{}, err
		}
	}
	for {
		c, err := d.readByte()
		if err != nil {
			return Token{}, err
		}
		if c != '<' {
			d.unread()
			return d.chardata()
		}
		c, err = d.readByte()
		if err != nil {
			return Token{}, err
		}
		switch c {
		case '/':
			return d.endTag()
		case '?':
			if err := d.skipUntil("?>"); err != nil {
				return Token{}, err
			}
		case '!':
			ok, err := d.expect("--")
			if err != nil {
				return Token{}, err
			}
			if ok {
				if err := d.skipUntil("-->"); err != nil {
					return Token{}, err
				}
				continue
			}
			if ok, err = d.expect("[CDATA["); err != nil {
				return Token{}, err
			}
			if ok {
				if len(d.stack) == 0 {
					return Token{}, d.syntax("CDATA outside the root element")
				}
				d.inCDATA = true
				return d.cdata()
			}
			return Token{}, d.syntax("document type declarations are not supported")
		default:
			d.unread()
			return d.startTag()
		}
	}
}

// expect consumes lit if the input continues with it.
func (d *Decoder) expect(lit string) (bool, error) {
	b, err := d.br.Peek(len(lit))
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return false, err
	}
	if string(b) != lit {
		return false, nil
	}
	_, _ = d.br.Discard(len(lit))
	d.off += int64(len(lit))
	return true, nil
}

// skipUntil discards input up to and including end.
func (d *Decoder) skipUntil(end string) error {
	matched := 0
	for matched < len(end) {
		c, err := d.readByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return d.syntax("unexpected end of document in a comment or instruction")
			}
			return err
		}
		switch {
		case c == end[matched]:
			matched++
		case c == end[0]:
			matched = 1
		default:
			matched = 0
		}
	}
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (d *Decoder) skipSpace() (byte, error) {
	for {
		c, err := d.readByte()
		if err != nil || !isSpace(c) {
			return c, err
		}
	}
}

// name reads a name and returns its local part.
func (d *Decoder) name() (string, error) {
	var b [64]byte
	buf := b[:0]
	local := 0
	for {
		c, err := d.readByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", d.syntax("unexpected end of document in a name")
			}
			return "", err
		}
		if isSpace(c) || c == '/' || c == '>' || c == '=' || c == '<' || c == '"' || c == '\'' {
			d.unread()
			break
		}
		if len(buf) >= d.opts.MaxName {
			return "", d.syntax("a name is longer than %d bytes", d.opts.MaxName)
		}
		if c == ':' {
			local = len(buf) + 1
		}
		buf = append(buf, c)
	}
	if len(buf) == 0 || local == len(buf) {
		return "", d.syntax("expected a name")
	}
	return string(buf[local:]), nil
}

func (d *Decoder) startTag() (Token, error) {
	name, err := d.name()
	if err != nil {
		return Token{}, err
	}
	d.attrs = d.attrs[:0]
	for {
		c, err := d.skipSpace()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return Token{}, d.syntax("unexpected end of document in <%s>", name)
			}
			return Token{}, err
		}
		switch c {
		case '>', '/':
			if c == '/' {
				if c, err = d.readByte(); err != nil || c != '>' {
					return Token{}, d.syntax("expected /> in <%s>", name)
				}
				d.pendingEnd, d.hasPending = name, true
			} else {
				if len(d.stack) >= d.opts.MaxDepth {
					return Token{}, d.syntax("elements nested deeper than %d", d.opts.MaxDepth)
				}
				d.stack = append(d.stack, name)
			}
			attrs := make([]Attr, len(d.attrs))
			copy(attrs, d.attrs)
			return Token{Kind: StartElement, Name: name, Attrs: attrs}, nil
		}
		d.unread()
		an, err := d.name()
		if err != nil {
			return Token{}, err
		}
		if c, err = d.skipSpace(); err != nil || c != '=' {
			return Token{}, d.syntax("attribute %s in <%s> has no value", an, name)
		}
		q, err := d.skipSpace()
		if err != nil || (q != '"' && q != '\'') {
			return Token{}, d.syntax("attribute %s in <%s> is not quoted", an, name)
		}
		val, err := d.attrValue(q)
		if err != nil {
			return Token{}, err
		}
		if len(d.attrs) >= d.opts.MaxAttrs {
			return Token{}, d.syntax("<%s> has more than %d attributes", name, d.opts.MaxAttrs)
		}
		d.attrs = append(d.attrs, Attr{Name: an, Value: val})
	}
}

func (d *Decoder) attrValue(q byte) (string, error) {
	d.text = d.text[:0]
	for {
		c, err := d.readByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", d.syntax("unexpected end of document in an attribute value")
			}
			return "", err
		}
		switch c {
		case q:
			return string(d.text), nil
		case '<':
			return "", d.syntax("< in an attribute value")
		case '&':
			if err := d.entity(); err != nil {
				return "", err
			}
		default:
			d.text = append(d.text, c)
		}
		if len(d.text) > d.opts.MaxAttrValue {
			return "", d.syntax("an attribute value is longer than %d bytes", d.opts.MaxAttrValue)
		}
	}
}

func (d *Decoder) endTag() (Token, error) {
	name, err := d.name()
	if err != nil {
		return Token{}, err
	}
	if c, err := d.skipSpace(); err != nil || c != '>' {
		return Token{}, d.syntax("expected > after </%s", name)
	}
	if n := len(d.stack); n == 0 || d.stack[n-1] != name {
		return Token{}, d.syntax("</%s> does not close the open element", name)
	}
	d.stack = d.stack[:len(d.stack)-1]
	return Token{Kind: EndElement, Name: name}, nil
}

// chardata reads text up to the next markup or MaxChunk bytes.
func (d *Decoder) chardata() (Token, error) {
	d.text = d.text[:0]
	for len(d.text) < d.opts.MaxChunk {
		c, err := d.readByte()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Token{}, err
		}
		if c == '<' {
			d.unread()
			break
		}
		if c == '&' {
			if err := d.entity(); err != nil {
				return Token{}, err
			}
			continue
		}
		d.text = append(d.text, c)
	}
	if len(d.stack) == 0 {
		for _, c := range d.text {
			if !isSpace(c) {
				return Token{}, d.syntax("text outside the root element")
			}
		}
	}
	if len(d.text) == 0 {
		return Token{}, io.EOF
	}
	return Token{Kind: CharData, Data: d.text}, nil
}

// cdata reads a CDATA section's text up to "]]>" or MaxChunk bytes.
func (d *Decoder) cdata() (Token, error) {
	d.text = d.text[:0]
	for len(d.text) < d.opts.MaxChunk {
		c, err := d.readByte()
		if err != nil {
			return Token{}, err
		}
		if c == ']' {
			if ok, err := d.expect("]>"); err != nil {
				return Token{}, err
			} else if ok {
				d.inCDATA = false
				break
			}
		}
		d.text = append(d.text, c)
	}
	if len(d.text) == 0 {
		return d.token() // an empty section
	}
	return Token{Kind: CharData, Data: d.text}, nil
}

// entity reads a reference after '&' and appends its text.
func (d *Decoder) entity() error {
	var b [12]byte
	ref := b[:0]
	for {
		c, err := d.readByte()
		if err != nil {
			return d.syntax("unterminated entity reference")
		}
		if c == ';' {
			break
		}
		if len(ref) == len(b) {
			return d.syntax("invalid entity reference")
		}
		ref = append(ref, c)
	}
	switch string(ref) {
	case "lt":
		d.text = append(d.text, '<')
	case "gt":
		d.text = append(d.text, '>')
	case "amp":
		d.text = append(d.text, '&')
	case "quot":
		d.text = append(d.text, '"')
	case "apos":
		d.text = append(d.text, '\'')
	default:
		if len(ref) < 2 || ref[0] != '#' {
			return d.syntax("unknown entity &%s;", sanitize(ref))
		}
		var n uint64
		var err error
		if ref[1] == 'x' {
			n, err = strconv.ParseUint(string(ref[2:]), 16, 32)
		} else {
			n, err = strconv.ParseUint(string(ref[1:]), 10, 32)
		}
		if err != nil || !utf8.ValidRune(rune(n)) || n == 0 {
			return d.syntax("invalid character reference")
		}
		d.text = utf8.AppendRune(d.text, rune(n))
	}
	return nil
}

// sanitize keeps printable ASCII of a short reference for a message.
func sanitize(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c >= 0x21 && c < 0x7f {
			out = append(out, c)
		} else {
			out = append(out, '?')
		}
	}
	return string(out)
}
