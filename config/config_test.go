package config

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

func TestResolvePrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "leadstream.json")
	if err := os.WriteFile(file, []byte(`{"data-dir":"/from/file","brokers":["a:1","b:2"],"max-batch":7}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		wantDir   string
		wantBatch int
		wantBroke string
	}{
		{"file only", nil, nil, "/from/file", 7, "a:1,b:2"},
		{"env beats file", nil, map[string]string{"LEADSTREAM_DATA_DIR": "/from/env"}, "/from/env", 7, "a:1,b:2"},
		{"flag beats env", []string{"--data-dir", "/from/flag", "--brokers", "c:3"}, map[string]string{"LEADSTREAM_DATA_DIR": "/from/env"}, "/from/flag", 7, "c:3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("x", flag.ContinueOnError)
			dir := fs.String("data-dir", "./data", "")
			batch := fs.Int("max-batch", 500, "")
			var brokers List
			fs.Var(&brokers, "brokers", "")
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if err := Resolve(fs, file, func(k string) string { return tt.env[k] }); err != nil {
				t.Fatal(err)
			}
			if *dir != tt.wantDir || *batch != tt.wantBatch || brokers.String() != tt.wantBroke {
				t.Errorf("got dir=%s batch=%d brokers=%s", *dir, *batch, brokers.String())
			}
		})
	}
}

func TestResolveRejectsUnknownFileKey(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(file, []byte(`{"data_dir":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("data-dir", "", "")
	if err := Resolve(fs, file, func(string) string { return "" }); err == nil {
		t.Fatal("want an error for an unknown key")
	}
}
