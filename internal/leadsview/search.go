package leadsview

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"
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
	Docs  []*Doc
	Total uint64
	// TotalIsLowerBound is set when a relevance-ordered search stopped
	// counting at its cap (Options.RelevanceCap): there are more than
	// Total.
	TotalIsLowerBound bool
	NextCursor        string
}

// DefaultRelevanceCap is how many matches a search ordered by relevance
// (q and no sort) considers unless Options.RelevanceCap says otherwise:
// the best come from the first so many matches in index order (spread
// evenly over the shards), and the total counts no further. A broad word
// (a common first name matches 1 lead in 40) would otherwise score and
// sort every match on every request. Searches with a sort, or without q,
// are exact.
const DefaultRelevanceCap = 10000

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
		must = append(must, timeRangeQuery(q.UpdatedSince))
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
	var capped *cappedQuery
	if q.Sort == "" && strings.TrimSpace(q.Q) != "" {
		capped = &cappedQuery{q: bq, perShard: (v.relevanceCap + shardCount - 1) / shardCount}
		bq = capped
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
	p := &Page{Total: res.Total, TotalIsLowerBound: capped != nil && capped.reached.Load()}
	hits := res.Hits
	if len(hits) > limit {
		hits = hits[:limit]
		last := hits[len(hits)-1]
		after := slices.Clone(last.Sort)
		if sortField == "_score" {
			// Bleve gives "_score" as the sort value; search_after wants
			// the score.
			after[0] = strconv.FormatFloat(last.Score, 'g', -1, 64)
		}
		p.NextCursor = encodeCursor(after)
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

// cappedQuery matches what q matches, up to perShard matches in each
// shard (in index order); reached records that a shard had more.
type cappedQuery struct {
	q        query.Query
	perShard int
	reached  atomic.Bool
}

func (c *cappedQuery) Searcher(ctx context.Context, r bindex.IndexReader, m mapping.IndexMapping, o search.SearcherOptions) (search.Searcher, error) {
	s, err := c.q.Searcher(ctx, r, m, o)
	if err != nil {
		return nil, err
	}
	return &cappedSearcher{Searcher: s, left: c.perShard, reached: &c.reached}, nil
}

type cappedSearcher struct {
	search.Searcher
	left    int
	reached *atomic.Bool
}

func (s *cappedSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	d, err := s.Searcher.Next(ctx)
	return s.take(ctx, d, err)
}

func (s *cappedSearcher) Advance(ctx *search.SearchContext, id bindex.IndexInternalID) (*search.DocumentMatch, error) {
	d, err := s.Searcher.Advance(ctx, id)
	return s.take(ctx, d, err)
}

func (s *cappedSearcher) take(ctx *search.SearchContext, d *search.DocumentMatch, err error) (*search.DocumentMatch, error) {
	if err != nil || d == nil {
		return d, err
	}
	if s.left <= 0 {
		s.reached.Store(true)
		ctx.DocumentMatchPool.Put(d)
		return nil, nil
	}
	s.left--
	return d, nil
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
