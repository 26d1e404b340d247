package leadsview

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/whitespace"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	bindex "github.com/blevesearch/bleve_index_api"
)

// The Bleve fields of a lead. The view builds each lead's Bleve document
// itself (indexDoc.addFields) instead of letting a mapping reflect over a
// struct: only the fields searched, filtered or sorted on, no _all field,
// nothing stored, no term vectors, doc values only where a sort reads
// them. Scores and the HaloPSA status are keywords (zero-padded, so that
// their order is their numeric order): a Bleve number is indexed as 16
// terms, a keyword as one.
const (
	fieldText      = "text"       // words of names, company, e-mail
	fieldLeadID    = "lead_id"    // the tie-break of every sort (doc values)
	fieldUpdatedAt = "updated_at" // date, sortable
	fieldFit       = "fit_score"  // "%03d", sortable
	fieldQuality   = "quality_score"
	fieldStatus    = "halopsa_status_id"
)

// keywordFields are the exact-match filters, lower-cased.
var keywordFields = []string{"email", "domain", "company", "source", "state", "fit_bucket", "country", fieldStatus}

// wordsAnalyzerName names, in the index mapping, the analyzer of the text
// field: its value is already split into lower-case words (index.Tokens),
// joined by spaces.
const wordsAnalyzerName = "leadsview_words"

// indexMapping describes the fields for Bleve (it is stored with each
// index); the documents themselves are built by addFields.
func indexMapping() *mapping.IndexMappingImpl {
	field := func(f *mapping.FieldMapping, docValues bool) *mapping.FieldMapping {
		f.Store, f.IncludeInAll, f.IncludeTermVectors, f.DocValues = false, false, false, docValues
		return f
	}
	doc := bleve.NewDocumentStaticMapping()
	text := field(bleve.NewTextFieldMapping(), false)
	text.Analyzer = wordsAnalyzerName
	doc.AddFieldMappingsAt(fieldText, text)
	for _, f := range keywordFields {
		doc.AddFieldMappingsAt(f, field(bleve.NewKeywordFieldMapping(), false))
	}
	for _, f := range []string{fieldLeadID, fieldFit, fieldQuality} {
		doc.AddFieldMappingsAt(f, field(bleve.NewKeywordFieldMapping(), true))
	}
	doc.AddFieldMappingsAt(fieldUpdatedAt, field(bleve.NewDateTimeFieldMapping(), true))
	m := bleve.NewIndexMapping()
	if err := m.AddCustomAnalyzer(wordsAnalyzerName, map[string]any{
		"type": custom.Name, "tokenizer": whitespace.Name, "token_filters": []any{lowercase.Name},
	}); err != nil {
		panic(err) // a programming error: the parts are Bleve's own
	}
	m.DefaultMapping = doc
	m.DefaultAnalyzer = keyword.Name
	m.StoreDynamic, m.IndexDynamic, m.DocValuesDynamic = false, false, false
	return m
}

// builderMapping is the index mapping as the offline builder
// (bleve.NewBuilder) needs it: it stores the mapping and maps each
// *indexDoc with addFields.
type builderMapping struct{ *mapping.IndexMappingImpl }

func (m builderMapping) MapDocument(doc *document.Document, data any) error {
	x, ok := data.(*indexDoc)
	if !ok {
		return fmt.Errorf("leadsview: cannot index a %T", data)
	}
	return x.addFields(doc)
}

// document returns the lead's Bleve document.
func (x *indexDoc) document() (*document.Document, error) {
	d := document.NewDocument(x.ID)
	return d, x.addFields(d)
}

func (x *indexDoc) addFields(d *document.Document) error {
	const indexed, sortable = bindex.IndexField, bindex.IndexField | bindex.DocValues
	kw := func(name, val string, opts bindex.FieldIndexingOptions) {
		if val != "" {
			d.AddField(document.NewTextFieldCustom(name, nil, []byte(val), opts, nil))
		}
	}
	if len(x.Text) > 0 {
		d.AddField(document.NewTextFieldCustom(fieldText, nil, []byte(strings.Join(x.Text, " ")), indexed, wordsAnalyzer{}))
	}
	kw(fieldLeadID, x.ID, sortable)
	for _, e := range x.Email {
		kw("email", e, indexed)
	}
	kw("domain", x.Domain, indexed)
	kw("company", x.Company, indexed)
	for _, s := range x.Source {
		kw("source", s, indexed)
	}
	kw("state", x.State, indexed)
	kw("fit_bucket", x.FitBucket, indexed)
	kw("country", x.Country, indexed)
	kw(fieldStatus, strconv.Itoa(x.Status), indexed)
	kw(fieldFit, scoreTerm(x.Fit), sortable)
	kw(fieldQuality, scoreTerm(x.Quality), sortable)
	if x.Updated.IsZero() {
		return nil // never for a lead read from the topic
	}
	dt, err := document.NewDateTimeFieldWithIndexingOptions(fieldUpdatedAt, nil, x.Updated, time.RFC3339Nano, sortable)
	if err != nil {
		return fmt.Errorf("leadsview: updated_at of %s: %w", x.ID, err)
	}
	d.AddField(dt)
	return nil
}

// scoreTerm is the keyword of a 0–100 score: three digits, so that the
// terms sort as the numbers do.
func scoreTerm(n int) string { return fmt.Sprintf("%03d", min(max(n, 0), 999)) }

// wordsAnalyzer splits a text of space-separated words (already
// lower-cased by index.Tokens); it does what the mapping's
// leadsview_words analyzer does, without its per-rune work.
type wordsAnalyzer struct{}

func (wordsAnalyzer) Analyze(in []byte) analysis.TokenStream {
	out := make(analysis.TokenStream, 0, 8)
	start, pos := 0, 1
	for i := 0; i <= len(in); i++ {
		if i < len(in) && in[i] != ' ' {
			continue
		}
		if i > start {
			out = append(out, &analysis.Token{Term: in[start:i], Start: start, End: i, Position: pos, Type: analysis.AlphaNumeric})
			pos++
		}
		start = i + 1
	}
	return out
}
