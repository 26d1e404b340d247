package bench

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/bench/leadgen"
	"github.com/leadstream/leadstream/internal/api"
	"github.com/leadstream/leadstream/internal/apikey"
	"github.com/leadstream/leadstream/internal/keyring"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/internal/leadsview"
	"github.com/leadstream/leadstream/pipeline"
)

// The leads-view benchmark puts LEADSTREAM_BENCH_VIEW_LEADS leads (default
// 100000) on leads.current of a kfake broker, sealed as the pipeline seals
// them (its log on disk; the Go runtime set as `leadstream run` sets it,
// runDefaults), builds a view
// from it as an API process does when its directory is lost (the cold
// rebuild, timed), then times GET /api/leads?q=… through the API handler
// (key check, search, the page's documents from Badger, JSON): p50 and p99
// over the benchmark's requests.

// plainViewBench (LEADSTREAM_BENCH_VIEW_PLAIN=1) sets the benchmark up as
// stops 17–19 measured it, to compare with their figures: records not
// sealed, the broker's log in memory, the Go runtime's own defaults.
func plainViewBench() bool { return os.Getenv("LEADSTREAM_BENCH_VIEW_PLAIN") == "1" }

type viewFixture struct {
	leads   int
	rebuild time.Duration
	// rebuildCPU is the CPU time (user+system) the whole process spent
	// during the rebuild (the embedded broker serving it included);
	// load the 1-minute load average when it ended.
	rebuildCPU time.Duration
	load       float64
	view       *leadsview.View
	handler    http.Handler
	key        string
	names      [][2]string // first, last of generated leads
	emails     []string
}

var (
	viewOnce sync.Once
	viewFix  *viewFixture
	viewErr  error
)

func viewLeads() int {
	if v, err := strconv.Atoi(os.Getenv("LEADSTREAM_BENCH_VIEW_LEADS")); err == nil && v > 0 {
		return v
	}
	return defaultLeads
}

func buildViewFixture(b *testing.B) *viewFixture {
	viewOnce.Do(func() { viewFix, viewErr = newViewFixture(viewLeads()) })
	if viewErr != nil {
		b.Fatal(viewErr)
	}
	return viewFix
}

func newViewFixture(n int) (*viewFixture, error) {
	ctx := context.Background()
	topic := pipeline.TopicCurrent
	dir, err := os.MkdirTemp("", "leadsview-bench-")
	if err != nil {
		return nil, err
	}
	// The broker keeps its log on disk, as the embedded broker of
	// `leadstream run` does: in memory, a million records would be most of
	// the heap the garbage collector works over.
	kopts := []kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(6, topic), kfake.SeedTopics(1, pipeline.TopicKeyring)}
	if !plainViewBench() {
		kopts = append(kopts, kfake.DataDir(filepath.Join(dir, "broker")))
	}
	c, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic(topic),
		kgo.ProducerLinger(5*time.Millisecond), kgo.MaxBufferedRecords(50000), kgo.ProducerBatchMaxBytes(1<<20))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	// Records are sealed as the pipeline seals them; the view opens them
	// with the same keyring (a process that has read the keyring topic).
	kr, err := keyring.New(pipeline.TopicKeyring, []byte("bench secret"), cl, nil)
	if err != nil {
		return nil, err
	}
	var sealer pipeline.Sealer = kr
	if plainViewBench() {
		sealer = nil
	}
	f := &viewFixture{leads: n}
	g := leadgen.New(leadgen.Options{Records: n, DuplicateRate: 0.0001, Seed: 11})
	rng := rand.New(rand.NewPCG(3, 4))
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var perr error
	var mu sync.Mutex
	for i := range n {
		row := g.Next() // record_id,entity_id,first,last,email,phone,title,company,domain,street,city,state,postcode,country
		id := fmt.Sprintf("ld_%010d", i)
		src := pipeline.Source{Provider: "apollo", RecordID: row[0]}
		l := &lead.Lead{V: lead.Version, FirstName: row[2], LastName: row[3], FullName: row[2] + " " + row[3], Email: row[4],
			Phone: row[5], Title: row[6], Company: row[7], Domain: row[8], City: row[10], Country: row[13],
			QualityScore: 40 + rng.IntN(60), FitScore: rng.IntN(100), FitBucket: []string{"hot", "warm", "cold"}[rng.IntN(3)]}
		for _, a := range [][2]string{{"email", row[4]}, {"first_name", row[2]}, {"last_name", row[3]}, {"company", row[7]}} {
			l.Observe(a[0], lead.Observation{Value: a[1], Source: "apollo", SourceRecordID: row[0], ObservedAt: now, Selected: true})
		}
		env := &pipeline.Envelope{TraceID: "b:" + row[0], LeadID: id, Source: src, FirstSeen: now, Lead: l, Outcome: pipeline.OutcomeSynced,
			Halo: &pipeline.HaloRef{TicketID: i + 1, StatusID: 1 + rng.IntN(4)}}
		rec, err := env.SealedRecord(sealer, topic, id)
		if err != nil {
			return nil, err
		}
		cl.Produce(ctx, rec, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				perr = err
				mu.Unlock()
			}
		})
		if i%97 == 0 {
			f.names = append(f.names, [2]string{row[2], row[3]})
			f.emails = append(f.emails, row[4])
		}
	}
	if err := kr.Flush(ctx); err != nil {
		return nil, err
	}
	if err := cl.Flush(ctx); err != nil {
		return nil, err
	}
	if perr != nil {
		return nil, perr
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// LEADSTREAM_BENCH_VIEW_CPUPROFILE=file profiles the rebuild alone.
	stopProfile := func() {}
	if path := os.Getenv("LEADSTREAM_BENCH_VIEW_CPUPROFILE"); path != "" {
		w, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(w); err != nil {
			return nil, err
		}
		stopProfile = func() { pprof.StopCPUProfile(); _ = w.Close() }
	}
	start, cpu0 := time.Now(), processCPU()
	v, err := leadsview.Open(leadsview.Options{Dir: filepath.Join(dir, "view"), Logger: log, Sealer: sealer})
	if err != nil {
		return nil, err
	}
	go func() { _ = v.Follow(context.Background(), c.ListenAddrs(), topic) }()
	<-v.Ready()
	f.rebuild, f.rebuildCPU, f.load = time.Since(start), processCPU()-cpu0, loadAverage()
	stopProfile()
	f.view = v
	if got, err := v.Count(); err != nil || got != uint64(n) {
		return nil, fmt.Errorf("the rebuilt view indexes %d leads (%v), want %d", got, err, n)
	}
	keys := apikey.Open(apikey.Path(dir))
	if f.key, _, err = keys.Create("bench", apikey.RoleViewer); err != nil {
		return nil, err
	}
	f.handler, err = api.New(api.Options{Producer: cl, Keys: keys, Leads: v, Logger: log, KeyRate: 1 << 30})
	return f, err
}

// BenchmarkLeadsViewQuery measures GET /api/leads?q=… over the view: a
// quarter each full name, first name, full name with filters and a sort,
// and an exact e-mail.
func BenchmarkLeadsViewQuery(b *testing.B) {
	if !plainViewBench() {
		runDefaults(b)
	}
	f := buildViewFixture(b)
	rng := rand.New(rand.NewPCG(5, 6))
	var lat []time.Duration
	cpu0 := processCPU()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		nm := f.names[rng.IntN(len(f.names))]
		q := url.Values{}
		switch i % 4 {
		case 0:
			q.Set("q", nm[0]+" "+nm[1])
		case 1:
			q.Set("q", nm[0])
		case 2:
			q.Set("q", nm[1])
			q.Set("min_fit", "50")
			q.Set("sort", "fit_score")
		case 3:
			q.Set("email", f.emails[rng.IntN(len(f.emails))])
		}
		req := httptest.NewRequest("GET", "/api/leads?"+q.Encode(), nil)
		req.Header.Set("X-API-Key", f.key)
		w := httptest.NewRecorder()
		t0 := time.Now()
		f.handler.ServeHTTP(w, req)
		lat = append(lat, time.Since(t0))
		if w.Code != 200 {
			b.Fatalf("%s: %d %s", req.URL, w.Code, w.Body.String())
		}
	}
	b.StopTimer()
	queryCPU := processCPU() - cpu0
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(f.rebuild.Seconds(), "rebuild-s")
	b.ReportMetric(f.rebuildCPU.Seconds(), "rebuild-cpu-s")
	b.ReportMetric(f.load, "load1")
	b.ReportMetric(float64(f.leads), "leads")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	// CPU per request (the whole process, so background work too): on a
	// loaded machine the wall-clock percentiles include waiting for a core.
	b.ReportMetric(float64(queryCPU.Microseconds())/1000/float64(len(lat)), "cpu-ms/query")
	b.ReportMetric(loadAverage(), "load1-after")
	b.ReportMetric(0, "ns/op")
}

// loadAverage is the 1-minute load average (0 where /proc is missing).
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	return f
}
