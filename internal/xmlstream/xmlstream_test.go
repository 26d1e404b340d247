package xmlstream

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

// render spells a token stream compactly: <a k=v>, text, </a>.
func render(t *testing.T, doc string, opts Options) (string, error) {
	t.Helper()
	d := NewDecoder(strings.NewReader(doc), opts)
	var b strings.Builder
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return b.String(), nil
		}
		if err != nil {
			return b.String(), err
		}
		switch tok.Kind {
		case StartElement:
			b.WriteString("<" + tok.Name)
			for _, a := range tok.Attrs {
				b.WriteString(" " + a.Name + "=" + a.Value)
			}
			b.WriteString(">")
		case EndElement:
			b.WriteString("</" + tok.Name + ">")
		case CharData:
			b.WriteString("[" + string(tok.Data) + "]")
		}
	}
}

func TestDecoder(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		opts      Options
		want      string
		err       string
	}{
		{name: "elements and attributes", doc: `<?xml version="1.0"?><a x="1" y='2'><b/>hi</a>`, want: `<a x=1 y=2><b></b>[hi]</a>`},
		{name: "prefixes dropped", doc: `<x:a r:id="7" xmlns:x="u"><x:b/></x:a>`, want: `<a id=7 x=u><b></b></a>`},
		{name: "entities", doc: `<a t="&lt;&amp;&#65;&#x42;">&gt;&quot;&apos;&#233;</a>`, want: `<a t=<&AB>[>"'é]</a>`},
		{name: "cdata and comment", doc: `<a><!-- c > -- --><![CDATA[<x>]]]></a>`, want: `<a>[<x>]]</a>`},
		{name: "bom", doc: "\xef\xbb\xbf<a/>", want: `<a></a>`},
		{name: "chunked text", doc: `<a>abcdefg</a>`, opts: Options{MaxChunk: 3}, want: `<a>[abc][def][g]</a>`},
		{name: "whitespace around root", doc: "\n<a/>\n", want: "[\n]<a></a>[\n]"},
		{name: "mismatched end", doc: `<a></b>`, want: `<a>`, err: "</b> does not close"},
		{name: "unclosed", doc: `<a><b>`, want: `<a><b>`, err: "unexpected end"},
		{name: "doctype refused", doc: `<!DOCTYPE a [<!ENTITY x "y">]><a/>`, err: "document type"},
		{name: "unknown entity", doc: `<a>&foo;</a>`, want: `<a>`, err: "unknown entity &foo;"},
		{name: "long name", doc: `<abcdef/>`, opts: Options{MaxName: 4}, err: "longer than 4"},
		{name: "long attribute", doc: `<a v="123456"/>`, opts: Options{MaxAttrValue: 4}, err: "longer than 4"},
		{name: "many attributes", doc: `<a a="1" b="2" c="3"/>`, opts: Options{MaxAttrs: 2}, err: "more than 2 attributes"},
		{name: "deep", doc: `<a><a><a></a></a></a>`, opts: Options{MaxDepth: 2}, want: `<a><a>`, err: "deeper than 2"},
		{name: "text outside root", doc: `x<a/>`, err: "text outside"},
		{name: "unquoted attribute", doc: `<a v=1/>`, err: "not quoted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := render(t, tc.doc, tc.opts)
			if got != tc.want {
				t.Errorf("tokens = %q, want %q", got, tc.want)
			}
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("err = %v, want %q", err, tc.err)
			}
		})
	}
}

// TestHugeTextRun streams a text run far larger than the chunk through a
// decoder whose buffers stay at the chunk size.
func TestHugeTextRun(t *testing.T) {
	const n = 8 << 20
	r := io.MultiReader(strings.NewReader("<a>"), io.LimitReader(repeat('x'), n), strings.NewReader("</a>"))
	d := NewDecoder(r, Options{MaxChunk: 1024})
	total := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if tok.Kind == CharData {
			total += len(tok.Data)
			if len(tok.Data) > 1024 {
				t.Fatalf("chunk of %d bytes", len(tok.Data))
			}
		}
	}
	if total != n {
		t.Fatalf("text = %d bytes, want %d", total, n)
	}
	if c := cap(d.text); c > 2048 {
		t.Fatalf("text buffer grew to %d bytes", c)
	}
}

type repeat byte

func (r repeat) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// FuzzDecoder checks on arbitrary input that the decoder ends, that no
// token or internal buffer exceeds its limit, and that a document both it
// and encoding/xml accept gives the same elements.
func FuzzDecoder(f *testing.F) {
	for _, s := range []string{
		`<?xml version="1.0"?><a x="1"><b/>hi &amp; <![CDATA[c]]><!--x--></a>`,
		`<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>`,
		`<a>&#x41;&#66;</a>`, `<a></b>`, `<a`, `<!DOCTYPE x><a/>`, "\xef\xbb\xbf<a/>",
	} {
		f.Add([]byte(s))
	}
	opts := Options{MaxChunk: 16, MaxName: 8, MaxAttrValue: 16, MaxAttrs: 4, MaxDepth: 8}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoder(bytes.NewReader(data), opts)
		var ours []string
		ok := true
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatal("more tokens than input bytes")
			}
			tok, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("error %v is not a SyntaxError", err)
				}
				if _, again := d.Token(); again != err {
					t.Fatalf("error not sticky: %v then %v", err, again)
				}
				ok = false
				break
			}
			switch tok.Kind {
			case CharData:
				if len(tok.Data) == 0 || len(tok.Data) > opts.MaxChunk {
					t.Fatalf("chunk of %d bytes", len(tok.Data))
				}
			case StartElement:
				if len(tok.Name) > opts.MaxName || len(tok.Attrs) > opts.MaxAttrs {
					t.Fatalf("token over limits: %+v", tok)
				}
				for _, a := range tok.Attrs {
					if len(a.Value) > opts.MaxAttrValue {
						t.Fatalf("attribute of %d bytes", len(a.Value))
					}
				}
				ours = append(ours, "<"+tok.Name)
			case EndElement:
				ours = append(ours, "</"+tok.Name)
			}
			if d.Depth() > opts.MaxDepth {
				t.Fatalf("depth %d", d.Depth())
			}
			if c := cap(d.text); c > opts.MaxChunk+opts.MaxAttrValue+8 {
				t.Fatalf("buffer grew to %d bytes", c)
			}
		}
		if d.InputOffset() > int64(len(data)) {
			t.Fatalf("offset %d past %d bytes", d.InputOffset(), len(data))
		}
		if !ok {
			return
		}
		std := xml.NewDecoder(bytes.NewReader(data))
		var theirs []string
		for {
			tok, err := std.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return // encoding/xml refuses it; nothing to compare
			}
			switch t := tok.(type) {
			case xml.StartElement:
				theirs = append(theirs, "<"+t.Name.Local)
			case xml.EndElement:
				theirs = append(theirs, "</"+t.Name.Local)
			case xml.Directive:
				return
			}
		}
		if strings.Join(ours, "") != strings.Join(theirs, "") {
			t.Fatalf("elements %q, encoding/xml %q", ours, theirs)
		}
	})
}
