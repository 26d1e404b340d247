// Command topicbytes reports, for each topic of a stopped `leadstream run`'s
// embedded broker, its records, its bytes on disk and the bytes per record,
// and the non-compacted topics' bytes per lead read (-leads): the wire size
// of the envelopes as the broker stores them.
//
//	go run ./bench/cmd/topicbytes -data-dir ./data -leads 200000
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/pipeline"
)

func main() {
	dataDir := flag.String("data-dir", "./data", "data directory of a stopped leadstream run (embedded broker)")
	leads := flag.Int("leads", 0, "records imported, for the bytes per lead of the non-compacted topics (0: leads.raw's record count)")
	flag.Parse()
	if err := run(*dataDir, *leads); err != nil {
		log.Fatal(err)
	}
}

func run(dataDir string, leads int) error {
	sizes, err := topicSizes(filepath.Join(dataDir, "broker", "partitions"))
	if err != nil {
		return err
	}
	b, err := pipeline.StartEmbedded(pipeline.EmbeddedOptions{DataDir: dataDir, Addr: "127.0.0.1:0"})
	if err != nil {
		return err
	}
	defer b.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var names []string
	for t := range sizes {
		names = append(names, t)
	}
	sort.Strings(names)
	ends, err := adm.ListEndOffsets(ctx, names...)
	if err != nil {
		return err
	}
	starts, err := adm.ListStartOffsets(ctx, names...)
	if err != nil {
		return err
	}
	counts := map[string]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		s, _ := starts.Lookup(o.Topic, o.Partition)
		counts[o.Topic] += o.Offset - s.Offset
	})
	if leads <= 0 {
		leads = int(counts[pipeline.TopicRaw])
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "topic\trecords\tMiB\tbytes/record\tbytes/lead\t")
	var plain int64
	for _, t := range names {
		per := 0.0
		if counts[t] > 0 {
			per = float64(sizes[t]) / float64(counts[t])
		}
		fmt.Fprintf(w, "%s\t%d\t%.1f\t%.0f\t%.0f\t\n", t, counts[t], float64(sizes[t])/(1<<20), per, float64(sizes[t])/float64(leads))
		if !strings.HasPrefix(t, "leadstream.") && t != pipeline.TopicSuppressions && t != pipeline.TopicCurrent && !strings.HasPrefix(t, "__") {
			plain += sizes[t]
		}
	}
	fmt.Fprintf(w, "non-compacted topics\t\t%.1f\t\t%.0f\t\n", float64(plain)/(1<<20), float64(plain)/float64(leads))
	return w.Flush()
}

// topicSizes sums the file sizes under each "<topic>-<partition>" directory.
func topicSizes(dir string) (map[string]int64, error) {
	out := map[string]int64{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		part := strings.SplitN(rel, string(filepath.Separator), 2)[0]
		i := strings.LastIndexByte(part, '-')
		if i <= 0 {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out[part[:i]] += info.Size()
		return nil
	})
	return out, err
}
