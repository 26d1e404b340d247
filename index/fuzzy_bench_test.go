package index

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadstream/leadstream/bench/leadgen"
)

// BenchmarkFuzzySearch measures the fuzzy candidate index on its own:
// LEADSTREAM_BENCH_LEADS leadgen entities (default 100000) are indexed in
// batches of 2000 (index-s), then each op searches for the next leadgen
// row (30 % noisy duplicates of recent entities) with the dedupe stage's
// limit of 10; p50/p99 are per search.
//
//	LEADSTREAM_BENCH_LEADS=1000000 go test ./index -run '^$' -bench FuzzySearch -benchtime 2000x
func BenchmarkFuzzySearch(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("LEADSTREAM_BENCH_LEADS")); err == nil && v > 0 {
		n = v
	}
	col := map[string]int{}
	for i, h := range leadgen.Header {
		col[h] = i
	}
	doc := func(row []string) FuzzyDoc {
		g := func(k string) string { return row[col[k]] }
		d := FuzzyDoc{Names: []string{g("first_name"), g("last_name")}, Companies: []string{g("company")}, Cities: []string{g("city")}}
		if e := g("email"); strings.Contains(e, "@") {
			d.Locals = []string{e[:strings.IndexByte(e, '@')]}
		}
		return d
	}
	f, _, err := OpenFuzzy(filepath.Join(b.TempDir(), "fz"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close(false)
	g := leadgen.New(leadgen.Options{Records: 1 << 30, Seed: 1})
	start := time.Now()
	batch := f.NewBatch()
	for i := 0; i < n; i++ {
		row := g.Next()
		if err := batch.Put(row[col["record_id"]], doc(row)); err != nil {
			b.Fatal(err)
		}
		if batch.Size() >= 2000 {
			if err := batch.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := batch.Commit(); err != nil {
		b.Fatal(err)
	}
	indexed := time.Since(start)
	queries := make([]FuzzyDoc, b.N)
	for i := range queries {
		queries[i] = doc(g.Next())
	}
	lat := make([]time.Duration, 0, b.N)
	hits := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		ids, err := f.Search(queries[i], 10)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
		hits += len(ids)
	}
	b.StopTimer()
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(indexed.Seconds(), "index-s")
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
}
