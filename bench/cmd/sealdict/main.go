// Command sealdict builds a dictionary for internal/dictcomp from the
// sealed envelopes that a stopped `leadstream run` left on its embedded
// broker: it opens each envelope with the data dir's keyring, takes the
// personal data as sealing compresses it (MessagePack), samples up to
// -per-topic records of each topic that carries envelopes, and writes an
// S2 dictionary of at most 64 KiB.
//
//	go run ./bench/cmd/leadgen -n 4000 -seed 7 -o /tmp/d.csv
//	leadstream run --data-dir /tmp/d --import /tmp/d.csv --until-idle
//	go run ./bench/cmd/sealdict -data-dir /tmp/d -o internal/dictcomp/dict-N.s2dict
//
// A released dictionary never changes (records made with it must stay
// readable): write a new number and add it to internal/dictcomp.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/klauspost/compress/dict"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/dictcomp"
	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/pipeline"
)

func main() {
	dataDir := flag.String("data-dir", "./data", "data directory of a stopped leadstream run (embedded broker)")
	out := flag.String("o", "", "dictionary file to write (required)")
	perTopic := flag.Int("per-topic", 2000, "records sampled from each topic")
	flag.Parse()
	if *out == "" {
		log.Fatal("sealdict: -o is required")
	}
	if err := run(*dataDir, *out, *perTopic); err != nil {
		log.Fatal(err)
	}
}

// topics carry envelopes; each step of a lead is sampled alike.
var topics = []string{pipeline.TopicRaw, pipeline.TopicNormalized, pipeline.TopicValid, pipeline.TopicUnique,
	pipeline.TopicEnriched, pipeline.TopicSynced, pipeline.TopicCurrent}

func run(dataDir, out string, perTopic int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s, err := system.Start(ctx, system.Options{DataDir: dataDir, EmbeddedAddr: "127.0.0.1:0", Stages: []string{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	defer s.Close()
	var samples [][]byte
	for _, topic := range topics {
		n, err := sample(ctx, s, topic, perTopic, func(b []byte) { samples = append(samples, b) })
		if err != nil {
			return fmt.Errorf("%s: %w", topic, err)
		}
		fmt.Printf("%-20s %6d records sampled\n", topic, n)
	}
	if len(samples) == 0 {
		return errors.New("sealdict: no sealed envelopes found")
	}
	d, err := dict.BuildS2Dict(samples, dict.Options{MaxDictSize: 64 << 10, HashBytes: 6})
	if err != nil {
		return fmt.Errorf("sealdict: %w", err)
	}
	if err := os.WriteFile(out, d, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d bytes from %d samples\n", out, len(d), len(samples))
	return nil
}

// sample reads topic to its end and gives the personal data of its first
// max envelopes to add.
func sample(ctx context.Context, s *system.System, topic string, max int, add func([]byte)) (int, error) {
	n := 0
	var serr error
	err := pipeline.ReadTopic(ctx, s.Brokers(), topic, func(r *kgo.Record) {
		if n >= max || serr != nil {
			return
		}
		env, err := pipeline.OpenEnvelope(ctx, r, s.Keyring())
		if err != nil || env == nil {
			return // not an envelope, or erased
		}
		// Sealed again, the plaintext exactly as the stage sealed it.
		var c capture
		if _, serr = env.SealedRecord(&c, r.Topic, string(r.Key)); serr == nil && c.plain != nil {
			add(c.plain)
			n++
		}
	})
	return n, errors.Join(err, serr)
}

// capture is a pipeline.Sealer that keeps what it is given to seal, the
// plaintext compressed by internal/dictcomp.
type capture struct{ plain []byte }

func (c *capture) Seal(_ string, z, _ []byte) ([]byte, error) {
	b, err := dictcomp.Decode(z)
	if err != nil {
		return nil, err
	}
	c.plain = b
	return z, nil
}

func (c *capture) Open(context.Context, string, []byte, []byte) ([]byte, error) {
	return nil, errors.New("sealdict: capture cannot open")
}

func (c *capture) Link(string, string) {}
