package keyring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

const topic = pipeline.TopicKeyring

func cluster(t *testing.T) (*kfake.Cluster, *kgo.Client) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return c, cl
}

func follower(t *testing.T, c *kfake.Cluster, cl *kgo.Client, secret string) *Keyring {
	t.Helper()
	k, err := New(topic, []byte(secret), cl, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := k.Follow(ctx, c.ListenAddrs()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-k.Ready():
	case <-time.After(time.Minute):
		t.Fatal("keyring never ready")
	}
	return k
}

func TestSealOpenForget(t *testing.T) {
	ctx := context.Background()
	c, cl := cluster(t)
	a := follower(t, c, cl, "secret")
	pt := []byte(`{"email":"greta@initech.example"}`)
	cases := []struct{ subject, aad string }{
		{pipeline.SourceSubject(pipeline.Source{Provider: "csv", RecordID: "r1"}), "imp:1"},
		{pipeline.SourceSubject(pipeline.Source{Provider: "csv", RecordID: "r2"}), "imp:2"},
		{pipeline.LeadSubject("ld_1"), "imp:1"},
		{pipeline.SourceSubject(pipeline.Source{Provider: "csv", RecordID: "other"}), "imp:3"},
	}
	sealed := map[string][]byte{}
	for _, tc := range cases {
		ct, err := a.Seal(tc.subject, pt, []byte(tc.aad))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(ct, []byte("greta")) {
			t.Fatalf("%s: plaintext in the sealed data", tc.subject)
		}
		sealed[tc.subject] = ct
	}
	a.Link(cases[0].subject, "ld_1")
	a.Link(cases[1].subject, "ld_1")
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// Another process reads the keys from the topic.
	b := follower(t, c, cl, "secret")
	for _, tc := range cases {
		got, err := b.Open(ctx, tc.subject, sealed[tc.subject], []byte(tc.aad))
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("%s: %q %v", tc.subject, got, err)
		}
		if _, err := b.Open(ctx, tc.subject, sealed[tc.subject], []byte("another trace")); err == nil {
			t.Fatalf("%s: opened with the wrong associated data", tc.subject)
		}
	}
	n, err := a.Forget(ctx, "ld_1")
	if err != nil || n != 3 {
		t.Fatalf("forget: %d keys, %v (want the lead's and its two source records')", n, err)
	}
	if _, err := a.Seal(cases[2].subject, pt, nil); !errors.Is(err, pipeline.ErrErased) {
		t.Fatalf("seal for a forgotten lead: %v", err)
	}
	// Only the key left is still cached as a cipher.
	if n := a.ciphers.len(); n != 1 {
		t.Fatalf("%d ciphers cached after forget, want 1", n)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range []*Keyring{a, b} {
		for i, tc := range cases {
			_, err := k.Open(ctx, tc.subject, sealed[tc.subject], []byte(tc.aad))
			if erased := errors.Is(err, pipeline.ErrErased); erased != (i < 3) {
				t.Fatalf("%s after forget: %v", tc.subject, err)
			}
		}
	}
	// After a restart and a compaction the deleted keys are gone from the
	// log, the others are read back.
	c.Compact()
	r := follower(t, c, cl, "secret")
	if r.Len() != 1 || !r.Has(cases[3].subject) {
		t.Fatalf("restarted keyring holds %d keys", r.Len())
	}
	// A process with another secret cannot unwrap the keys.
	w := follower(t, c, cl, "wrong")
	if w.Len() != 0 {
		t.Fatalf("keys unwrapped with the wrong secret: %d", w.Len())
	}
}

func TestSealedEnvelopeRoundTrip(t *testing.T) {
	ctx := context.Background()
	c, cl := cluster(t)
	k := follower(t, c, cl, "secret")
	l := &lead.Lead{FirstName: "Greta", LastName: "Okafor", Email: "greta@initech.example", Phone: "+442079460100",
		Provenance: map[string][]lead.Observation{"email": {{Value: "greta@initech.example", Source: "csv", SourceRecordID: "r1", ObservedAt: time.Unix(1, 0).UTC()}}}}
	src := pipeline.Source{Provider: "csv", RecordID: "r1", File: "f.csv", Line: 2}
	cases := []struct {
		name, topic string
		env         pipeline.Envelope
		subject     string
	}{
		{"raw", pipeline.TopicRaw, pipeline.Envelope{TraceID: "imp:2", Source: src, Raw: map[string]string{"email": "greta@initech.example"}}, pipeline.SourceSubject(src)},
		{"normalized", pipeline.TopicNormalized, pipeline.Envelope{TraceID: "imp:2", Source: src, Lead: l}, pipeline.SourceSubject(src)},
		{"unique", pipeline.TopicUnique, pipeline.Envelope{TraceID: "imp:2", Source: src, Lead: l, LeadID: "ld_9", Decision: "new"}, pipeline.LeadSubject("ld_9")},
		{"current", "ns." + pipeline.TopicCurrent, pipeline.Envelope{TraceID: "imp:2", Source: src, Lead: l, LeadID: "ld_9"}, pipeline.LeadSubject("ld_9")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env
			rec, err := env.SealedRecord(k, tc.topic, "key")
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{"greta", "Greta", "Okafor", "2079460100"} {
				if bytes.Contains(rec.Value, []byte(s)) {
					t.Fatalf("%q in the sealed record: %s", s, rec.Value)
				}
			}
			if !bytes.Contains(rec.Value, []byte(tc.subject)) {
				t.Fatalf("not sealed under %s: %s", tc.subject, rec.Value)
			}
			if _, err := pipeline.DecodeEnvelope(rec); !errors.Is(err, pipeline.ErrSealedNoKeyring) {
				t.Fatalf("decoded without a keyring: %v", err)
			}
			got, err := pipeline.OpenEnvelope(ctx, rec, k)
			if err != nil {
				t.Fatal(err)
			}
			if tc.env.Raw != nil && got.Raw["email"] != "greta@initech.example" {
				t.Fatalf("raw %v", got.Raw)
			}
			// (after dedupe only the selected values' provenance travels)
			if tc.env.Lead != nil && (got.Lead.Email != l.Email || tc.env.LeadID == "" && len(got.Lead.Provenance["email"]) != 1) {
				t.Fatalf("lead %+v", got.Lead)
			}
		})
	}
	// The unique record linked its source record to the lead: forgetting
	// the lead makes every one of them unreadable.
	if err := k.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	recs := make([]*kgo.Record, len(cases))
	for i, tc := range cases {
		env := tc.env
		recs[i], _ = env.SealedRecord(k, tc.topic, "key")
	}
	if _, err := k.Forget(ctx, "ld_9"); err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		env, err := pipeline.OpenEnvelope(ctx, r, k)
		if !errors.Is(err, pipeline.ErrErased) || env == nil || env.TraceID != "imp:2" || env.Lead != nil || env.Raw != nil {
			t.Fatalf("%s after erasure: %+v %v", cases[i].name, env, err)
		}
	}
	// Envelopes written without sealing are read as before.
	plain, err := (&pipeline.Envelope{TraceID: "t", Lead: l}).Record(pipeline.TopicNormalized, "k")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := pipeline.OpenEnvelope(ctx, plain, k); err != nil || got.Lead.Email != l.Email {
		t.Fatalf("plain record: %v", err)
	}
}

// BenchmarkSeal is the cost of sealing one envelope-sized value under a
// key already made, and the memory each held key takes.
func BenchmarkSeal(b *testing.B) {
	k, err := New(topic, []byte("secret"), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	pt := bytes.Repeat([]byte("x"), 1200) // about a canonical lead's JSON
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const keys = 100000
	for i := range keys {
		if _, err := k.Seal(fmt.Sprintf("src/csv/r%012x", i), pt[:1], nil); err != nil {
			b.Fatal(err)
		}
	}
	k.pending = nil
	runtime.GC()
	runtime.ReadMemStats(&after)
	subjects := make([]string, keys)
	for i := range subjects {
		subjects[i] = fmt.Sprintf("src/csv/r%012x", i)
	}
	for i := 0; b.Loop(); i++ {
		if _, err := k.Seal(subjects[i%keys], pt, []byte("imp:1")); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/keys, "heap-B/key")
}
