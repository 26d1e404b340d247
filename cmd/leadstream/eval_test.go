package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segmentio/encoding/json"
)

// eval reports how a person-only file spread over the dedupe partitions
// (issue 12): every partition gets records, and every record is counted
// once.
func TestEvalReportsDedupeInputPerPartition(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the pipeline")
	}
	firsts := []string{"Ann", "Ben", "Cleo", "Dan", "Eva", "Finn", "Gus", "Hana", "Ivo", "Jill"}
	lasts := []string{"Abbott", "Barnes", "Cortez", "Dunne", "Ellis", "Foster"}
	var b strings.Builder
	b.WriteString("record_id,entity_id,first_name,last_name,street,city,postcode,country\n")
	n := 0
	for i, f := range firsts {
		for j, l := range lasts {
			fmt.Fprintf(&b, "r%d,e%d,%s,%s,%d Main Street,Springfield,%d,AU\n", n, n, f, l, 10+i, 2000+j)
			n++
		}
	}
	file := filepath.Join(t.TempDir(), "persons.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if err := evalCmd(context.Background(), []string{"--file", file, "--partitions", "3"}, &out, &errb); err != nil {
		t.Fatalf("eval: %v\n%s", err, errb.String())
	}
	var rep evalReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	sum := 0
	for p, c := range rep.DedupeInput {
		if c == 0 {
			t.Errorf("partition %d got no record: %v", p, rep.DedupeInput)
		}
		sum += c
	}
	if len(rep.DedupeInput) != 3 || sum != n {
		t.Errorf("dedupe input per partition %v (sum %d), want 3 partitions summing to %d", rep.DedupeInput, sum, n)
	}
}
