package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadstream/leadstream/internal/testkafka"
)

// TestStartRefusals checks what stops `run` before it serves: a busy
// metrics or API port, and a state key with the embedded broker's log in
// the plain data dir. Secrets on the command line are warned about.
func TestStartRefusals(t *testing.T) {
	busy, err := net.Listen("tcp", testkafka.FreeAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	keyFile := filepath.Join(t.TempDir(), "state.key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"busy metrics port", []string{"--metrics-addr", busy.Addr().String(), "--api-addr", ""},
			[]string{"--metrics-addr " + busy.Addr().String(), "address already in use"}},
		{"busy API port", []string{"--metrics-addr", "", "--api-addr", busy.Addr().String()},
			[]string{"--api-addr " + busy.Addr().String(), "address already in use"}},
		{"state key from a file, broker log in the data dir", []string{"--metrics-addr", "", "--api-addr", "", "--state-key-file", keyFile},
			[]string{"cannot encrypt its log", "--broker-dir"}},
		{"state key on the command line", []string{"--metrics-addr", "", "--api-addr", "", "--state-key", strings.Repeat("ab", 32)},
			[]string{"--state-key on the command line is visible to other users", "LEADSTREAM_STATE_KEY", "cannot encrypt its log"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", "--data-dir", t.TempDir(), "--embedded-addr", testkafka.FreeAddr(t), "--log-level", "warn"}, tc.args...)
			var out bytes.Buffer
			code := mainExit(context.Background(), args, &out, &out)
			if code == 0 {
				t.Fatalf("run started:\n%s", out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String(), strings.Repeat("ab", 32)) {
				t.Errorf("the key is printed:\n%s", out.String())
			}
		})
	}
}
