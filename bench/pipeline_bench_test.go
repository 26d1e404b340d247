// Package bench holds end-to-end benchmarks of the leadstream pipeline.
//
// They run on the embedded broker (kfake) by default, or on the real
// brokers of LEADSTREAM_TEST_BROKERS (comma-separated), each iteration in
// its own namespace. LEADSTREAM_BENCH_RECORDS sets the records per file
// (default 20000). See README.md.
package bench

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadstream/leadstream/bench/leadgen"
	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/pipeline"
)

const defaultRecords = 20000

// benchRecords is the number of records per generated file.
func benchRecords(b *testing.B) int {
	b.Helper()
	v := os.Getenv("LEADSTREAM_BENCH_RECORDS")
	if v == "" {
		return defaultRecords
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("LEADSTREAM_BENCH_RECORDS=%q: want a positive integer", v)
	}
	return n
}

// benchBrokers returns the brokers of LEADSTREAM_TEST_BROKERS, or nil for
// the embedded broker.
func benchBrokers() []string {
	if v := os.Getenv("LEADSTREAM_TEST_BROKERS"); v != "" {
		return strings.Split(v, ",")
	}
	return nil
}

// writeCSV generates a canonical CSV of n records into a temporary dir.
func writeCSV(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "leads.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := leadgen.Write(f, leadgen.Options{Records: n, Seed: 1}); err != nil {
		f.Close()
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// options returns the options of iteration i: a fresh data directory and,
// on a real broker, a namespace of its own.
func options(b *testing.B, name string, i int) system.Options {
	b.Helper()
	opts := system.Options{
		Brokers:      benchBrokers(),
		EmbeddedAddr: "127.0.0.1:0",
		DataDir:      b.TempDir(),
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if len(opts.Brokers) > 0 {
		opts.Namespace = pipeline.Namespace(fmt.Sprintf("bench-%s-%d-%d-%d", name, os.Getpid(), time.Now().UnixNano(), i))
	}
	return opts
}

// runDefaults gives the benchmark the Go runtime settings `leadstream run`
// starts with (system.SetMemoryLimit with the default --memory-limit, or
// with LEADSTREAM_BENCH_MEMORY_LIMIT_MIB as --memory-limit), and puts the
// previous ones back when it ends.
func runDefaults(b *testing.B) {
	b.Helper()
	limit := debug.SetMemoryLimit(-1)
	gc := debug.SetGCPercent(-1)
	debug.SetGCPercent(gc)
	n := int64(system.DefaultMemoryLimit)
	if mib, err := strconv.ParseInt(os.Getenv("LEADSTREAM_BENCH_MEMORY_LIMIT_MIB"), 10, 64); err == nil && mib > 0 {
		n = mib << 20
	}
	system.SetMemoryLimit(n)
	b.Cleanup(func() {
		debug.SetMemoryLimit(limit)
		debug.SetGCPercent(gc)
	})
}

// timeout bounds one iteration, so a stalled pipeline fails the benchmark
// instead of hanging it.
func timeout(n int) time.Duration {
	return 2*time.Minute + time.Duration(n)*5*time.Millisecond
}

// BenchmarkRawToSynced measures end-to-end throughput: importing a file
// into leads.raw and waiting until every record has reached an outcome
// through normalize → validate → dedupe → enrich → sink. Broker and stage
// start-up and shutdown are not timed.
func BenchmarkRawToSynced(b *testing.B) {
	runDefaults(b)
	n := benchRecords(b)
	file := writeCSV(b, n)
	var elapsed, cpu time.Duration
	var disk, leads int64
	var last pipeline.Summary
	b.ResetTimer()
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), timeout(n))
		opts := options(b, "e2e", i)
		s, err := system.Start(ctx, opts)
		if err != nil {
			cancel()
			b.Fatal(err)
		}
		start, startCPU := time.Now(), processCPU()
		b.StartTimer()
		res, err := s.Import(ctx, file)
		if err != nil {
			b.StopTimer()
			s.Close()
			cancel()
			b.Fatalf("import: %v", err)
		}
		sum, err := s.WaitForOutcomes(ctx, res, nil)
		b.StopTimer()
		elapsed += time.Since(start)
		cpu += processCPU() - startCPU
		errs := s.Errors()
		s.Close()
		cancel()
		disk += dirBytes(opts.DataDir)
		leads += int64(sum.Counts[pipeline.OutcomeSynced])
		if err != nil {
			b.Fatalf("wait: %v (summary %+v, stage errors %v)", err, sum, errs)
		}
		if err := sum.Check(); err != nil {
			b.Fatalf("%v (summary %+v)", err, sum.Counts)
		}
		if sum.Read != n {
			b.Fatalf("read %d records, want %d", sum.Read, n)
		}
		if len(errs) > 0 {
			b.Logf("iteration %d: %d stage failures (retried): %v", i, len(errs), errs)
		}
		last = sum
	}
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(n), "records/op")
	// The process's CPU time while timed (every goroutine, user + system:
	// every stage, the broker, the keyring): on a machine shared with
	// other work, steadier than records/s. And what the data dir holds
	// per lead once closed.
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n*b.N), "cpu-µs/record")
	if leads > 0 {
		b.ReportMetric(float64(disk)/float64(leads), "disk-B/lead")
	}
	b.Logf("records=%d outcomes=%v", n, last.Counts)
}

// dirBytes is the size of the files under dir.
func dirBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// BenchmarkImport measures the import alone: reading the CSV and producing
// every row into leads.raw, with no stages running.
func BenchmarkImport(b *testing.B) {
	n := benchRecords(b)
	file := writeCSV(b, n)
	var elapsed time.Duration
	b.ResetTimer()
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), timeout(n))
		opts := options(b, "import", i)
		opts.Stages = []string{}
		s, err := system.Start(ctx, opts)
		if err != nil {
			cancel()
			b.Fatal(err)
		}
		start := time.Now()
		b.StartTimer()
		res, err := s.Import(ctx, file)
		b.StopTimer()
		elapsed += time.Since(start)
		s.Close()
		cancel()
		if err != nil {
			b.Fatalf("import: %v", err)
		}
		if len(res) != 1 || res[0].Rows != n || res[0].Produced+res[0].Malformed != n {
			b.Fatalf("import result %+v, want %d rows produced", res, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(n), "records/op")
}
