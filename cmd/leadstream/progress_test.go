package main

import (
	"strings"
	"testing"
	"time"

	"github.com/leadstream/leadstream/pipeline"
)

func TestSlowestStage(t *testing.T) {
	for _, tc := range []struct {
		name string
		lags map[string]int64
		want string
		lag  int64
	}{
		{"none", nil, "", 0},
		{"all caught up", map[string]int64{"normalize": 0, "sink": 0}, "", 0},
		{"one behind", map[string]int64{"normalize": 0, "dedupe": 40, "sink": 3}, "dedupe", 40},
		{"tie by name", map[string]int64{"sink": 7, "enrich": 7}, "enrich", 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, lag := slowestStage(tc.lags)
			if name != tc.want || lag != tc.lag {
				t.Fatalf("slowestStage = %q %d, want %q %d", name, lag, tc.want, tc.lag)
			}
		})
	}
}

func TestDescribeProgress(t *testing.T) {
	s := pipeline.Summary{Read: 100, Counts: map[pipeline.Outcome]int{pipeline.OutcomeSynced: 30, pipeline.OutcomeDeadLettered: 2}}
	for _, tc := range []struct {
		name    string
		slowest string
		lag     int64
		want    string
	}{
		{"with lag", "dedupe", 12, "synced 30 · dead-lettered 2 · 16 rec/s · slowest dedupe (lag 12)"},
		{"idle", "", 0, "synced 30 · dead-lettered 2 · 16 rec/s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := describeProgress(s, 2*time.Second, tc.slowest, tc.lag); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPrintThroughput(t *testing.T) {
	var b strings.Builder
	printThroughput(&b, pipeline.Summary{Read: 10, Counts: map[pipeline.Outcome]int{pipeline.OutcomeSynced: 10}}, 4*time.Second)
	if want := "throughput              2 records/s (10 outcomes in 4s, import included)"; !strings.Contains(b.String(), want) {
		t.Fatalf("got %q, want it to contain %q", b.String(), want)
	}
}
