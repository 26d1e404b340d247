package leadsview

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// Search answers q; ctx bounds the search and the reads of its page.
func (v *View) Search(ctx context.Context, q Query) (*Page, error) {
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
	if capped != nil {
		return v.searchByRelevance(ctx, q, capped, limit)
	}
	req := bleve.NewSearchRequestOptions(bq, limit+1, 0, false)
	sortField := q.Sort
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
	req.Score = bleve.ScoreNone // the order needs no relevance
	if q.Cursor != "" {
		after, err := decodeCursor(q.Cursor)
		if err != nil || len(after) != 2 || after[0] == offsetCursor {
			return nil, ErrBadCursor
		}
		req.SearchAfter = after
	}
	res, err := v.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("leadsview: search: %w", err)
	}
	p := &Page{Total: res.Total}
	hits := res.Hits
	if len(hits) > limit {
		hits = hits[:limit]
		p.NextCursor = encodeCursor(hits[len(hits)-1].Sort)
	}
	return p, v.loadPage(ctx, p, hits)
}

// offsetCursor marks the cursor of a search by relevance: the offset of
// the next page in its order.
const offsetCursor = "@offset"

// searchByRelevance answers a search by relevance. Each shard scores its
// capped matches and keeps the best offset+limit+1 without reading any
// doc values (Bleve's fast path for a sort by score alone); the shards'
// hits are merged by score, then shard, then rank within the shard, a
// deterministic order, so that the next page is an offset into it.
func (v *View) searchByRelevance(ctx context.Context, q Query, capped *cappedQuery, limit int) (*Page, error) {
	offset := 0
	if q.Cursor != "" {
		after, err := decodeCursor(q.Cursor)
		if err != nil || len(after) != 2 || after[0] != offsetCursor {
			return nil, ErrBadCursor
		}
		if offset, err = strconv.Atoi(after[1]); err != nil || offset < 0 || offset > v.relevanceCap {
			return nil, ErrBadCursor
		}
	}
	order := "_score"
	if q.Desc {
		order = "-_score"
	}
	shards := *v.shards.Load()
	type shardResult struct {
		res *bleve.SearchResult
		err error
	}
	results := make([]shardResult, len(shards))
	var wg sync.WaitGroup
	for i, shard := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := bleve.NewSearchRequestOptions(capped, offset+limit+1, 0, false)
			req.SortBy([]string{order})
			results[i].res, results[i].err = shard.SearchInContext(ctx, req)
		}()
	}
	wg.Wait()
	type rankedHit struct {
		score       float64
		shard, rank int
		id          string
	}
	var hits []rankedHit
	p := &Page{TotalIsLowerBound: capped.reached.Load()}
	for i, r := range results {
		if r.err != nil {
			return nil, fmt.Errorf("leadsview: search: %w", r.err)
		}
		p.Total += r.res.Total
		for rank, h := range r.res.Hits {
			hits = append(hits, rankedHit{score: h.Score, shard: i, rank: rank, id: h.ID})
		}
	}
	slices.SortFunc(hits, func(a, b rankedHit) int {
		if a.score != b.score {
			if (a.score > b.score) == q.Desc {
				return -1
			}
			return 1
		}
		if a.shard != b.shard {
			return a.shard - b.shard
		}
		return a.rank - b.rank
	})
	hits = hits[min(offset, len(hits)):]
	if len(hits) > limit {
		hits = hits[:limit]
		p.NextCursor = encodeCursor([]string{offsetCursor, strconv.Itoa(offset + limit)})
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.id
	}
	return p, v.loadDocs(ctx, p, ids)
}

// loadPage reads the page's leads from the store.
func (v *View) loadPage(ctx context.Context, p *Page, hits search.DocumentMatchCollection) error {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	return v.loadDocs(ctx, p, ids)
}

func (v *View) loadDocs(ctx context.Context, p *Page, ids []string) error {
	for _, id := range ids {
		d, err := v.Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue // erased between the search and the read
		}
		if err != nil {
			return err
		}
		p.Docs = append(p.Docs, d)
	}
	return nil
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
