package leadsview

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
)

// timeRangeQuery matches exactly the leads updated at or after a time,
// whichever level (day, hour, minute, second, fraction) tells them apart.
func TestTimeRangeQuery(t *testing.T) {
	base := time.Date(2026, 11, 1, 15, 4, 5, 500_000_000, time.UTC)
	times := []time.Time{
		base.AddDate(0, 0, -40), base.AddDate(0, 0, -1), base.Add(-2 * time.Hour), base.Add(-time.Minute),
		base.Add(-time.Second), base.Add(-time.Millisecond), base, base.Add(time.Nanosecond), base.Add(time.Millisecond),
		base.Add(time.Second), base.Add(time.Minute), base.Add(time.Hour), base.AddDate(0, 0, 1), base.AddDate(1, 0, 0),
	}
	dir := filepath.Join(t.TempDir(), "idx")
	shards, err := buildShards(dir, func(yield func(*indexDoc) error) error {
		for i, at := range times {
			if err := yield(&indexDoc{ID: fmt.Sprintf("ld_%02d", i), Updated: at}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	idx := bleve.NewIndexAlias(shards...)
	defer func() {
		for _, s := range shards {
			_ = s.Close()
		}
	}()
	for _, since := range append(times, base.AddDate(-1, 0, 0), base.AddDate(2, 0, 0), base.In(time.FixedZone("CET", 3600))) {
		t.Run(since.Format(time.RFC3339Nano), func(t *testing.T) {
			want := 0
			for _, at := range times {
				if !at.Before(since) {
					want++
				}
			}
			res, err := idx.Search(bleve.NewSearchRequestOptions(timeRangeQuery(since), 100, 0, false))
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != uint64(want) {
				t.Fatalf("%d leads, want %d", res.Total, want)
			}
		})
	}
}
