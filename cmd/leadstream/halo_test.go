package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/internal/testkafka"
	"github.com/leadstream/leadstream/pipeline"
)

// TestLiveSinkSurvivesKillsAndReplay runs `leadstream run` against the
// HaloPSA emulator, SIGKILLs it several times while the sink is writing,
// lets it finish, then replays the sink group from the start: HaloPSA must
// end with exactly one User and one lead Ticket per synced lead, and the
// replay must create nothing.
func TestLiveSinkSurvivesKillsAndReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("long: real restarts")
	}
	const records = 4000
	dir := t.TempDir()
	input := writeLeads(t, dir, records, 7)

	// This test is about crashes, not pacing: the tenant's limit is off.
	sb := halosandbox.New(halosandbox.Options{RateLimit: -1})
	hs := httptest.NewServer(sb)
	defer hs.Close()
	env := []string{"HALOPSA_BASE_URL=" + hs.URL, "HALOPSA_CLIENT_ID=sandbox-client", "HALOPSA_CLIENT_SECRET=sandbox-secret", "HALOPSA_RATE_LIMIT=100000"}

	dataDir := filepath.Join(dir, "data")
	ns := fmt.Sprintf("halokill%d", time.Now().UnixNano())
	addr := testkafka.FreeAddr(t)
	args := append([]string{"run", "--import", input, "--until-idle", "--max-wait", "5m"}, pipelineArgs(t, dataDir, addr, ns)...)

	// Kill the run a few times once the sink has started writing.
	rng := rand.New(rand.NewPCG(7, 11))
	kills := 0
	for kills < 4 {
		r := startCLIEnv(t, env, args...)
		// Alternate: kill once users are being created, then once tickets
		// are, so both recovery paths are crossed.
		watch := "Users"
		if kills%2 == 1 {
			watch = "Tickets"
		}
		start := sb.Count(watch)
		deadline := time.Now().Add(2 * time.Minute)
		for sb.Count(watch) == start && time.Now().Before(deadline) && !exited(r) {
			time.Sleep(2 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
		if exited(r) {
			break
		}
		_ = r.cmd.Process.Signal(syscall.SIGKILL)
		<-r.done
		kills++
		t.Logf("kill %d: %d users, %d tickets in HaloPSA", kills, sb.Count("Users"), sb.Count("Tickets"))
	}
	final := startCLIEnv(t, env, args...)
	if err := waitBg(t, final, 6*time.Minute); err != nil {
		t.Fatalf("final run: %v\nstdout:\n%s\nstderr:\n%s", err, final.stdout.String(), final.stderr.String())
	}
	sum := parseSummary(final.stdout.String())
	t.Logf("after %d kills: %v\n%s", kills, sum, haloLine(final.stdout.String()))
	checkExactlyOnce(t, sum, records)
	checkHaloOnce(t, sb, sum["synced"])

	// Replay the sink group from the start (with only the broker up, so the
	// group is empty), then run again: every lead is seen again and nothing
	// is created.
	users, tickets, clients := sb.Count("Users"), sb.Count("Tickets"), sb.Count("Client")
	before := len(sb.RequestLog())
	replaySinkGroup(t, dataDir, addr, ns)
	again := startCLIEnv(t, env, append([]string{"run", "--until-idle", "--max-wait", "3m"}, pipelineArgs(t, dataDir, addr, ns)...)...)
	if err := waitBg(t, again, 4*time.Minute); err != nil {
		t.Fatalf("run after replay: %v\nstdout:\n%s\nstderr:\n%s", err, again.stdout.String(), again.stderr.String())
	}
	if sb.Count("Users") != users || sb.Count("Tickets") != tickets || sb.Count("Client") != clients {
		t.Errorf("replay created records: users %d→%d, tickets %d→%d, clients %d→%d", users, sb.Count("Users"),
			tickets, sb.Count("Tickets"), clients, sb.Count("Client"))
	}
	t.Logf("replay: %d HaloPSA requests; %s", len(sb.RequestLog())-before, haloLine(again.stdout.String()))
}

// replaySinkGroup rewinds the sink's group to the start of leads.enriched
// through the CLI, with the broker up and no stage running.
func replaySinkGroup(t *testing.T, dataDir, addr, ns string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts := system.Options{Brokers: testkafka.Brokers(), EmbeddedAddr: addr, DataDir: dataDir, Stages: []string{},
		Partitions: 3, Logger: slog.New(slog.DiscardHandler)}
	if opts.Brokers != nil {
		opts.Namespace = pipeline.Namespace(ns)
	}
	sys, err := system.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	args := []string{"replay", "--group", "sink", "--to-start", "--brokers", strings.Join(sys.Brokers(), ","), "--partitions", "3"}
	if opts.Brokers != nil {
		args = append(args, "--namespace", ns)
	}
	var out bytes.Buffer
	if code := mainExit(ctx, args, &out, &out); code != 0 {
		t.Fatalf("leadstream %s: exit %d:\n%s", strings.Join(args, " "), code, out.String())
	}
}

// checkHaloOnce: one User and one lead Ticket per synced lead, no e-mail or
// lead marker twice.
func checkHaloOnce(t *testing.T, sb *halosandbox.Server, synced int) {
	t.Helper()
	if sb.Count("Users") != synced || sb.Count("Tickets") != synced {
		t.Errorf("HaloPSA holds %d users and %d tickets, want %d of each (one per synced lead)", sb.Count("Users"), sb.Count("Tickets"), synced)
	}
	emails, markers := map[string]int{}, map[string]int{}
	for id := 1; id <= sb.Count("Users")+1000; id++ {
		if u, ok := sb.Record("Users", id); ok {
			if e, _ := u["emailaddress"].(string); e != "" {
				emails[strings.ToLower(e)]++
			}
		}
		if tk, ok := sb.Record("Tickets", id); ok {
			if l, _, ok := lead.ParseTicketRef(fmt.Sprint(tk["details"])); ok {
				markers[l]++
			}
		}
	}
	dup := 0
	for _, n := range emails {
		if n > 1 {
			dup++
		}
	}
	for _, n := range markers {
		if n > 1 {
			dup++
		}
	}
	if dup > 0 {
		t.Errorf("%d e-mail addresses or leads have more than one HaloPSA record", dup)
	}
}

// bgRun is a child process waited for in the background.
type bgRun struct {
	*cliRun
	done chan struct{}
	err  error
}

func startCLIEnv(t *testing.T, env []string, args ...string) *bgRun {
	t.Helper()
	r := &bgRun{cliRun: startCLIWith(t, env, args...), done: make(chan struct{})}
	go func() { r.err = r.cmd.Wait(); close(r.done) }()
	return r
}

func exited(r *bgRun) bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func waitBg(t *testing.T, r *bgRun, d time.Duration) error {
	t.Helper()
	select {
	case <-r.done:
		return r.err
	case <-time.After(d):
		_ = r.cmd.Process.Kill()
		<-r.done
		return fmt.Errorf("did not finish in %s", d)
	}
}

func haloLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "halopsa:") {
			return l
		}
	}
	return ""
}

// TestLiveSinkKillDuringAppliedWrite: against a tenant that already holds
// 720 alike-named Clients, each resource's first write is applied by
// HaloPSA and answered 504 only after a long delay; leadstream is
// SIGKILLed while that answer is pending, once per resource, and then
// runs to the end. The tenant ends with no duplicate and no User at
// another company's Client.
func TestLiveSinkKillDuringAppliedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("long: real restarts")
	}
	const records = 1000
	dir := t.TempDir()
	input := writeLeads(t, dir, records, 11)
	sb := halosandbox.New(halosandbox.Options{RateLimit: -1, SeedClients: 720, IDOffsets: halosandbox.TenantIDOffsets()})
	hs := httptest.NewServer(sb)
	defer hs.Close()
	seededUsers, seededTickets := sb.Count("Users"), sb.Count("Tickets")
	env := []string{"HALOPSA_BASE_URL=" + hs.URL, "HALOPSA_CLIENT_ID=sandbox-client", "HALOPSA_CLIENT_SECRET=sandbox-secret", "HALOPSA_RATE_LIMIT=100000"}
	dataDir := filepath.Join(dir, "data")
	ns := fmt.Sprintf("haloapplied%d", time.Now().UnixNano())
	addr := testkafka.FreeAddr(t)
	args := append([]string{"run", "--import", input, "--until-idle", "--max-wait", "5m"}, pipelineArgs(t, dataDir, addr, ns)...)

	for _, res := range []string{"Client", "Users", "Tickets"} {
		sb.InjectFaults(res, halosandbox.Fault{Status: 504, Delay: 10 * time.Second, Commit: true, Method: "POST"})
		before := sb.Stats().Committed
		r := startCLIEnv(t, env, args...)
		deadline := time.Now().Add(3 * time.Minute)
		for sb.Stats().Committed == before && time.Now().Before(deadline) && !exited(r) {
			time.Sleep(5 * time.Millisecond)
		}
		if exited(r) || sb.Stats().Committed == before {
			t.Fatalf("%s: the applied 504 was never reached\nstdout:\n%s\nstderr:\n%s", res, r.stdout.String(), r.stderr.String())
		}
		_ = r.cmd.Process.Signal(syscall.SIGKILL)
		<-r.done
		t.Logf("killed while a %s write's 504 was pending: %d clients, %d users, %d tickets", res, sb.Count("Client"), sb.Count("Users"), sb.Count("Tickets"))
	}
	final := startCLIEnv(t, env, args...)
	if err := waitBg(t, final, 6*time.Minute); err != nil {
		t.Fatalf("final run: %v\nstdout:\n%s\nstderr:\n%s", err, final.stdout.String(), final.stderr.String())
	}
	sum := parseSummary(final.stdout.String())
	t.Logf("after the kills: %v\n%s", sum, haloLine(final.stdout.String()))
	checkExactlyOnce(t, sum, records)
	a := sb.Audit(1)
	if !a.Clean() {
		t.Errorf("tenant audit: %d duplicate users, %d duplicate clients, %d duplicate lead tickets, %d wrong links; e.g. %v",
			a.DuplicateUsers, a.DuplicateClients, a.DuplicateLeadTickets, a.WrongLinks, a.Examples)
	}
	if u, tk := sb.Count("Users")-seededUsers, sb.Count("Tickets")-seededTickets; u != sum["synced"] || tk != sum["synced"] {
		t.Errorf("%d users and %d lead tickets created for %d synced leads, want one each", u, tk, sum["synced"])
	}
}
