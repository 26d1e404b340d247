package bench

import (
	"bufio"
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/bench/leadgen"
	"github.com/leadstream/leadstream/index"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/dedupe"
	"github.com/leadstream/leadstream/stages/normalize"
)

// The dedupe-at-scale benchmarks preload one partition's state with
// LEADSTREAM_BENCH_LEADS leads (default 100000) written straight through
// the dedupe stage (Processor.AddLead over a Badger store, no Kafka), then
// measure what one partition's dedupe stage does with that state.

const defaultLeads = 100000

// flushEvery is how many records make one state batch (the runner's
// default MaxBatch).
const flushEvery = 500

func benchLeads(b *testing.B) int {
	b.Helper()
	v := os.Getenv("LEADSTREAM_BENCH_LEADS")
	if v == "" {
		return defaultLeads
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("LEADSTREAM_BENCH_LEADS=%q: want a positive integer", v)
	}
	return n
}

// storeState is a dedupe.State over a Badger store with the semantics of
// pipeline.Table: reads see pending writes, Scan sees committed state,
// flush applies the pending writes as one batch.
type storeState struct {
	store   *index.Store
	pending map[string][]byte // nil: deleted
}

func newStoreState(s *index.Store) *storeState {
	return &storeState{store: s, pending: make(map[string][]byte)}
}

func (s *storeState) Get(k string) ([]byte, bool, error) {
	if v, ok := s.pending[k]; ok {
		return v, v != nil, nil
	}
	v, err := s.store.Get([]byte(k))
	if errors.Is(err, index.ErrNotFound) {
		return nil, false, nil
	}
	return v, err == nil, err
}

func (s *storeState) Put(k string, v []byte) {
	if v == nil {
		v = []byte{}
	}
	s.pending[k] = v
}

func (s *storeState) Delete(k string) { s.pending[k] = nil }

func (s *storeState) Scan(prefix string, fn func(string, []byte) (bool, error)) error {
	return s.store.Scan([]byte(prefix), func(k, v []byte) (bool, error) { return fn(string(k), v) })
}

func (s *storeState) flush() error {
	if len(s.pending) == 0 {
		return nil
	}
	changes := make([]index.Change, 0, len(s.pending))
	for k, v := range s.pending {
		changes = append(changes, index.Change{Key: []byte(k), Value: v})
	}
	clear(s.pending)
	return s.store.Apply(changes, -1)
}

// leadStream turns leadgen rows into normalised leads.
type leadStream struct {
	g    *leadgen.Generator
	t0   time.Time
	n    int
	seen map[string]bool // entities already preloaded
}

func newLeadStream() *leadStream {
	return &leadStream{g: leadgen.New(leadgen.Options{Records: 1 << 30, Seed: 1}), t0: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), seen: map[string]bool{}}
}

// next returns the next row as a lead, its record id and entity.
func (s *leadStream) next() (l lead.Lead, rid, entity string) {
	row := s.g.Next()
	s.n++
	raw := make(map[string]string, len(row))
	for i, h := range leadgen.Header {
		if row[i] != "" {
			raw[h] = row[i]
		}
	}
	rid, entity = raw["record_id"], raw["entity_id"]
	delete(raw, "record_id")
	delete(raw, "entity_id")
	return normalize.FromCanonical(raw), rid, entity
}

// scaleState is a preloaded partition.
type scaleState struct {
	dir   string
	store *index.Store
	state *storeState
	proc  *dedupe.Processor
	leads *leadStream
	took  time.Duration
}

// preload files n distinct entities as leads into a new store in dir.
// fuzzyDir "" keeps the fuzzy index off while loading (it is then
// rebuilt from the store when the stage opens with one).
func preload(b testing.TB, dir string, n int, stage dedupe.Stage) *scaleState {
	b.Helper()
	store, err := index.Open(index.DefaultOptions(filepath.Join(dir, "state")))
	if err != nil {
		b.Fatal(err)
	}
	st := newStoreState(store)
	proc, err := stage.OpenState(context.Background(), 0, st)
	if err != nil {
		b.Fatal(err)
	}
	ls := newLeadStream()
	start := time.Now()
	for added := 0; added < n; {
		l, rid, entity := ls.next()
		if ls.seen[entity] {
			continue
		}
		ls.seen[entity] = true
		id := lead.NewID("ld_", ls.t0.Add(time.Duration(ls.n)*time.Millisecond), "bench/"+rid)
		if err := proc.AddLead(id, &l); err != nil {
			b.Fatal(err)
		}
		added++
		if added%flushEvery == 0 {
			if err := st.flush(); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := st.flush(); err != nil {
		b.Fatal(err)
	}
	return &scaleState{dir: dir, store: store, state: st, proc: proc, leads: ls, took: time.Since(start)}
}

func (s *scaleState) close(b testing.TB) {
	if s.proc != nil {
		if err := s.proc.Close(); err != nil {
			b.Error(err)
		}
	}
	if err := s.store.Close(); err != nil {
		b.Error(err)
	}
}

// procStatus returns a /proc/self/status value in MiB (VmRSS, VmHWM).
func procStatus(name string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkDedupeAtScale measures one partition's dedupe stage against a
// preloaded state: each op is one incoming leadgen record (30 %
// duplicates of recent entities) through Processor.Process, with the
// state applied to Badger every 500 records as the runner does. It
// reports records/s, the per-record p50/p99 latency (Process alone; the
// batch writes count in records/s only), the process's resident and peak
// memory, and how many records asked the fuzzy index.
//
//	LEADSTREAM_BENCH_LEADS=1000000 go test ./bench -run '^$' -bench DedupeAtScale -benchtime 20000x
//
// LEADSTREAM_BENCH_VIEW=1 runs it with the process-wide view (issue 12),
// LEADSTREAM_BENCH_VIEW_BLOCKS and LEADSTREAM_BENCH_VIEW_LEADS size the
// view's caches (issue 15; `leadstream run --memory-limit 1GiB` gives
// 335544 and 26843).
func BenchmarkDedupeAtScale(b *testing.B) {
	for _, fz := range []bool{true, false} {
		name := "fuzzy"
		if !fz {
			name = "nofuzzy"
		}
		// The testing package runs a benchmark once with b.N = 1 before
		// the real run: both share one preloaded state.
		var s *scaleState
		var view *dedupe.Global // closed after the state
		defer func() {
			if s != nil {
				s.close(b)
			}
			if view != nil {
				_ = view.Close()
			}
		}()
		dir := b.TempDir()
		b.Run(name, func(b *testing.B) {
			n := benchLeads(b)
			var err error
			if s == nil {
				stage := dedupe.Stage{FuzzyDir: filepath.Join(dir, "fuzzy"), NoFuzzy: !fz}
				if os.Getenv("LEADSTREAM_BENCH_VIEW") != "" {
					// The process-wide candidate view of issue 12, as
					// system.Start configures the stage.
					stage.Global = dedupe.NewGlobal()
					// Its caches, as system.Start sizes them from the
					// memory limit (0: the view's defaults).
					for env, n := range map[string]*int{"LEADSTREAM_BENCH_VIEW_BLOCKS": &stage.Global.CacheBlocks,
						"LEADSTREAM_BENCH_VIEW_LEADS": &stage.Global.CacheLeads} {
						if v := os.Getenv(env); v != "" {
							if *n, err = strconv.Atoi(v); err != nil {
								b.Fatal(err)
							}
						}
					}
					view = stage.Global
				}
				if v := os.Getenv("LEADSTREAM_BENCH_BLOCK_CACHE"); v != "" {
					if stage.BlockCacheKeys, err = strconv.Atoi(v); err != nil {
						b.Fatal(err)
					}
				}
				s = preload(b, dir, n, stage)
				s.proc.SyncFuzzy()
				b.Logf("preloaded %d leads in %v", n, s.took.Round(time.Millisecond))
			}
			if !s.proc.KeysReady() {
				b.Fatal("blocking-key filter not built")
			}
			fz0, sk0 := s.proc.FuzzySearches(), s.proc.BlockLookupsSkipped()
			// Inputs are generated and normalised before the clock starts.
			ins := make([]*pipeline.Envelope, b.N)
			for i := range ins {
				l, rid, _ := s.leads.next()
				ins[i] = &pipeline.Envelope{TraceID: rid, Source: pipeline.Source{Provider: "bench", RecordID: rid},
					FirstSeen: s.leads.t0.Add(time.Duration(s.leads.n) * time.Millisecond), Lead: &l}
			}
			lat := make([]time.Duration, 0, b.N)
			outcomes := map[string]int{}
			// decided fingerprints every decision, merge target and review
			// candidate: equal sums mean equal decisions.
			decided := fnv.New64a()
			ctx := context.Background()
			if f := os.Getenv("LEADSTREAM_BENCH_CPUPROFILE"); f != "" && b.N > 1 {
				// The timed part only (-cpuprofile covers the preload too).
				w, err := os.Create(f)
				if err != nil {
					b.Fatal(err)
				}
				if err := pprof.StartCPUProfile(w); err != nil {
					b.Fatal(err)
				}
				defer func() { pprof.StopCPUProfile(); w.Close() }()
			}
			b.ResetTimer()
			cpu0 := processCPU()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				in := ins[i]
				t := time.Now()
				if err := s.proc.Process(ctx, in, &pipeline.Emitter{}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t))
				outcomes[in.Decision]++
				decided.Write([]byte(in.Decision + "/" + in.LeadID + "/" + string(in.Outcome) + "/" + strings.Join(in.Reasons, ",") + "\n"))
				ins[i] = nil // a runner lets go of its records too
				if (i+1)%flushEvery == 0 {
					if err := s.state.flush(); err != nil {
						b.Fatal(err)
					}
				}
			}
			if err := s.state.flush(); err != nil {
				b.Fatal(err)
			}
			elapsed := time.Since(start)
			cpu := processCPU() - cpu0
			b.StopTimer()
			slices.Sort(lat)
			q := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(q(0.50), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
			b.ReportMetric(q(0.999), "p99.9-ms")
			b.ReportMetric(procStatus("VmRSS"), "rss-MiB")
			b.ReportMetric(procStatus("VmHWM"), "hwm-MiB")
			// Resident file pages are Badger's memory-mapped tables and
			// value log: page cache the kernel can drop, unlike RssAnon.
			b.ReportMetric(procStatus("RssAnon"), "rss-anon-MiB")
			b.ReportMetric(procStatus("RssFile"), "rss-file-MiB")
			if f := os.Getenv("LEADSTREAM_BENCH_HEAPPROFILE"); f != "" && b.N > 1 {
				if w, err := os.Create(f); err == nil {
					runtime.GC()
					_ = pprof.WriteHeapProfile(w)
					w.Close()
				}
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
			b.ReportMetric(float64(ms.Sys)/(1<<20), "gosys-MiB")
			b.ReportMetric(float64(s.proc.FuzzySearches()-fz0)/float64(b.N), "fuzzy/op")
			b.ReportMetric(float64(s.proc.BlockLookupsSkipped()-sk0)/float64(b.N), "filtered/op")
			b.Logf("outcomes %v (new = the decision of a new lead; review records carry none), decisions %016x", outcomes, decided.Sum64())
			if b.N > 1 { // the last run: free the state before the next sub-benchmark
				s.close(b)
				s = nil
			}
		})
	}
}

// BenchmarkDedupeRebuild measures a cold rebuild of a preloaded partition:
// its state is produced to the dedupe changelog of an embedded broker,
// then a dedupe runner with an empty data directory is started and one
// record is sent to it; the time until its output appears, less the same
// with an empty changelog (group join, first fetch), is the restore of
// the Badger state (pipeline/restore.go). The fuzzy index is rebuilt
// afterwards in the background; its rebuild is timed apart (fuzzy-s).
//
//	LEADSTREAM_BENCH_LEADS=1000000 go test ./bench -run '^$' -bench DedupeRebuild -benchtime 1x
func BenchmarkDedupeRebuild(b *testing.B) {
	n := benchLeads(b)
	dir := b.TempDir()
	s := preload(b, dir, n, dedupe.Stage{NoFuzzy: true})
	b.Logf("preloaded %d leads in %v", n, s.took.Round(time.Millisecond))
	if err := s.proc.Close(); err != nil {
		b.Fatal(err)
	}
	s.proc = nil

	broker, err := pipeline.StartEmbedded(pipeline.EmbeddedOptions{Addr: "127.0.0.1:0", Partitions: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer broker.Close()
	ctx := context.Background()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker.Addrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchMaxBytes(512<<10), kgo.MaxBufferedRecords(100000))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()

	// Two namespaces: one with an empty changelog (the baseline), one with
	// the preloaded state.
	empty, full := pipeline.Namespace("empty"), pipeline.Namespace("full")
	adm := kadm.NewClient(cl)
	var topics []string
	for _, ns := range []pipeline.Namespace{empty, full} {
		for _, t := range []string{pipeline.ChangelogTopic("dedupe"), pipeline.TopicValid, pipeline.TopicUnique, pipeline.TopicReview, pipeline.TopicDLQ} {
			topics = append(topics, ns.Topic(t))
		}
	}
	if _, err := adm.CreateTopics(ctx, 1, 1, nil, topics...); err != nil {
		b.Fatal(err)
	}
	changelog := full.Topic(pipeline.ChangelogTopic("dedupe"))
	produced, bytes := 0, 0
	var perr error
	start := time.Now()
	err = s.store.Scan(nil, func(k, v []byte) (bool, error) {
		if len(k) > 0 && k[0] == 0 { // the store's own checkpoint
			return true, nil
		}
		produced++
		bytes += len(k) + len(v)
		cl.Produce(ctx, &kgo.Record{Topic: changelog, Partition: 0, Key: k, Value: v}, func(_ *kgo.Record, err error) {
			if err != nil && perr == nil {
				perr = err
			}
		})
		return true, nil
	})
	if err == nil {
		err = cl.Flush(ctx)
	}
	if err == nil {
		err = perr
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("changelog: %d records, %.0f MiB, produced in %v", produced, float64(bytes)/(1<<20), time.Since(start).Round(time.Millisecond))

	// The fuzzy index rebuild from the Badger match records.
	fstart := time.Now()
	proc, err := dedupe.Stage{FuzzyDir: filepath.Join(dir, "fuzzy-rebuild")}.OpenState(ctx, 0, s.state)
	if err != nil {
		b.Fatal(err)
	}
	proc.SyncFuzzy()
	fuzzyTook := time.Since(fstart)
	if err := proc.Close(); err != nil {
		b.Fatal(err)
	}
	s.close(b)

	firstOutput := func(ns pipeline.Namespace) time.Duration {
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		r, err := pipeline.NewRunner(dedupe.Stage{FuzzyDir: filepath.Join(b.TempDir(), "fuzzy")}, pipeline.RunnerOptions{
			Brokers: broker.Addrs(), DataDir: b.TempDir(), Namespace: ns, Logger: log})
		if err != nil {
			b.Fatal(err)
		}
		l := lead.Lead{FirstName: "Ada", LastName: "Lovelace", Email: "ada@analytical.example", Company: "Analytical Engines Ltd", Country: "GB"}
		env := &pipeline.Envelope{TraceID: "probe", Source: pipeline.Source{Provider: "bench", RecordID: "probe"}, FirstSeen: time.Now(), Lead: &l}
		rec, err := env.Record(ns.Topic(pipeline.TopicValid), "probe")
		if err != nil {
			b.Fatal(err)
		}
		rec.Partition = 0
		if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
			b.Fatal(err)
		}
		out, err := kgo.NewClient(kgo.SeedBrokers(broker.Addrs()...),
			kgo.ConsumeTopics(ns.Topic(pipeline.TopicUnique), ns.Topic(pipeline.TopicReview), ns.Topic(pipeline.TopicDLQ)))
		if err != nil {
			b.Fatal(err)
		}
		defer out.Close()
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- r.Run(rctx) }()
		wctx, wcancel := context.WithTimeout(ctx, 15*time.Minute)
		defer wcancel()
		for {
			fs := out.PollFetches(wctx)
			if err := wctx.Err(); err != nil {
				b.Fatalf("no output: %v", err)
			}
			if fs.NumRecords() > 0 {
				break
			}
		}
		took := time.Since(start)
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			b.Logf("runner: %v", err)
		}
		return took
	}
	if b.N > 1 {
		b.Log("one rebuild per run: -benchtime 1x")
	}
	b.ResetTimer()
	base := firstOutput(empty)
	cold := firstOutput(full)
	b.StopTimer()
	b.ReportMetric(cold.Seconds(), "first-output-s")
	b.ReportMetric(base.Seconds(), "baseline-s")
	b.ReportMetric((cold - base).Seconds(), "restore-s")
	b.ReportMetric(fuzzyTook.Seconds(), "fuzzy-s")
	b.ReportMetric(float64(produced), "changelog-records")
	b.ReportMetric(procStatus("VmHWM"), "hwm-MiB")
	b.ReportMetric(procStatus("RssAnon"), "rss-anon-MiB")
	b.ReportMetric(procStatus("RssFile"), "rss-file-MiB")
}

// The stage's decisions do not depend on the size of its block cache: a
// block the current batch changed stays cached until the batch is
// applied, however many other blocks come and go.
func TestDedupeDecisionsIndependentOfBlockCache(t *testing.T) {
	if testing.Short() {
		t.Skip("preloads Badger stores")
	}
	const leads, records, batch = 3000, 3000, 20
	run := func(keys int) uint64 {
		s := preload(t, t.TempDir(), leads, dedupe.Stage{NoFuzzy: true, BlockCacheKeys: keys})
		defer s.close(t)
		h := fnv.New64a()
		ctx := context.Background()
		for i := range records {
			l, rid, _ := s.leads.next()
			in := &pipeline.Envelope{TraceID: rid, Source: pipeline.Source{Provider: "bench", RecordID: rid},
				FirstSeen: s.leads.t0.Add(time.Duration(s.leads.n) * time.Millisecond), Lead: &l}
			if err := s.proc.Process(ctx, in, &pipeline.Emitter{}); err != nil {
				t.Fatal(err)
			}
			h.Write([]byte(in.Decision + "/" + in.LeadID + "/" + string(in.Outcome) + "/" + strings.Join(in.Reasons, ",") + "\n"))
			if (i+1)%batch == 0 {
				if err := s.state.flush(); err != nil {
					t.Fatal(err)
				}
			}
		}
		return h.Sum64()
	}
	// 1,024 keys per generation: evicted all along (3,000 leads carry
	// ~45,000 keys), yet far above the ~340 keys of one batch.
	small, large := run(1024), run(1<<22)
	if small != large {
		t.Errorf("decisions with a small block cache %016x, with one that never evicts %016x", small, large)
	}
}
