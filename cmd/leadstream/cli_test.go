package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/internal/testkafka"
	"github.com/leadstream/leadstream/internal/webhooks"
	"github.com/leadstream/leadstream/pipeline"
)

// leadsCSV is the README's example file, from this package's directory.
const leadsCSV = "../../examples/leads.csv"

// TestEveryCommandDescribesItsFlags guards the contract of commands(): each
// function builds its flags with newFlags and stops at c.parse when
// described, so help and completion know its flags.
func TestEveryCommandDescribesItsFlags(t *testing.T) {
	for _, cmd := range commands() {
		t.Run(cmd.name, func(t *testing.T) {
			c := describe(cmd.run)
			if c == nil {
				t.Fatalf("%s does not build its flags with newFlags", cmd.name)
			}
			if c.name != cmd.name {
				t.Errorf("%s builds the flags of %q", cmd.name, c.name)
			}
		})
	}
}

// visibleFlags are the flags a command's help lists.
func visibleFlags(t *testing.T, name string) []string {
	t.Helper()
	for _, cmd := range commands() {
		if cmd.name == name {
			var names []string
			describe(cmd.run).fs.VisitAll(func(f *pflag.Flag) {
				if !f.Hidden {
					names = append(names, f.Name)
				}
			})
			return names
		}
	}
	t.Fatalf("no command %s", name)
	return nil
}

// TestSharedFlagsPerCommand: a command lists the shared flags that apply
// to it, and no other.
func TestSharedFlagsPerCommand(t *testing.T) {
	tests := []struct {
		cmd       string
		want, not []string
	}{
		{"run", []string{"brokers", "exactly-once", "state-key", "metrics-addr", "import", "until-idle", "provider", "webhooks-file"}, nil},
		{"stage", []string{"brokers", "exactly-once", "state-key", "data-dir", "webhooks-file", "api-addr"}, []string{"import", "until-idle"}},
		{"normalize", []string{"provider", "mappings", "config"}, []string{"exactly-once", "brokers", "data-dir", "state-key", "metrics-addr", "partitions"}},
		{"import", []string{"provider", "brokers", "namespace", "data-dir", "progress"}, []string{"exactly-once", "state-key", "max-batch", "metrics-addr"}},
		{"pull", []string{"provider", "query", "brokers", "metrics-addr"}, []string{"exactly-once", "state-key"}},
		{"topics", []string{"brokers", "partitions", "namespace"}, []string{"data-dir", "exactly-once", "log-level"}},
		{"review", []string{"brokers", "namespace"}, []string{"partitions", "data-dir", "exactly-once"}},
		{"replay", []string{"group", "to-start", "brokers"}, []string{"partitions", "exactly-once"}},
		{"eval", []string{"file", "partitions", "log-level"}, []string{"brokers", "data-dir", "exactly-once"}},
		{"halo-sandbox", []string{"addr", "rate-limit", "log-level"}, []string{"brokers", "exactly-once"}},
		{"version", nil, []string{"config", "brokers"}},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			got := visibleFlags(t, tt.cmd)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("%s does not list --%s (lists %v)", tt.cmd, w, got)
				}
			}
			for _, n := range tt.not {
				if slices.Contains(got, n) {
					t.Errorf("%s lists --%s, which does not apply to it", tt.cmd, n)
				}
			}
		})
	}
}

// TestGNUArgs: the old single-dash long flags become GNU ones; values,
// arguments and what follows "--" are left alone.
func TestGNUArgs(t *testing.T) {
	x := newCLI(commands(), io.Discard, io.Discard)
	tests := []struct{ in, want []string }{
		{[]string{"run", "-data-dir", "d", "--until-idle"}, []string{"run", "--data-dir", "d", "--until-idle"}},
		{[]string{"run", "-data-dir=d", "-until-idle"}, []string{"run", "--data-dir=d", "--until-idle"}},
		{[]string{"normalize", "-", "-provider", "csv"}, []string{"normalize", "-", "--provider", "csv"}},
		// A value that looks like a flag stays a value.
		{[]string{"pull", "--query", "-provider", "-provider", "x"}, []string{"pull", "--query", "-provider", "--provider", "x"}},
		{[]string{"halo-sandbox", "-rate-limit", "-1"}, []string{"halo-sandbox", "--rate-limit", "-1"}},
		{[]string{"normalize", "--", "-provider"}, []string{"normalize", "--", "-provider"}},
		{[]string{"normalize", "-nope", "-help"}, []string{"normalize", "-nope", "--help"}},
		{[]string{"help", "-data-dir"}, []string{"help", "-data-dir"}},
		{[]string{"nope", "-data-dir"}, []string{"nope", "-data-dir"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.in, " "), func(t *testing.T) {
			if got := x.gnuArgs(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVersionText(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261207025733-f129cf661767+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "f129cf6617674a276e6662a086245d6069c462ad"},
			{Key: "vcs.time", Value: "2026-12-07T02:57:33Z"}, {Key: "vcs.modified", Value: "true"}}}
	develStamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "f129cf6617674a276e6662a086245d6069c462ad"}, {Key: "vcs.modified", Value: "false"}}}
	tests := []struct {
		name, ldflags string
		info          *debug.BuildInfo
		wantVersion   string
		wantText      []string
	}{
		{"no build info", "dev", nil, "dev", []string{"leadstream dev\n"}},
		{"not stamped", "dev", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "dev", []string{"leadstream dev\n", "go:       go1.26.8"}},
		{"stamped", "dev", stamped, "v0.0.0-20261207025733-f129cf661767+dirty",
			[]string{"commit:   f129cf6617674a276e6662a086245d6069c462ad", "date:     2026-12-07T02:57:33Z", "modified: true"}},
		{"stamped without a module version", "dev", develStamped, "dev-f129cf661767", []string{"leadstream dev-f129cf661767\n", "modified: false"}},
		{"ldflags win", "v1.2.3", stamped, "v1.2.3", []string{"leadstream v1.2.3\n", "commit:   f129cf66"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionOf(tt.ldflags, tt.info); got != tt.wantVersion {
				t.Errorf("version %q, want %q", got, tt.wantVersion)
			}
			text := versionText(tt.ldflags, tt.info)
			for _, w := range tt.wantText {
				if !strings.Contains(text, w) {
					t.Errorf("version text:\n%s\nwant it to contain %q", text, w)
				}
			}
		})
	}
}

// TestNormalizeFlagAfterFile: the synopsis order (file, then flags) reads
// the flag as a flag, and settings of other commands in the environment
// or a shared config file do not stop normalize.
func TestNormalizeFlagAfterFile(t *testing.T) {
	shared := filepath.Join(t.TempDir(), "leadstream.json")
	if err := os.WriteFile(shared, []byte(`{"brokers":["kafka:9092"],"exactly-once":true,"partitions":12}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		want     string
		not      string
	}{
		{"flag after the file", []string{"normalize", leadsCSV, "--provider", "csv"}, nil, 0, `"file":"` + leadsCSV + `","line":229`, "--provider"},
		{"flag before the file", []string{"normalize", "--provider=csv", leadsCSV}, nil, 0, `"line":229`, ""},
		{"the flag after the file is read", []string{"normalize", leadsCSV, "--provider", "bogus"}, nil, 1, "bogus", "open --provider"},
		{"a flag of another command", []string{"normalize", leadsCSV, "--exactly-once"}, nil, 0, "has no effect on leadstream normalize", ""},
		{"a shared config file", []string{"normalize", leadsCSV, "--config", shared}, nil, 0, `"line":229`, "unknown setting"},
		{"the environment", []string{"normalize", leadsCSV}, map[string]string{"LEADSTREAM_PROVIDER": "bogus", "LEADSTREAM_EXACTLY_ONCE": "true"}, 1, "bogus", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"LEADSTREAM_PROVIDER", "LEADSTREAM_EXACTLY_ONCE", "LEADSTREAM_CONFIG"} {
				t.Setenv(k, tt.env[k])
			}
			var out bytes.Buffer
			code := mainExit(context.Background(), tt.args, &out, &out)
			got := out.String()
			if code != tt.wantCode || !strings.Contains(got, tt.want) || (tt.not != "" && strings.Contains(got, tt.not)) {
				if len(got) > 2000 {
					got = got[:1000] + " … " + got[len(got)-1000:]
				}
				t.Errorf("exit %d (want %d), output:\n%s\nwant %q and not %q", code, tt.wantCode, got, tt.want, tt.not)
			}
		})
	}
}

// TestImportFlagAfterFile: `import FILE --provider P` imports the file
// once, with the provider given, and takes no flag for a file.
func TestImportFlagAfterFile(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := fmt.Sprintf("importcli%d", time.Now().UnixNano())
	sys, err := system.Start(ctx, system.Options{
		Brokers: testkafka.Brokers(), EmbeddedAddr: "127.0.0.1:0", DataDir: t.TempDir(),
		Stages: []string{}, Partitions: 3, Namespace: pipeline.Namespace("other" + ns), Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	args := []string{"import", leadsCSV, "--provider", "csv", "--brokers", strings.Join(sys.Brokers(), ","),
		"--namespace", ns, "--partitions", "3", "--data-dir", t.TempDir(), "--progress", "never", "--log-level", "warn"}
	var out bytes.Buffer
	code := mainExit(ctx, args, &out, &out)
	want := "imported leads.csv: 228 rows, 226 sent, 2 malformed" // two rows of the example are broken on purpose
	if code != 0 || !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "total: 1 files") {
		t.Fatalf("exit %d, output:\n%s\nwant %q, one file", code, out.String(), want)
	}
}

// TestStageNotify runs `leadstream stage notify` and checks that a synced
// record on leads.synced reaches the subscriber as lead.created.
func TestStageNotify(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	got := make(chan string, 4)
	const secret = "stage-notify-test-secret"
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhooks.Verify(secret, r.Header.Get("Leadstream-Signature"), body, time.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		got <- string(body)
	}))
	defer hook.Close()
	dir := t.TempDir()
	subs := filepath.Join(dir, "webhooks.json")
	if err := os.WriteFile(subs, []byte(`[{"url":"`+hook.URL+`","secret":"`+secret+`","events":["lead.created"],"enabled":true}]`), 0o600); err != nil {
		t.Fatal(err)
	}

	ns := fmt.Sprintf("notifycli%d", time.Now().UnixNano())
	sys, err := system.Start(ctx, system.Options{
		Brokers: testkafka.Brokers(), EmbeddedAddr: "127.0.0.1:0", DataDir: filepath.Join(dir, "broker"),
		Stages: []string{}, Partitions: 3, Namespace: pipeline.Namespace(ns), Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	env := &pipeline.Envelope{TraceID: "imp_test:2", LeadID: "lead-1", Outcome: pipeline.OutcomeSynced,
		Source: pipeline.Source{Provider: "csv", RecordID: "r1", ImportID: "imp_test"}, FirstSeen: time.Now()}
	if err := sys.SendTo(ctx, pipeline.TopicSynced, "k", env); err != nil {
		t.Fatal(err)
	}

	sctx, stop := context.WithCancel(ctx)
	done := make(chan int, 1)
	var out bytes.Buffer
	go func() {
		done <- mainExit(sctx, []string{"stage", "notify", "--brokers", strings.Join(sys.Brokers(), ","), "--namespace", ns,
			"--partitions", "3", "--webhooks-file", subs, "--data-dir", filepath.Join(dir, "notify"), "--metrics-addr", "",
			"--log-level", "warn"}, &out, &out)
	}()
	select {
	case body := <-got:
		if !strings.Contains(body, `"lead.created"`) || !strings.Contains(body, "imp_test:2") {
			t.Errorf("delivery %s: want lead.created for imp_test:2", body)
		}
	case code := <-done:
		t.Fatalf("stage notify exited %d before delivering:\n%s", code, out.String())
	case <-ctx.Done():
		stop()
		t.Fatalf("no delivery; stage notify said:\n%s", out.String())
	}
	stop()
	if code := <-done; code != 0 {
		t.Errorf("stage notify exited %d:\n%s", code, out.String())
	}
}

// TestOutputStreams: help asked for and completion scripts go to stdout;
// notes and errors to stderr, once, so stdout stays data.
func TestOutputStreams(t *testing.T) {
	tests := []struct {
		args                []string
		wantStdout, wantErr string
		notStdout           string
		errOnce             string
	}{
		{[]string{"normalize", leadsCSV, "--exactly-once"}, `"line":229`, "has no effect on leadstream normalize", "deprecated", "no effect"},
		{[]string{"help", "normalize"}, "Usage: leadstream normalize", "", "", ""},
		{[]string{"normalize", "--help"}, "Usage: leadstream normalize", "", "", ""},
		{[]string{"completion", "bash"}, "bash completion", "", "", ""},
		{[]string{"normalize", "--bogus"}, "", "unknown flag: --bogus", "unknown flag", "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			mainExit(context.Background(), tt.args, &stdout, &stderr)
			if !strings.Contains(stdout.String(), tt.wantStdout) || (tt.notStdout != "" && strings.Contains(stdout.String(), tt.notStdout)) {
				t.Errorf("stdout %.300q: want %q and not %q", stdout.String(), tt.wantStdout, tt.notStdout)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) || (tt.errOnce != "" && strings.Count(stderr.String(), tt.errOnce) != 1) {
				t.Errorf("stderr %q: want %q once", stderr.String(), tt.wantErr)
			}
		})
	}
}

// greetCmd is a command written the way commands were before cobra (the
// contract of the package doc): newFlags with no group, flags on c.fs,
// c.parse.
func greetCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	c := newFlags("greet", "NAME [flags]", "Greets NAME.", stderr)
	loud := c.fs.Bool("loud", false, "shout")
	var times int
	c.fs.IntVar(&times, "times", 1, "how many times")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		c.fs.Usage()
		return errUsage
	}
	if c.fs.Arg(0) == "nobody" {
		return fmt.Errorf("nobody to greet")
	}
	for range times {
		msg := "hello " + c.fs.Arg(0) + " via " + strings.Join(c.brokerList(), ",")
		if *loud {
			msg = strings.ToUpper(msg)
		}
		fmt.Fprintln(stdout, msg)
	}
	return nil
}

// rawCmd builds no flags: it gets its arguments as they are.
func rawCmd(_ context.Context, args []string, stdout, _ io.Writer) error {
	fmt.Fprintf(stdout, "args %q\n", args)
	return nil
}

// TestCommandContract registers commands in the old style with one line
// each and checks they parse, help and fail as the built-in ones do.
func TestCommandContract(t *testing.T) {
	cmds := append(commands(), command{"greet", "say hello", greetCmd}, command{"raw", "echo", rawCmd})
	t.Setenv("LEADSTREAM_TIMES", "")
	tests := []struct {
		args     []string
		env      string
		wantCode int
		want     string
	}{
		{[]string{"greet", "ada", "--loud", "--brokers", "k:1"}, "", 0, "HELLO ADA VIA K:1"},
		{[]string{"greet", "--times=2", "ada"}, "", 0, "hello ada via 127.0.0.1:9092\nhello ada via 127.0.0.1:9092\n"},
		{[]string{"greet", "ada"}, "3", 0, "hello ada via 127.0.0.1:9092\nhello ada via 127.0.0.1:9092\nhello ada via 127.0.0.1:9092\n"},
		{[]string{"greet", "-loud", "ada"}, "", 0, "HELLO ADA"},
		{[]string{"help", "greet"}, "", 0, "--exactly-once"}, // no group given: every shared flag applies
		{[]string{"greet", "--help"}, "", 0, "Greets NAME."},
		{[]string{"help"}, "", 0, "say hello"},
		{[]string{"greet"}, "", 2, "Usage: leadstream greet NAME [flags]"},
		{[]string{"greet", "ada", "--nope"}, "", 2, "unknown flag: --nope"},
		{[]string{"greet", "nobody"}, "", 1, "leadstream greet: nobody to greet"},
		{[]string{"raw", "x", "--y", "-z"}, "", 0, `args ["x" "--y" "-z"]`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Setenv("LEADSTREAM_TIMES", tt.env)
			var out bytes.Buffer
			code := runCLI(context.Background(), cmds, tt.args, &out, &out)
			if code != tt.wantCode || !strings.Contains(out.String(), tt.want) {
				t.Errorf("exit %d (want %d), output:\n%s\nwant %q", code, tt.wantCode, out.String(), tt.want)
			}
		})
	}
}
