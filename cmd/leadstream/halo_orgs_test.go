package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/leadstream/leadstream/bench/leadgen"
	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
	"github.com/leadstream/leadstream/internal/testkafka"
)

// `leadstream run` is SIGKILLed while a Client write and then a Site write
// of organisation records (generated account data) is applied and its 504
// pending. The restarted run reads back what the killed one sent: every
// synced organisation lead has exactly one Site (a doubled Client would
// bring a second main site), no User or Ticket is made, and the tenant's
// audit is clean.
func TestLiveSinkKillDuringAppliedSiteWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("long: real restarts")
	}
	const records = 1000
	dir := t.TempDir()
	input := filepath.Join(dir, "accounts.csv")
	f, err := os.Create(input)
	if err != nil {
		t.Fatal(err)
	}
	if err := leadgen.Write(f, leadgen.Options{Records: records, Seed: 21, Accounts: true}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	sb := halosandbox.New(halosandbox.Options{RateLimit: -1, SeedClients: 300, IDOffsets: halosandbox.TenantIDOffsets()})
	hs := httptest.NewServer(sb)
	defer hs.Close()
	clients, sites, users, tickets := sb.Count("Client"), sb.Count("Site"), sb.Count("Users"), sb.Count("Tickets")
	env := []string{"HALOPSA_BASE_URL=" + hs.URL, "HALOPSA_CLIENT_ID=sandbox-client", "HALOPSA_CLIENT_SECRET=sandbox-secret", "HALOPSA_RATE_LIMIT=100000"}
	dataDir := filepath.Join(dir, "data")
	ns := fmt.Sprintf("haloorgs%d", time.Now().UnixNano())
	args := append([]string{"run", "--import", input, "--until-idle", "--max-wait", "5m"}, pipelineArgs(t, dataDir, testkafka.FreeAddr(t), ns)...)

	for _, res := range []string{"Client", "Site"} {
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
		t.Logf("killed while a %s write's 504 was pending: %d clients, %d sites", res, sb.Count("Client")-clients, sb.Count("Site")-sites)
	}
	final := startCLIEnv(t, env, args...)
	if err := waitBg(t, final, 6*time.Minute); err != nil {
		t.Fatalf("final run: %v\nstdout:\n%s\nstderr:\n%s", err, final.stdout.String(), final.stderr.String())
	}
	sum := parseSummary(final.stdout.String())
	t.Logf("after the kills: %v\n%s", sum, haloLine(final.stdout.String()))
	checkExactlyOnce(t, sum, records)
	if a := sb.Audit(1); !a.Clean() {
		t.Errorf("tenant audit: %+v", a)
	}
	if n := sb.Count("Site") - sites; n != sum["synced"] {
		t.Errorf("%d Sites made (with %d Clients) for %d synced organisation leads, want one each", n, sb.Count("Client")-clients, sum["synced"])
	}
	if sb.Count("Users") != users || sb.Count("Tickets") != tickets {
		t.Errorf("organisation records made %d Users and %d Tickets", sb.Count("Users")-users, sb.Count("Tickets")-tickets)
	}
}
