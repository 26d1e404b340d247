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
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"
)

// The Bleve fields of a lead. The view builds each lead's Bleve document
// itself (indexDoc.addFields) instead of letting a mapping reflect over a
// struct: only the fields searched, filtered or sorted on, no _all field,
// nothing stored, no term vectors, doc values only where a sort reads
// them. Scores and the HaloPSA status are keywords (zero-padded, so that
// their order is their numeric order): a Bleve number or date is indexed
// as 16 terms, a keyword as one. updated_at is a fixed-width UTC time
// keyword (sortable) with four coarser keywords beside it (day, hour,
// minute, second) that answer updated_since with a few term ranges
// (timeRangeQuery).
const (
	fieldText      = "text"       // words of names, company, e-mail
	fieldLeadID    = "lead_id"    // the tie-break of every sort (doc values)
	fieldUpdatedAt = "updated_at" // timeLayout, sortable
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
	for _, f := range []string{fieldLeadID, fieldFit, fieldQuality, fieldUpdatedAt} {
		doc.AddFieldMappingsAt(f, field(bleve.NewKeywordFieldMapping(), true))
	}
	for _, f := range timeLevels {
		doc.AddFieldMappingsAt(f.field, field(bleve.NewKeywordFieldMapping(), false))
	}
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
	if !x.Updated.IsZero() {
		t := x.Updated.UTC()
		kw(fieldUpdatedAt, t.Format(timeLayout), sortable)
		for _, l := range timeLevels {
			kw(l.field, t.Format(l.layout), indexed)
		}
	}
	return nil
}

// timeLayout is updated_at's keyword: fixed width, so that the terms sort
// as the times do.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// timeLevels are the coarser keywords of updated_at, coarsest first.
var timeLevels = []struct{ field, layout string }{
	{"updated_day", "2006-01-02"},
	{"updated_hour", "2006-01-02T15"},
	{"updated_min", "2006-01-02T15:04"},
	{"updated_sec", "2006-01-02T15:04:05"},
}

// timeRangeQuery matches the leads updated at since or later: a later
// day, or a later hour of since's day, a later minute of its hour, a
// later second of its minute, or a time at or after since within its
// second. Each range spans few terms (days, at most 23 hours, 59
// minutes, 59 seconds, the leads updated in one second).
func timeRangeQuery(since time.Time) query.Query {
	since = since.UTC()
	yes, no := true, false
	// upper bounds: the byte after each level's separator ends its
	// parent's range ('T'+1, ':'+1, ':'+1, '.'+1).
	ends := []string{"", "U", ";", ";"}
	var or []query.Query
	parent := ""
	for i, l := range timeLevels {
		cur := since.Format(l.layout)
		hi := ""
		if i > 0 {
			hi = parent + ends[i]
		}
		r := bleve.NewTermRangeInclusiveQuery(cur, hi, &no, &no)
		r.SetField(l.field)
		or = append(or, r)
		parent = cur
	}
	r := bleve.NewTermRangeInclusiveQuery(since.Format(timeLayout), parent+"/", &yes, &no)
	r.SetField(fieldUpdatedAt)
	return bleve.NewDisjunctionQuery(append(or, r)...)
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
