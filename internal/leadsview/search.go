package leadsview

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/index"
)

// Query is a search of the view (crm.md §9.2 GET /api/leads).
type Query struct {
	Q                                                string
	Email, Domain, Company, Source, State, FitBucket string
	Country                                          string
	HaloStatusID                                     *int
	MinFit, MinQuality                               *int
	UpdatedSince                                     time.Time
	// Sort is updated_at (default), fit_score or quality_score; with a
	// query and no sort, the best matches come first.
	Sort string
	// Desc orders descending (the default for every sort).
	Desc   bool
	Limit  int
	Cursor string
}

// Page is one page of results.
type Page struct {
	Docs       []*Doc
	Total      uint64
	NextCursor string
}

// ErrBadCursor is returned for a cursor the view did not issue for this
// query's sort.
var ErrBadCursor = errors.New("leadsview: invalid cursor")

// Sorts are the accepted sort fields.
var Sorts = []string{"updated_at", "fit_score", "quality_score"}

// Search answers q.
func (v *View) Search(q Query) (*Page, error) {
	var must []query.Query
	if s := strings.TrimSpace(q.Q); s != "" {
		// Every word must match; one word is one term query.
		words := index.Tokens(s)
		if len(words) == 0 {
			return &Page{}, nil
		}
		for _, w := range words {
			t := bleve.NewTermQuery(w)
			t.SetField(fieldText)
			must = append(must, t)
		}
	}
	term := func(field, val string) {
		if val = strings.ToLower(strings.TrimSpace(val)); val != "" {
			t := bleve.NewTermQuery(val)
			t.SetField(field)
			must = append(must, t)
		}
	}
	if strings.TrimSpace(q.Email) != "" {
		term("email", EmailTerm(q.Email))
	}
	term("domain", q.Domain)
	term("company", q.Company)
	term("source", q.Source)
	term("state", q.State)
	term("fit_bucket", q.FitBucket)
	term("country", q.Country)
	if q.HaloStatusID != nil {
		term(fieldStatus, strconv.Itoa(*q.HaloStatusID))
	}
	atLeast := func(field string, n *int) {
		if n == nil {
			return
		}
		if *n > 999 {
			must = append(must, bleve.NewMatchNoneQuery())
			return
		}
		incl := true
		r := bleve.NewTermRangeInclusiveQuery(scoreTerm(*n), "", &incl, nil)
		r.SetField(field)
		must = append(must, r)
	}
	atLeast(fieldFit, q.MinFit)
	atLeast(fieldQuality, q.MinQuality)
	if !q.UpdatedSince.IsZero() {
		incl := true
		r := bleve.NewDateRangeInclusiveQuery(q.UpdatedSince, time.Time{}, &incl, nil)
		r.SetField(fieldUpdatedAt)
		must = append(must, r)
	}
	var bq query.Query
	switch len(must) {
	case 0:
		bq = bleve.NewMatchAllQuery()
	case 1:
		bq = must[0]
	default:
		bq = bleve.NewConjunctionQuery(must...)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	req := bleve.NewSearchRequestOptions(bq, limit+1, 0, false)
	sortField := q.Sort
	if sortField == "" && strings.TrimSpace(q.Q) != "" {
		sortField = "_score"
	}
	if sortField == "" {
		sortField = "updated_at"
	}
	dir := ""
	if q.Desc {
		dir = "-"
	}
	// The lead id breaks ties from doc values: "_id" would read every
	// hit's stored id.
	req.SortBy([]string{dir + sortField, fieldLeadID})
	if sortField != "_score" {
		req.Score = bleve.ScoreNone // the order needs no relevance
	}
	if q.Cursor != "" {
		after, err := decodeCursor(q.Cursor)
		if err != nil || len(after) != 2 {
			return nil, ErrBadCursor
		}
		req.SearchAfter = after
	}
	res, err := v.idx.Search(req)
	if err != nil {
		return nil, fmt.Errorf("leadsview: search: %w", err)
	}
	p := &Page{Total: res.Total}
	hits := res.Hits
	if len(hits) > limit {
		hits = hits[:limit]
		p.NextCursor = encodeCursor(hits[len(hits)-1].Sort)
	}
	for _, h := range hits {
		d, err := v.Get(h.ID)
		if errors.Is(err, ErrNotFound) {
			continue // erased between the search and the read
		}
		if err != nil {
			return nil, err
		}
		p.Docs = append(p.Docs, d)
	}
	return p, nil
}

func encodeCursor(sort []string) string {
	b, _ := json.Marshal(sort)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c string) ([]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, err
	}
	var out []string
	return out, json.Unmarshal(b, &out)
}
