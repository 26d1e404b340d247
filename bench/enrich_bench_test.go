package bench

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadstream/leadstream/bench/leadgen"
	"github.com/leadstream/leadstream/connectors/enrich/registry"
	"github.com/leadstream/leadstream/connectors/pull/emulators/sandbox"
	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/stages/enrich"
	"github.com/leadstream/leadstream/stages/enrich/waterfall"
)

// BenchmarkRawToSyncedEnriched runs generated leads with 40 % of the
// e-mails and phones blanked through the whole pipeline with enrichment
// on, against the provider sandbox answering in 50–200 ms. It reports the
// records/s, the provider requests/s achieved against the pacing the
// waterfall sets (the providers' rate limits), and the records/s those
// limits allow: when the achieved request rate sits at the pacing, the
// providers' limits bound the pipeline, not the stage.
// LEADSTREAM_BENCH_ENRICH_RECORDS sets the records (default 2000).
func BenchmarkRawToSyncedEnriched(b *testing.B) {
	n := 2000
	if v := os.Getenv("LEADSTREAM_BENCH_ENRICH_RECORDS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	var full bytes.Buffer
	if err := leadgen.Write(&full, leadgen.Options{Records: n, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	var blanked bytes.Buffer
	if err := leadgen.Blank(bytes.NewReader(full.Bytes()), &blanked, 0.4, 0.4, 1); err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(b.TempDir(), "blanked.csv")
	if err := os.WriteFile(file, blanked.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	people, err := sandbox.LoadPeople(bytes.NewReader(full.Bytes()))
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name, provider string
		rate           float64
		cfg            string
	}{
		// Hunter's finder takes one person a request: at 15 requests a
		// second (its published limit) it bounds the e-mail waterfall.
		{"hunter-15rps", "hunter", 15, `{"attributes": {"email": {"providers": ["hunter"], "when": {"missing": true}}},
			"providers": {"hunter": {"per_second": 15}}}`},
		// Lusha takes 100 people a request; paced at 2 requests a second
		// (a tenth of its limit, to find where the bound moves).
		{"lusha-2rps-batch100", "lusha", 2, `{"attributes": {"email": {"providers": ["lusha"], "when": {"missing": true}},
			"phone": {"providers": ["lusha"], "when": {"missing": true}}},
			"providers": {"lusha": {"per_second": 2}}}`},
		// Lusha at its published 25 requests a second.
		{"lusha-25rps-batch100", "lusha", 25, `{"attributes": {"email": {"providers": ["lusha"], "when": {"missing": true}},
			"phone": {"providers": ["lusha"], "when": {"missing": true}}},
			"providers": {"lusha": {"per_second": 25}}}`},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			cfg, err := waterfall.Parse([]byte(tc.cfg))
			if err != nil {
				b.Fatal(err)
			}
			var elapsed time.Duration
			var requests int
			var tot enrich.Totals
			b.ResetTimer()
			b.StopTimer()
			for i := 0; i < b.N; i++ {
				sb := sandbox.New(sandbox.Options{People: people, MinLatency: 50 * time.Millisecond, MaxLatency: 200 * time.Millisecond})
				hs := httptest.NewServer(sb)
				env := map[string]string{}
				for _, kv := range sandbox.Env(hs.URL, "") {
					k, v, _ := strings.Cut(kv, "=")
					env[k] = v
				}
				cl, err := registry.Build(cfg.ProviderNames(), func(k string) string { return env[k] }, map[string]float64{tc.provider: tc.rate}, nil)
				if err != nil {
					b.Fatal(err)
				}
				opts := options(b, "enrich", i)
				st := enrich.New(enrich.Options{Waterfall: &cfg, Providers: cl.People, Companies: cl.Companies, Partitions: 6})
				opts.StageConfig = system.StageConfig{Enrich: st}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
				s, err := system.Start(ctx, opts)
				if err != nil {
					cancel()
					b.Fatal(err)
				}
				start := time.Now()
				b.StartTimer()
				res, err := s.Import(ctx, file)
				if err == nil {
					var sum interface{ Check() error }
					sm, werr := s.WaitForOutcomes(ctx, res, nil)
					sum, err = sm, werr
					if err == nil {
						err = sum.Check()
					}
				}
				b.StopTimer()
				elapsed += time.Since(start)
				s.Close()
				cancel()
				hs.Close()
				if err != nil {
					b.Fatal(err)
				}
				requests += map[string]int{"hunter": sb.Hunter.Kit.Requests(), "lusha": sb.Lusha.Kit.Requests()}[tc.provider]
				tot = st.Metrics().Totals()
			}
			secs := elapsed.Seconds()
			b.ReportMetric(float64(n*b.N)/secs, "records/s")
			b.ReportMetric(float64(requests)/secs, "provider-req/s")
			b.ReportMetric(tc.rate, "paced-req/s")
			// What the pacing alone allows: every request spaced at the rate.
			bound := float64(n*b.N) / (float64(requests) / tc.rate)
			b.ReportMetric(bound, "rate-bound-records/s")
			b.Logf("records=%d requests=%d elapsed=%s enrich=%+v", n, requests/b.N, (elapsed / time.Duration(b.N)).Round(time.Millisecond), tot)
		})
	}
}
