package system

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadstream/leadstream/internal/secrets"
	"github.com/leadstream/leadstream/internal/testkafka"
)

// TestStateKeyKeepsTheBrokerLogOutOfTheDataDir checks where the embedded
// broker's log goes with and without a state key, and that the
// suppression key is generated into the data dir, mode 0600.
func TestStateKeyKeepsTheBrokerLogOutOfTheDataDir(t *testing.T) {
	if testkafka.Brokers() != nil {
		t.Skip("the embedded broker only")
	}
	key := []byte("0123456789abcdef0123456789abcdef")
	elsewhere := t.TempDir()
	for _, tc := range []struct {
		name      string
		stateKey  []byte
		brokerDir string
		err       string
		inDataDir bool // the broker's files land in DATA_DIR/broker
		inOther   bool // they land in the other directory
	}{
		{name: "no key: the data dir", inDataDir: true},
		{name: "key, no broker dir: refused", stateKey: key, err: "cannot encrypt its log"},
		{name: "key, memory", stateKey: key, brokerDir: BrokerInMemory},
		{name: "key, another directory", stateKey: key, brokerDir: elsewhere, inOther: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			opts := testOptions(t)
			opts.StateKey, opts.BrokerDir = tc.stateKey, tc.brokerDir
			s, err := Start(ctx, opts)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			_, statErr := os.Stat(filepath.Join(opts.DataDir, "broker"))
			if (statErr == nil) != tc.inDataDir {
				t.Errorf("DATA_DIR/broker exists = %v, want %v", statErr == nil, tc.inDataDir)
			}
			if tc.inOther {
				if ents, _ := os.ReadDir(tc.brokerDir); len(ents) == 0 {
					t.Errorf("nothing persisted in --broker-dir")
				}
			}
			st, err := os.Stat(filepath.Join(opts.DataDir, secrets.SuppressionKeyFile))
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("suppression key file: %v, %v", st, err)
			}
		})
	}
}
