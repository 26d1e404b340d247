package leadsview

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/keyring"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

const topic = "leads.current"

func cluster(t *testing.T) []string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

func produce(t *testing.T, brokers []string, recs ...*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func leadRecord(t *testing.T, id, first, last, email, company string, fit int) *kgo.Record {
	t.Helper()
	return sealedLeadRecord(t, nil, id, first, last, email, company, fit)
}

// sealedLeadRecord is leadRecord sealed by s (nil: not sealed).
func sealedLeadRecord(t *testing.T, s pipeline.Sealer, id, first, last, email, company string, fit int) *kgo.Record {
	t.Helper()
	env := &pipeline.Envelope{TraceID: "t-" + id, LeadID: id, Source: pipeline.Source{Provider: "apollo", RecordID: "r-" + id},
		FirstSeen: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Outcome: pipeline.OutcomeSynced,
		Halo: &pipeline.HaloRef{TicketID: 7, StatusID: 1},
		Lead: &lead.Lead{FirstName: first, LastName: last, Email: email, Company: company, Domain: lead.EmailDomain(email),
			FitScore: fit, FitBucket: "warm", QualityScore: 80, Country: "GB"}}
	r, err := env.SealedRecord(s, topic, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// follow opens a view in dir, follows until it is ready and returns it
// with a stop function.
func follow(t *testing.T, dir string, brokers []string) (*View, func()) {
	t.Helper()
	return followWith(t, Options{Dir: dir}, brokers)
}

// followWith is follow with opts.
func followWith(t *testing.T, opts Options, brokers []string) (*View, func()) {
	t.Helper()
	v, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- v.Follow(ctx, brokers, topic) }()
	select {
	case <-v.Ready():
	case err := <-done:
		t.Fatalf("follow: %v", err)
	}
	return v, func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		if err := v.Close(); err != nil {
			t.Error(err)
		}
	}
}

func TestViewSearchFiltersPagingAndRebuild(t *testing.T) {
	brokers := cluster(t)
	var recs []*kgo.Record
	for i := range 25 {
		recs = append(recs, leadRecord(t, fmt.Sprintf("ld_%02d", i), "Ann", fmt.Sprintf("Smith%d", i),
			fmt.Sprintf("ann%d@acme.com", i), "Acme Ltd", i*4))
	}
	recs = append(recs, leadRecord(t, "ld_bob", "Bob", "Jones", "bob@globex.com", "Globex", 90))
	// A later version of a lead replaces it; a tombstone removes one.
	recs = append(recs, leadRecord(t, "ld_00", "Anne", "Smith0", "anne@acme.com", "Acme Ltd", 1))
	recs = append(recs, &kgo.Record{Topic: topic, Key: []byte("ld_01")})
	produce(t, brokers, recs...)

	dir := filepath.Join(t.TempDir(), "view")
	v, stop := follow(t, dir, brokers)
	p, err := v.Search(t.Context(), Query{Q: "bob globex"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 1 || p.Docs[0].LeadID != "ld_bob" || p.Docs[0].Lead.Email != "bob@globex.com" {
		t.Fatalf("q=bob globex: %+v", p)
	}
	if _, err := v.Get(t.Context(), "ld_01"); err != ErrNotFound {
		t.Fatalf("tombstoned lead: %v", err)
	}
	d, err := v.Get(t.Context(), "ld_00")
	if err != nil || d.Lead.FirstName != "Anne" || len(d.Sources) != 1 || d.Halo.TicketID != 7 {
		t.Fatalf("replaced lead: %+v %v", d, err)
	}
	tests := []struct {
		name  string
		q     Query
		total uint64
		first string
	}{
		{"company filter", Query{Company: "acme ltd", Sort: "fit_score", Desc: true}, 24, "ld_24"},
		{"min_fit", Query{MinFit: ptr(85), Sort: "fit_score"}, 4, "ld_22"},
		{"domain", Query{Domain: "globex.com"}, 1, "ld_bob"},
		{"email", Query{Email: "ANN5@acme.com"}, 1, "ld_05"},
		{"status", Query{HaloStatusID: ptr(1), State: "synced", Country: "gb"}, 25, ""},
		{"no match", Query{Q: "zebra"}, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Search(t.Context(), tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != tc.total {
				t.Fatalf("total %d, want %d", p.Total, tc.total)
			}
			if tc.first != "" && p.Docs[0].LeadID != tc.first {
				t.Fatalf("first %s, want %s", p.Docs[0].LeadID, tc.first)
			}
		})
	}
	// Cursor paging visits every lead once.
	seen := map[string]bool{}
	q := Query{Company: "Acme Ltd", Sort: "fit_score", Desc: true, Limit: 5}
	for {
		p, err := v.Search(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range p.Docs {
			if seen[d.LeadID] {
				t.Fatalf("%s twice", d.LeadID)
			}
			seen[d.LeadID] = true
		}
		if p.NextCursor == "" {
			break
		}
		q.Cursor = p.NextCursor
	}
	if len(seen) != 24 {
		t.Fatalf("paged %d leads, want 24", len(seen))
	}
	stop()

	// The directory is lost: the view is rebuilt from the topic.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	v, stop = follow(t, dir, brokers)
	defer stop()
	if n, _ := v.Count(); n != 25 {
		t.Fatalf("rebuilt view holds %d leads, want 25", n)
	}
}

// Equal scores page by the lead id: every lead once.
func TestViewSearchPagesThroughTies(t *testing.T) {
	brokers := cluster(t)
	var recs []*kgo.Record
	for i := range 7 {
		recs = append(recs, leadRecord(t, fmt.Sprintf("ld_i%d", i), "Info", fmt.Sprintf("Desk%d", i), fmt.Sprintf("info%d@shared.example", i), "Shared", 50))
	}
	produce(t, brokers, recs...)
	v, stop := follow(t, filepath.Join(t.TempDir(), "view"), brokers)
	defer stop()
	for _, q := range []Query{
		{Company: "shared", Sort: "fit_score", Desc: true, Limit: 2},
		{Company: "shared", Sort: "quality_score", Limit: 2},
		{Company: "shared", Limit: 3},
	} {
		seen := map[string]bool{}
		for pages := 0; ; pages++ {
			p, err := v.Search(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != 7 {
				t.Fatalf("%+v: total %d, want 7", q, p.Total)
			}
			for _, d := range p.Docs {
				if seen[d.LeadID] {
					t.Fatalf("%+v: %s twice", q, d.LeadID)
				}
				seen[d.LeadID] = true
			}
			if p.NextCursor == "" || pages > 7 {
				break
			}
			q.Cursor = p.NextCursor
		}
		if len(seen) != 7 {
			t.Fatalf("%+v: paged %d leads, want 7", q, len(seen))
		}
	}
}

func ptr(n int) *int { return &n }

// grepDir reports the files under dir whose bytes contain s.
func grepDir(t *testing.T, dir, s string) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(s)) {
			hits = append(hits, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// Forget leaves no copy of the lead's e-mail or name in the view's
// files, before or after a restart, and the other leads stay.
func TestForgetLeavesNoCopy(t *testing.T) {
	brokers := cluster(t)
	var recs []*kgo.Record
	for i := range 30 {
		recs = append(recs, leadRecord(t, fmt.Sprintf("ld_%02d", i), "Ann", fmt.Sprintf("Smith%d", i), fmt.Sprintf("ann%d@acme.com", i), "Acme Ltd", i))
	}
	// The lead to forget has two versions on the topic.
	recs = append(recs, leadRecord(t, "ld_x", "Zoltan", "Quixotic", "zoltan.old@quixotic.example", "Quixotic", 5),
		leadRecord(t, "ld_x", "Zoltan", "Quixotic", "zoltan.q@quixotic.example", "Quixotic", 6))
	produce(t, brokers, recs...)
	dir := filepath.Join(t.TempDir(), "view")
	v, stop := follow(t, dir, brokers)
	if err := v.Forget(context.Background(), "ld_x"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Get(t.Context(), "ld_x"); err != ErrNotFound {
		t.Fatalf("forgotten lead: %v", err)
	}
	if p, _ := v.Search(t.Context(), Query{Q: "quixotic"}); p.Total != 0 {
		t.Fatalf("forgotten lead still found: %d", p.Total)
	}
	if d, err := v.Get(t.Context(), "ld_01"); err != nil || d.Lead.LastName != "Smith1" {
		t.Fatalf("another lead: %+v %v", d, err)
	}
	for _, s := range []string{"zoltan.q@quixotic.example", "zoltan.old@quixotic.example", "Quixotic"} {
		if hits := grepDir(t, dir, s); len(hits) > 0 {
			t.Errorf("%q still in %v", s, hits)
		}
	}
	stop()
	for _, s := range []string{"zoltan.q@quixotic.example", "Quixotic"} {
		if hits := grepDir(t, dir, s); len(hits) > 0 {
			t.Errorf("after close, %q still in %v", s, hits)
		}
	}
	if hits := grepDir(t, dir, "ann7@acme.com"); len(hits) == 0 {
		t.Error("the check finds nothing at all: the other leads' data should be there")
	}
	// The index's terms are not plain bytes on disk (an FST, compressed
	// stored fields): no term of the forgotten lead is left in any
	// segment, deleted documents' included.
	var terms []string
	gens, err := generations(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gens {
		for i := range shardCount {
			terms = append(terms, indexTerms(t, shardDir(g.dir, i))...)
		}
	}
	for _, s := range []string{"zoltan", "quixotic"} {
		for _, term := range terms {
			if strings.Contains(term, s) {
				t.Errorf("term %q still in the index", term)
			}
		}
	}
	if !slices.Contains(terms, "smith7") {
		t.Errorf("the term check sees no terms at all: %d", len(terms))
	}
}

// With a Sealer the view keeps each lead sealed under its lead's key, in
// Badger's value log: no plain copy of a lead is on disk, the view reads
// its leads back after a restart, and a lead whose key is deleted and
// which the view forgot is gone, after a restart too.
func TestSealedViewStore(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topic), kfake.SeedTopics(1, pipeline.TopicKeyring))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	brokers := c.ListenAddrs()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	kr, err := keyring.New(pipeline.TopicKeyring, []byte("test secret"), cl, nil)
	if err != nil {
		t.Fatal(err)
	}
	var recs []*kgo.Record
	for i := range 30 {
		recs = append(recs, sealedLeadRecord(t, kr, fmt.Sprintf("ld_%02d", i), "Ann", fmt.Sprintf("Smith%d", i), fmt.Sprintf("ann%d@acme.com", i), "Acme Ltd", i))
	}
	recs = append(recs, sealedLeadRecord(t, kr, "ld_x", "Zoltan", "Quixotic", "zoltan.q@quixotic.example", "Quixotic", 6))
	if err := kr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	produce(t, brokers, recs...)
	dir := filepath.Join(t.TempDir(), "view")
	opts := Options{Dir: dir, Sealer: kr}
	v, stop := followWith(t, opts, brokers)
	if d, err := v.Get(t.Context(), "ld_07"); err != nil || d.Lead.Email != "ann7@acme.com" {
		t.Fatalf("ld_07: %+v %v", d, err)
	}
	if p, err := v.Search(t.Context(), Query{Q: "quixotic"}); err != nil || p.Total != 1 || p.Docs[0].Lead.FirstName != "Zoltan" {
		t.Fatalf("search: %+v %v", p, err)
	}
	for _, s := range []string{"ann7@acme.com", "zoltan.q@quixotic.example", "Smith7"} {
		if hits := grepDir(t, filepath.Join(dir, "badger"), s); len(hits) > 0 {
			t.Errorf("%q in plain in %v", s, hits)
		}
	}
	if _, err := kr.Forget(context.Background(), "ld_x"); err != nil {
		t.Fatal(err)
	}
	if err := v.Forget(context.Background(), "ld_x"); err != nil {
		t.Fatal(err)
	}
	stop()
	v, stop = followWith(t, opts, brokers)
	defer stop()
	if _, err := v.Get(t.Context(), "ld_x"); err != ErrNotFound {
		t.Fatalf("forgotten lead after a restart: %v", err)
	}
	if d, err := v.Get(t.Context(), "ld_07"); err != nil || d.Lead.Email != "ann7@acme.com" {
		t.Fatalf("ld_07 after a restart: %+v %v", d, err)
	}
	if p, _ := v.Search(t.Context(), Query{Q: "ann"}); p.Total != 30 {
		t.Fatalf("search after a restart: %d leads", p.Total)
	}
}

// indexTerms lists every term of every field of the Bleve index in dir.
func indexTerms(t *testing.T, dir string) []string {
	t.Helper()
	idx, err := bleve.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	fields, err := idx.Fields()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range fields {
		dict, err := idx.FieldDict(f)
		if err != nil {
			t.Fatal(err)
		}
		for {
			e, err := dict.Next()
			if err != nil {
				t.Fatal(err)
			}
			if e == nil {
				break
			}
			out = append(out, e.Term)
		}
		_ = dict.Close()
	}
	return out
}

// indexDirs lists the index generations under a view directory.
func indexDirs(t *testing.T, dir string) []string {
	t.Helper()
	gens, err := generations(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, g := range gens {
		out = append(out, filepath.Base(g.dir))
	}
	return out
}

// A search by relevance stops counting at the cap and says so; a sorted
// search counts every match; paging a capped search visits what it
// counted once. A clean restart keeps the index; an unclean one rebuilds
// it from the store.
func TestRelevanceCapAndRestart(t *testing.T) {
	brokers := cluster(t)
	var recs []*kgo.Record
	for i := range 40 {
		recs = append(recs, leadRecord(t, fmt.Sprintf("ld_%02d", i), "Ann", fmt.Sprintf("Smith%d", i), fmt.Sprintf("ann%d@acme.com", i), "Acme Ltd", i))
	}
	recs = append(recs, leadRecord(t, "ld_zoe", "Zoë", "Müller", "zoe@bäckerei.example", "Bäckerei Zoë GmbH", 50))
	produce(t, brokers, recs...)
	dir := filepath.Join(t.TempDir(), "view")
	open := func() (*View, func()) {
		v, err := Open(Options{Dir: dir, RelevanceCap: 8})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- v.Follow(ctx, brokers, topic) }()
		<-v.Ready()
		return v, func() {
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
			if err := v.Close(); err != nil {
				t.Error(err)
			}
		}
	}
	v, stop := open()
	tests := []struct {
		name       string
		q          Query
		total      uint64
		lowerBound bool
		first      string
	}{
		{"broad word, by relevance", Query{Q: "ann", Limit: 3}, 8, true, ""},
		{"broad word, sorted", Query{Q: "ann", Sort: "fit_score", Desc: true, Limit: 3}, 40, false, "ld_39"},
		{"two words", Query{Q: "Ann Smith7"}, 1, false, "ld_07"},
		{"accents ignored", Query{Q: "zoe muller"}, 1, false, "ld_zoe"},
		{"e-mail as text", Query{Q: "zoe@backerei.example"}, 1, false, "ld_zoe"},
		{"no word", Query{Q: "@@"}, 0, false, ""},
		{"min_fit", Query{MinFit: ptr(38), Sort: "fit_score"}, 3, false, "ld_38"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Search(t.Context(), tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != tc.total || p.TotalIsLowerBound != tc.lowerBound {
				t.Fatalf("total %d (lower bound %v), want %d (%v)", p.Total, p.TotalIsLowerBound, tc.total, tc.lowerBound)
			}
			if tc.first != "" && p.Docs[0].LeadID != tc.first {
				t.Fatalf("first %s, want %s", p.Docs[0].LeadID, tc.first)
			}
		})
	}
	seen := map[string]bool{}
	for q := (Query{Q: "ann", Limit: 3, Desc: true}); ; {
		p, err := v.Search(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range p.Docs {
			if seen[d.LeadID] {
				t.Fatalf("%s twice", d.LeadID)
			}
			seen[d.LeadID] = true
		}
		if p.NextCursor == "" {
			break
		}
		q.Cursor = p.NextCursor
	}
	if len(seen) != 8 {
		t.Fatalf("paged %d leads of a capped search, want 8", len(seen))
	}
	before := indexDirs(t, dir)
	stop()

	v, stop = open()
	if after := indexDirs(t, dir); !slices.Equal(before, after) {
		t.Fatalf("a clean restart rebuilt the index: %v, then %v", before, after)
	}
	if n, _ := v.Count(); n != 41 {
		t.Fatalf("%d leads after a restart, want 41", n)
	}
	// An unclean stop: the clean mark is not written.
	v.mu.Lock()
	v.stale = true
	v.mu.Unlock()
	stop()
	v, stop = open()
	defer stop()
	if after := indexDirs(t, dir); len(after) != 1 || slices.Equal(before, after) {
		t.Fatalf("an unclean index was kept: %v, then %v", before, after)
	}
	if p, err := v.Search(t.Context(), Query{Q: "zoe"}); err != nil || p.Total != 1 {
		t.Fatalf("after a rebuild from the store: %+v %v", p, err)
	}
}

// A view closed in the middle of a bulk build drops the half-built
// generation and is not marked clean: the next Open builds the index
// from what the store read.
func TestCloseDuringBulkBuild(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "view")
	v, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	v.mu.Lock()
	err = v.startBulkLocked()
	v.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	var recs []*kgo.Record
	for i := range 12 {
		r := leadRecord(t, fmt.Sprintf("ld_%02d", i), "Ann", fmt.Sprintf("Smith%d", i), fmt.Sprintf("ann%d@acme.com", i), "Acme Ltd", i)
		r.Offset = int64(i)
		recs = append(recs, r)
	}
	if err := v.apply(recs, true); err != nil {
		t.Fatal(err)
	}
	if n, _ := v.Count(); n != 0 {
		t.Fatalf("%d leads indexed during the bulk build", n)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if gens := indexDirs(t, dir); len(gens) != 1 {
		t.Fatalf("index directories after Close: %v", gens)
	}
	v, err = Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if p, err := v.Search(t.Context(), Query{Q: "ann"}); err != nil || p.Total != 12 {
		t.Fatalf("after reopening: %+v %v", p, err)
	}
}
