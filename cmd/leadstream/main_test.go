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
	}{
		{nil, 0, "Commands:"},
		{[]string{"help"}, 0, "leadstream run --import examples/leads.csv --until-idle"},
		{[]string{"version"}, 0, "leadstream dev"},
		{[]string{"nope"}, 2, `unknown command "nope"`},
		{[]string{"run", "--help"}, 0, "--until-idle"},
		{[]string{"replay", "--group", "dedupe"}, 2, "exactly one of --to-start or --to-time"},
		{[]string{"stage"}, 2, "Usage: leadstream stage"},
		{[]string{"stage", "bogus"}, 1, `no stage named "bogus"`},
		{[]string{"run", "--log-level", "loud", "--metrics-addr", ""}, 1, `--log-level "loud"`},
		{[]string{"run", "--state-key", "abc"}, 1, "--state-key must be"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			code := mainExit(context.Background(), tt.args, &out, &out)
			if code != tt.wantCode || !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("code %d (want %d), output:\n%s\nwant it to contain %q", code, tt.wantCode, out.String(), tt.wantOut)
			}
		})
	}
}
