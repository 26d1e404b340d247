package bench

import (
	"encoding/csv"
	"io"
	"os"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/stages/normalize"
)

// TestPersonOnlyStreamSpreads checks that a person-only stream (febrl2:
// names and addresses, no e-mail, phone or company) spreads over every
// partition (issue 12): the keys the pipeline gives its records, through
// the producer's own partitioner, land on all six partitions, where they
// used to land on one (p:AU). It logs the counts per partition.
func TestPersonOnlyStreamSpreads(t *testing.T) {
	f, err := os.Open("../testdata/datasets/febrl2.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	const partitions = 6
	part := kgo.StickyKeyPartitioner(nil).ForTopic("leads.valid")
	counts := make([]int, partitions)
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
		l := normalize.FromCanonical(raw)
		counts[part.Partition(&kgo.Record{Key: []byte(l.PartitionKey())}, partitions)]++
	}
	t.Logf("febrl2 records per partition (of %d): %v", partitions, counts)
	for p, n := range counts {
		if n == 0 {
			t.Errorf("partition %d gets no person-only record: %v", p, counts)
		}
	}
}
