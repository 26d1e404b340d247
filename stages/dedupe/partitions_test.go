package dedupe

import (
	"encoding/csv"
	"hash/fnv"
	"io"
	"os"
	"testing"

	"github.com/leadstream/leadstream/internal/lead"
)

// clusterFile runs a labelled dataset through n partitions sharing one
// view, in file order: each record goes to the partition its key hashes
// to, a routed record at once to the partition it is routed to. It
// returns each record's lead.
func clusterFile(t *testing.T, path string, n int) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	g := newTestGlobal(t)
	parts := make([]*Processor, n)
	for i := range parts {
		parts[i] = openShared(t, g, int32(i), newMapState())
	}
	of := func(key string) *Processor {
		h := fnv.New32a()
		h.Write([]byte(key))
		return parts[h.Sum32()%uint32(n)]
	}
	out := map[string]string{}
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		raw := map[string]string{}
		for i, h := range head {
			if h != "entity_id" && row[i] != "" {
				raw[h] = row[i]
			}
		}
		l, _ := lead.Normalize(raw, lead.Source{Key: "csv"})
		in := envelope(raw["record_id"], l)
		run(t, of(l.PartitionKey()), in)
		for hops := 0; in.Decision == DecisionRouted && hops < 2; hops++ {
			_, key, _ := g.owner(in.LeadID)
			run(t, of(key), in)
		}
		if in.Outcome == "" && in.Decision != DecisionRouted {
			out[raw["record_id"]] = in.LeadID
		}
	}
	return out
}

// With one shared view and one order of arrival, the partition count does
// not change a single decision (issue 12).
func TestDecisionsIndependentOfPartitions(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a dataset")
	}
	for _, file := range []string{"febrl1.csv", "febrl2.csv", "splink_fake_1000.csv"} {
		one := clusterFile(t, "../../testdata/datasets/"+file, 1)
		six := clusterFile(t, "../../testdata/datasets/"+file, 6)
		// Lead ids are derived from the record that made the lead, so
		// equal clusterings have equal ids.
		diff := 0
		for id, l := range one {
			if six[id] != l {
				diff++
			}
		}
		if diff != 0 || len(one) != len(six) {
			t.Errorf("%s: %d of %d records end in another lead with 6 partitions (%d vs %d with a lead)", file, diff, len(one), len(six), len(one))
		}
	}
}
