// Command soak runs `leadstream run` on the embedded broker (the default
// deployment) as a child process and feeds it generated leads, sampling the
// child's memory (VmRSS split into anonymous and file-backed pages), the
// throughput and the disk after each batch, and prints a table.
//
// Batches (the default): -n leads in files of -batch rows, each imported
// and waited for until every record has an outcome; a batch whose outcomes
// do not add up fails the soak.
//
//	go run ./bench/cmd/soak -n 1000000 -batch 100000
//
// Duration: -duration keeps importing at -rate records/s (a file every
// -every) for that long, printing a row per -every, then waits for the
// last outcomes.
//
//	go run ./bench/cmd/soak -duration 30m -rate 300
//
// The leads come from bench/leadgen (one generator for the whole soak, so
// duplicates reach across batches). The importer runs in this process, like
// `leadstream import` against the child's broker, so the child's figures are
// the pipeline's alone.
package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/leadstream/leadstream/bench/leadgen"
	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/pipeline"
)

type config struct {
	bin, dataDir, memoryLimit string
	n, batch                  int
	seed                      uint64
	duration, every           time.Duration
	rate                      int
	extra                     []string
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "", "leadstream binary (empty: go build ./cmd/leadstream from the current directory)")
	flag.StringVar(&c.dataDir, "data-dir", "", "data directory of the child (empty: a new temporary one, removed afterwards)")
	flag.StringVar(&c.memoryLimit, "memory-limit", "", "--memory-limit of the child (empty: its default)")
	flag.IntVar(&c.n, "n", 1_000_000, "leads in all (batch mode)")
	flag.IntVar(&c.batch, "batch", 100_000, "leads per file (batch mode)")
	flag.Uint64Var(&c.seed, "seed", 1, "leadgen seed")
	flag.DurationVar(&c.duration, "duration", 0, "run for this long importing at -rate (0: batch mode)")
	flag.IntVar(&c.rate, "rate", 300, "records per second in -duration mode")
	flag.DurationVar(&c.every, "every", time.Minute, "in -duration mode, import a file and print a row this often")
	flag.Parse()
	c.extra = flag.Args()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, c config) error {
	if c.bin == "" {
		dir, err := os.MkdirTemp("", "soak-bin-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		c.bin = filepath.Join(dir, "leadstream")
		out, err := exec.CommandContext(ctx, "go", "build", "-o", c.bin, "./cmd/leadstream").CombinedOutput()
		if err != nil {
			return fmt.Errorf("go build ./cmd/leadstream: %v\n%s", err, out)
		}
	}
	if c.dataDir == "" {
		dir, err := os.MkdirTemp("", "soak-data-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		c.dataDir = dir
	}
	work, err := os.MkdirTemp("", "soak-files-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	child, err := startChild(ctx, c)
	if err != nil {
		return err
	}
	defer child.stop()
	fmt.Printf("soak: leadstream run pid %d, broker %s, data %s, %d cores\n", child.cmd.Process.Pid, child.addr, c.dataDir, numCPU())

	// The importer and the tally: like `leadstream import` against the
	// child's broker, with one tally of the outcome topics for the whole soak.
	sys, err := system.Start(ctx, system.Options{Brokers: []string{child.addr}, DataDir: filepath.Join(work, "importer"),
		Stages: []string{}, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return err
	}
	defer sys.Close()
	tally := pipeline.NewTally("", nil)
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = tally.Follow(tctx, []string{child.addr}) }()

	gen := leadgen.New(leadgen.Options{Records: 1 << 62, Seed: c.seed})
	s := &soak{c: c, child: child, sys: sys, tally: tally, gen: gen, work: work}
	if c.duration > 0 {
		return s.timed(ctx)
	}
	return s.batches(ctx)
}

type soak struct {
	c     config
	child *child
	sys   *system.System
	tally *pipeline.Tally
	gen   *leadgen.Generator
	work  string

	ids  []string
	read int
	file int
}

// row is one line of the table.
type row struct {
	label         string
	leads         int
	secs, rate    float64
	maxRSS        memSample // the sample with the highest VmRSS in the period
	endRSS        memSample
	diskMiB       float64
	plainPerLead  float64 // non-compacted topics' bytes per lead so far
	stateMiB      float64
	load          string
	addsUp        string
	outcomesSoFar int
}

func (s *soak) header(w io.Writer) {
	fmt.Fprintln(w, "batch\tleads\ts\trec/s\tmax RSS MiB\t(anon + file)\tend RSS MiB\t(anon + file)\tdisk MiB\tstate MiB\tplain topics B/lead\tload 1m\tsummary\t")
}

func (s *soak) print(w io.Writer, r row) {
	fmt.Fprintf(w, "%s\t%d\t%.1f\t%.0f\t%.0f\t(%.0f + %.0f)\t%.0f\t(%.0f + %.0f)\t%.0f\t%.0f\t%.0f\t%s\t%s\t\n", r.label, r.leads, r.secs, r.rate,
		mib(r.maxRSS.rss), mib(r.maxRSS.anon), mib(r.maxRSS.file), mib(r.endRSS.rss), mib(r.endRSS.anon), mib(r.endRSS.file),
		r.diskMiB, r.stateMiB, r.plainPerLead, r.load, r.addsUp)
}

// nextFile writes the next n generated leads to a file.
func (s *soak) nextFile(n int) (string, error) {
	s.file++
	path := filepath.Join(s.work, fmt.Sprintf("soak-%04d.csv", s.file))
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	cw := csv.NewWriter(bw)
	_ = cw.Write(leadgen.Header)
	for range n {
		_ = cw.Write(s.gen.Next())
	}
	cw.Flush()
	if err := errors.Join(cw.Error(), bw.Flush(), f.Close()); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, nil
}

// importFile imports path and remembers its import.
func (s *soak) importFile(ctx context.Context, path string) error {
	res, err := s.sys.Import(ctx, path)
	if err != nil {
		return err
	}
	for _, r := range res {
		s.ids = append(s.ids, r.ImportID)
		s.read += r.Rows
	}
	return os.Remove(path)
}

func (s *soak) batches(ctx context.Context) error {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	s.header(w)
	w.Flush()
	var rows []row
	start := time.Now()
	for done := 0; done < s.c.n; {
		n := min(s.c.batch, s.c.n-done)
		path, err := s.nextFile(n)
		if err != nil {
			return err
		}
		mon := s.child.monitor()
		t0 := time.Now()
		if err := s.importFile(ctx, path); err != nil {
			mon.stop()
			return err
		}
		sum, err := s.tally.WaitFor(ctx, n, s.ids[len(s.ids)-1:], nil)
		secs := time.Since(t0).Seconds()
		maxRSS := mon.stop()
		if err != nil {
			return fmt.Errorf("batch %d: %w", len(rows)+1, err)
		}
		done += n
		r := s.sample(fmt.Sprint(len(rows)+1), done, secs, float64(n)/secs, maxRSS)
		r.addsUp = "adds up"
		if err := (pipeline.Summary{Read: n, Counts: sum.Counts}).Check(); err != nil {
			r.addsUp = err.Error()
		}
		r.addsUp += fmt.Sprintf(" (%s)", counts(sum))
		rows = append(rows, r)
		s.print(w, r)
		w.Flush()
		if !strings.HasPrefix(r.addsUp, "adds up") {
			return fmt.Errorf("batch %d: %s", len(rows), r.addsUp)
		}
	}
	total := time.Since(start).Seconds()
	fmt.Printf("\n%d leads in %.0f s: %.0f records/s overall (file generation included)\n", s.c.n, total, float64(s.c.n)/total)
	report(rows)
	return nil
}

// timed imports at the set rate until the duration is over.
func (s *soak) timed(ctx context.Context) error {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	s.header(w)
	w.Flush()
	per := max(int(float64(s.c.rate)*s.c.every.Seconds()), 1)
	start := time.Now()
	var rows []row
	for i := 1; time.Since(start) < s.c.duration && ctx.Err() == nil; i++ {
		mon := s.child.monitor()
		t0 := time.Now()
		path, err := s.nextFile(per)
		if err != nil {
			return err
		}
		if err := s.importFile(ctx, path); err != nil {
			mon.stop()
			return err
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(t0.Add(s.c.every))):
		}
		sum := s.tally.Summary(s.read, s.ids...)
		r := s.sample(time.Since(start).Round(time.Second).String(), s.read, time.Since(t0).Seconds(), 0, mon.stop())
		r.rate = float64(sum.Total()-s.outcomesBefore(rows)) / r.secs
		r.outcomesSoFar = sum.Total()
		r.addsUp = fmt.Sprintf("%d of %d at an outcome", sum.Total(), s.read)
		rows = append(rows, r)
		s.print(w, r)
		w.Flush()
	}
	sum, err := s.tally.WaitFor(ctx, s.read, s.ids, nil)
	if err != nil {
		return err
	}
	fmt.Printf("\nafter %s: %d records read, %s\n", time.Since(start).Round(time.Second), s.read, counts(sum))
	if err := sum.Check(); err != nil {
		return err
	}
	report(rows)
	return nil
}

func (s *soak) outcomesBefore(rows []row) int {
	if len(rows) == 0 {
		return 0
	}
	return rows[len(rows)-1].outcomesSoFar
}

// sample reads the child's memory and the disk.
func (s *soak) sample(label string, leads int, secs, rate float64, maxRSS memSample) row {
	r := row{label: label, leads: leads, secs: secs, rate: rate, maxRSS: maxRSS, endRSS: readMem(s.child.cmd.Process.Pid), load: loadAvg()}
	plain, compacted, err := brokerBytes(filepath.Join(s.c.dataDir, "broker", "partitions"))
	if err == nil {
		r.diskMiB = mib(plain + compacted)
		r.plainPerLead = float64(plain) / float64(max(leads, 1))
	}
	state, _ := dirBytes(filepath.Join(s.c.dataDir, "state"))
	r.stateMiB = mib(state)
	r.diskMiB += mib(state)
	return r
}

// report checks the figures issue 15 asks of a soak.
func report(rows []row) {
	if len(rows) == 0 {
		return
	}
	var peak memSample
	for _, r := range rows {
		if r.maxRSS.rss > peak.rss {
			peak = r.maxRSS
		}
	}
	fmt.Printf("max RSS %.0f MiB (anon %.0f + file %.0f)\n", mib(peak.rss), mib(peak.anon), mib(peak.file))
	last := rows[max(len(rows)-5, 0):]
	lo, hi := last[0].maxRSS.rss, last[0].maxRSS.rss
	for _, r := range last {
		lo, hi = min(lo, r.maxRSS.rss), max(hi, r.maxRSS.rss)
	}
	mid := float64(lo+hi) / 2
	fmt.Printf("last %d rows: max RSS %.0f–%.0f MiB (±%.1f %% around the middle)\n", len(last), mib(lo), mib(hi), 100*float64(hi-lo)/2/mid)
	if rows[0].rate > 0 {
		fmt.Printf("last row's rate %.0f records/s = %.0f %% of the first's (%.0f)\n", rows[len(rows)-1].rate, 100*rows[len(rows)-1].rate/rows[0].rate, rows[0].rate)
	}
	fmt.Printf("non-compacted topics at the end: %.0f bytes per lead\n", rows[len(rows)-1].plainPerLead)
}

func counts(s pipeline.Summary) string {
	var parts []string
	for _, o := range pipeline.Outcomes {
		if n := s.Counts[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", o, n))
		}
	}
	return strings.Join(parts, ", ")
}

// child is the `leadstream run` process.
type child struct {
	cmd  *exec.Cmd
	addr string
	done chan error
}

func startChild(ctx context.Context, c config) (*child, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	args := []string{"run", "--data-dir", c.dataDir, "--embedded-addr", addr, "--api-addr", "", "--metrics-addr", "",
		"--log-level", "warn", "--progress", "never"}
	if c.memoryLimit != "" {
		args = append(args, "--memory-limit", c.memoryLimit)
	}
	args = append(args, c.extra...)
	cmd := exec.Command(c.bin, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", c.bin, err)
	}
	ch := &child{cmd: cmd, addr: addr, done: make(chan error, 1)}
	go func() { ch.done <- cmd.Wait() }()
	for deadline := time.Now().Add(2 * time.Minute); ; {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			return ch, nil
		}
		select {
		case err := <-ch.done:
			return nil, fmt.Errorf("leadstream run exited: %v", err)
		case <-ctx.Done():
			ch.stop()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			ch.stop()
			return nil, errors.New("leadstream run's broker did not come up in 2 minutes")
		}
	}
}

// stop ends the child with SIGTERM (it finishes its batches) and waits.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(time.Minute):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// monitor samples the child's memory every second until stop, which
// returns the sample with the highest VmRSS.
func (c *child) monitor() *monitor {
	m := &monitor{pid: c.cmd.Process.Pid, quit: make(chan struct{})}
	m.wg.Add(1)
	go m.run()
	return m
}

type monitor struct {
	pid  int
	quit chan struct{}
	wg   sync.WaitGroup
	max  memSample
}

func (m *monitor) run() {
	defer m.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		if s := readMem(m.pid); s.rss > m.max.rss {
			m.max = s
		}
		select {
		case <-m.quit:
			return
		case <-t.C:
		}
	}
}

func (m *monitor) stop() memSample {
	close(m.quit)
	m.wg.Wait()
	if s := readMem(m.pid); s.rss > m.max.rss {
		m.max = s
	}
	return m.max
}

// memSample is a process's resident memory in bytes.
type memSample struct{ rss, anon, file int64 }

// readMem reads VmRSS, RssAnon and RssFile (+ RssShmem) of pid.
func readMem(pid int) memSample {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memSample{}
	}
	var s memSample
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			s.rss = kb << 10
		case "RssAnon:":
			s.anon = kb << 10
		case "RssFile:", "RssShmem:":
			s.file += kb << 10
		}
	}
	return s
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

func numCPU() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "processor\t:")
}

// brokerBytes sums the embedded broker's partition files: plain
// (non-compacted) topics and compacted ones (changelogs, suppressions,
// leads.current).
func brokerBytes(dir string) (plain, compacted int64, err error) {
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return nil // removed meanwhile (retention, compaction)
		}
		rel, _ := filepath.Rel(dir, path)
		if strings.HasPrefix(rel, "leadstream.") || strings.HasPrefix(rel, pipeline.TopicSuppressions+"-") ||
			strings.HasPrefix(rel, pipeline.TopicCurrent+"-") {
			compacted += onDisk(info)
		} else {
			plain += onDisk(info)
		}
		return nil
	})
	return plain, compacted, err
}

func dirBytes(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			n += onDisk(info)
		}
		return nil
	})
	return n, err
}

// onDisk is the space a file takes (Badger preallocates sparse files).
func onDisk(info fs.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512
	}
	return info.Size()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
