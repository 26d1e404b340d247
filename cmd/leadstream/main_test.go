package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// TestMain lets the test binary act as the leadstream command, so tests can
// run it as a real child process (and kill it) without a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("LEADSTREAM_TEST_AS_CLI") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func TestHelpAndUsageErrors(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string
		notOut   string
	}{
		{nil, 0, "Commands:", ""},
		{[]string{"help"}, 0, "leadstream run --import examples/leads.csv --until-idle", ""},
		{[]string{"--help"}, 0, "completion", ""},
		{[]string{"version"}, 0, "leadstream dev", ""},
		{[]string{"nope"}, 2, `unknown command "nope"`, ""},
		{[]string{"--nope"}, 2, "leadstream: unknown flag: --nope", ""},
		{[]string{"--state-key", "abc", "run"}, 1, "--state-key must be", ""}, // flags may even come before the command
		{[]string{"run", "--help"}, 0, "--until-idle", "five stages"},
		{[]string{"help", "run"}, 0, "Usage: leadstream run", "Commands:"},
		{[]string{"help", "run"}, 0, "a provider export (CSV, JSON, JSON lines, XLSX)", "canonical CSV file to stream"},
		{[]string{"run", "-h"}, 0, "--exactly-once", ""},
		{[]string{"normalize", "--help"}, 0, "--provider", "--exactly-once"},
		{[]string{"help", "normalize"}, 0, "Usage: leadstream normalize", "--brokers"},
		{[]string{"help", "stage"}, 0, "notify", ""},
		{[]string{"import", "--help"}, 0, "XLSX", "--state-key"},
		{[]string{"completion", "bash"}, 0, "bash completion", ""},
		{[]string{"completion", "zsh"}, 0, "zsh completion", ""},
		{[]string{"completion", "fish"}, 0, "fish completion", ""},
		{[]string{"completion", "powershell"}, 0, "powershell completion", ""},
		{[]string{"replay", "--group", "dedupe"}, 2, "exactly one of --to-start or --to-time", ""},
		{[]string{"stage"}, 2, "Usage: leadstream stage", ""},
		{[]string{"stage", "bogus"}, 1, `no stage named "bogus"`, ""},
		{[]string{"stage", "notify", "--metrics-addr", ""}, 2, "give --webhooks-file", ""},
		{[]string{"stage", "dedupe", "extra"}, 2, "Usage: leadstream stage", ""},
		{[]string{"import"}, 2, "Usage: leadstream import", ""},
		{[]string{"review", "list", "extra"}, 2, "Usage: leadstream review", ""},
		{[]string{"normalize", "--bogus"}, 2, "unknown flag: --bogus", ""},
		{[]string{"normalize", "x.csv", "--provider"}, 2, "flag needs an argument", ""},
		{[]string{"run", "--max-batch", "many"}, 2, `invalid argument "many"`, ""},
		{[]string{"run", "--log-level", "loud", "--metrics-addr", ""}, 1, `--log-level "loud"`, ""},
		{[]string{"run", "--state-key", "abc"}, 1, "--state-key must be", ""},
		// The old single-dash long flags still parse.
		{[]string{"run", "-state-key", "abc"}, 1, "--state-key must be", ""},
		{[]string{"run", "-state-key=abc"}, 1, "--state-key must be", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			code := mainExit(context.Background(), tt.args, &out, &out)
			// Help wraps its flag column to the widest flag, so compare
			// with the line breaks folded into spaces.
			text := strings.Join(strings.Fields(out.String()), " ")
			if code != tt.wantCode || !strings.Contains(text, tt.wantOut) || (tt.notOut != "" && strings.Contains(text, tt.notOut)) {
				t.Errorf("code %d (want %d), output:\n%s\nwant it to contain %q and not %q", code, tt.wantCode, out.String(), tt.wantOut, tt.notOut)
			}
		})
	}
}
