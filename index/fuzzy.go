package index

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	"golang.org/x/text/unicode/norm"

	"github.com/leadstream/leadstream/internal/accents"
)

// FuzzyDoc is what the fuzzy candidate index knows of one lead: the raw
// values of its source records (several per field are fine). Values are
// tokenised by [Tokens]; company names also lose their generic words
// ([CompanyTokens]).
type FuzzyDoc struct {
	Names     []string // first, last or full names, in any order
	Companies []string // company names as given
	Locals    []string // e-mail local parts
	Cities    []string
}

// Fields of the Bleve documents.
const (
	fzName    = "n"
	fzCompany = "c"
	fzLocal   = "e"
	fzCity    = "t"
)

// fuzzyClean marks an index closed cleanly (Bleve internal storage): one
// without it may lack writes that reached the Badger store, and is rebuilt.
var fuzzyClean = []byte("leadstream/clean")

// Fuzzy is a per-partition Bleve index of leads for fuzzy candidate search
// (spec §4.1: candidates come from Bleve and the exact indexes). It is a
// derived cache of the Badger state: it has no changelog of its own, and
// a missing or uncleanly closed index is rebuilt from the store by its
// owner. It is safe for concurrent use.
type Fuzzy struct {
	idx bleve.Index
	dir string
}

// OpenFuzzy opens the index in dir, creating it when missing. clean
// reports whether it was closed cleanly and can be trusted as is; when
// false the caller should rebuild it (Put every lead again). Opening
// clears the mark until the next clean Close.
func OpenFuzzy(dir string) (f *Fuzzy, clean bool, err error) {
	idx, err := bleve.Open(dir)
	switch {
	case err == nil:
		v, gerr := idx.GetInternal(fuzzyClean)
		clean = gerr == nil && string(v) == "1"
		if clean {
			if err := idx.DeleteInternal(fuzzyClean); err != nil {
				_ = idx.Close()
				return nil, false, fmt.Errorf("index: fuzzy %s: %w", dir, err)
			}
		}
	case errors.Is(err, bleve.ErrorIndexPathDoesNotExist) || errors.Is(err, bleve.ErrorIndexMetaMissing):
		if err := os.RemoveAll(dir); err != nil {
			return nil, false, fmt.Errorf("index: fuzzy %s: %w", dir, err)
		}
		if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
			return nil, false, fmt.Errorf("index: fuzzy %s: %w", dir, err)
		}
		idx, err = bleve.New(dir, fuzzyMapping())
		if err != nil {
			return nil, false, fmt.Errorf("index: create fuzzy %s: %w", dir, err)
		}
	default:
		// A damaged index is a cache: start again.
		if rerr := os.RemoveAll(dir); rerr != nil {
			return nil, false, fmt.Errorf("index: fuzzy %s: %v (and remove: %w)", dir, err, rerr)
		}
		if idx, err = bleve.New(dir, fuzzyMapping()); err != nil {
			return nil, false, fmt.Errorf("index: create fuzzy %s: %w", dir, err)
		}
	}
	return &Fuzzy{idx: idx, dir: dir}, clean, nil
}

// fuzzyMapping indexes pre-tokenised values (the keyword analyser keeps
// each token whole) and stores nothing but the terms: no stored fields,
// term vectors, doc values or _all field.
func fuzzyMapping() mapping.IndexMapping {
	field := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = false
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = false
		return f
	}
	doc := bleve.NewDocumentStaticMapping()
	for _, name := range []string{fzName, fzCompany, fzLocal, fzCity} {
		doc.AddFieldMappingsAt(name, field())
	}
	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = keyword.Name
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m
}

func (d FuzzyDoc) fields() map[string]any {
	names := tokensOf(d.Names, Tokens)
	m := map[string]any{}
	if len(names) > 0 {
		m[fzName] = names
	}
	if c := tokensOf(d.Companies, CompanyTokens); len(c) > 0 {
		m[fzCompany] = c
	}
	if l := tokensOf(d.Locals, func(s string) []string {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			return []string{s}
		}
		return nil
	}); len(l) > 0 {
		m[fzLocal] = l
	}
	if c := tokensOf(d.Cities, func(s string) []string { return []string{strings.Join(Tokens(s), "")} }); len(c) > 0 {
		m[fzCity] = c
	}
	return m
}

func (d FuzzyDoc) empty() bool {
	return len(d.Names) == 0 && len(d.Companies) == 0 && len(d.Locals) == 0
}

func tokensOf(vals []string, tok func(string) []string) []string {
	var out []string
	for _, v := range vals {
		for _, t := range tok(v) {
			if t != "" && !containsString(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

func containsString(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// FuzzyBatch collects writes for one Bleve batch.
type FuzzyBatch struct {
	f *Fuzzy
	b *bleve.Batch
}

// NewBatch returns an empty batch.
func (f *Fuzzy) NewBatch() *FuzzyBatch { return &FuzzyBatch{f: f, b: f.idx.NewBatch()} }

// Put adds (or replaces) the document of lead id.
func (b *FuzzyBatch) Put(id string, d FuzzyDoc) error {
	if d.empty() {
		b.b.Delete(id)
		return nil
	}
	return b.b.Index(id, d.fields())
}

// Size is the number of writes in the batch.
func (b *FuzzyBatch) Size() int { return b.b.Size() }

// Commit writes the batch and empties it.
func (b *FuzzyBatch) Commit() error {
	if b.b.Size() == 0 {
		return nil
	}
	if err := b.f.idx.Batch(b.b); err != nil {
		return fmt.Errorf("index: fuzzy batch: %w", err)
	}
	b.b.Reset()
	return nil
}

// Search returns up to limit lead ids whose documents resemble d: at
// least two of the query's clauses must match, each clause being one
// token of d searched in its own field (names match names in any order)
// within edit distance 1, or 2 for tokens of six or more letters; tokens
// under three letters and cities must match exactly. Best matches first.
func (f *Fuzzy) Search(d FuzzyDoc, limit int) ([]string, error) {
	fields := d.fields()
	var clauses []query.Query
	add := func(field string, fuzzy bool) {
		toks, _ := fields[field].([]string)
		for _, t := range toks {
			if len([]rune(t)) < 2 {
				continue
			}
			if !fuzzy || len([]rune(t)) < 3 {
				q := bleve.NewTermQuery(t)
				q.SetField(field)
				clauses = append(clauses, q)
				continue
			}
			q := bleve.NewFuzzyQuery(t)
			q.SetField(field)
			q.SetFuzziness(1)
			if len([]rune(t)) >= 6 {
				q.SetFuzziness(2)
			}
			clauses = append(clauses, q)
		}
	}
	add(fzName, true)
	add(fzCompany, true)
	add(fzLocal, true)
	add(fzCity, false)
	if len(clauses) < 2 {
		return nil, nil
	}
	dq := bleve.NewDisjunctionQuery(clauses...)
	dq.SetMin(2)
	req := bleve.NewSearchRequestOptions(dq, limit, 0, false)
	res, err := f.idx.Search(req)
	if err != nil {
		return nil, fmt.Errorf("index: fuzzy search: %w", err)
	}
	ids := make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	return ids, nil
}

// Count returns the number of documents.
func (f *Fuzzy) Count() (uint64, error) { return f.idx.DocCount() }

// Dir is the index's directory.
func (f *Fuzzy) Dir() string { return f.dir }

// Close marks the index clean (when clean is true: every write the store
// holds has been put) and closes it.
func (f *Fuzzy) Close(clean bool) error {
	if clean {
		if err := f.idx.SetInternal(fuzzyClean, []byte("1")); err != nil {
			_ = f.idx.Close()
			return fmt.Errorf("index: fuzzy close: %w", err)
		}
	}
	if err := f.idx.Close(); err != nil {
		return fmt.Errorf("index: fuzzy close: %w", err)
	}
	return nil
}

// Tokens splits s into lower-case words of letters and digits, accents
// removed; an apostrophe joins the letters either side of it ("O'Brien" is
// "obrien").
func Tokens(s string) []string {
	if accents.IsASCII(s) {
		return asciiTokens(s)
	}
	return unicodeTokens(s)
}

// unicodeTokens is Tokens for any text.
func unicodeTokens(s string) []string {
	s = norm.NFD.String(strings.ToLower(s))
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = cur[:0]
		}
	}
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur = append(cur, r)
		case r == '\'':
		default:
			flush()
		}
	}
	flush()
	return out
}

// asciiTokens is Tokens for ASCII text, which has no accent to remove and
// no letter beyond a–z: byte by byte, without decomposing.
func asciiTokens(s string) []string {
	var out []string
	var cur []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			cur = append(cur, c)
		case 'A' <= c && c <= 'Z':
			cur = append(cur, c+'a'-'A')
		case c == '\'':
		default:
			if len(cur) > 0 {
				out = append(out, string(cur))
				cur = cur[:0]
			}
		}
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out
}

// genericCompanyWords are company-name words that say nothing about which
// company it is: legal forms and the generic words of the B2B IT trade.
// A token that is one of them never becomes a search term, so "Acme
// Solutions GmbH" and "Acme IT Solutions Ltd" meet on "acme" alone.
var genericCompanyWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`inc incorporated llc llp lp ltd limited plc corp corporation co company
		gmbh ag kg mbh ug se sa sas sarl sl srl spa bv nv oy ab as aps pty pvt pte kk
		group holding holdings international intl global worldwide
		solutions solution services service systems system technologies technology tech
		it ict software consulting consultants consultancy networks network digital data
		cloud computing computers managed partners associates enterprises industries
		the and of und et de la le les der die das uk us usa eu europe`) {
		genericCompanyWords[w] = true
	}
}

// CompanyTokens returns the distinguishing words of a company name:
// [Tokens] without generic words and single letters. A name made only of
// generic words gives nothing.
func CompanyTokens(s string) []string {
	var out []string
	for _, t := range Tokens(s) {
		if len(t) > 1 && !genericCompanyWords[t] {
			out = append(out, t)
		}
	}
	return out
}
