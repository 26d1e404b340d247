package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
)

func TestResolvePrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "leadstream.json")
	if err := os.WriteFile(file, []byte(`{"data-dir":"/from/file","brokers":["a:1","b:2"],"max-batch":7,"exactly-once":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		wantDir   string
		wantBatch int
		wantBroke string
		wantEOS   bool
	}{
		{"file only", nil, nil, "/from/file", 7, "a:1,b:2", false},
		{"env beats file", nil, map[string]string{"LEADSTREAM_DATA_DIR": "/from/env"}, "/from/env", 7, "a:1,b:2", false},
		{"flag beats env", []string{"--data-dir", "/from/flag", "--brokers", "c:3"}, map[string]string{"LEADSTREAM_DATA_DIR": "/from/env"}, "/from/flag", 7, "c:3", false},
		{"flags after arguments", []string{"file.csv", "--data-dir=/from/flag"}, nil, "/from/flag", 7, "a:1,b:2", false},
		// exactly-once is deprecated in this flag set (the command does not
		// use it): neither the file nor the environment sets it.
		{"deprecated flag ignored in env and file", nil, map[string]string{"LEADSTREAM_EXACTLY_ONCE": "true"}, "/from/file", 7, "a:1,b:2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
			dir := fs.String("data-dir", "./data", "")
			batch := fs.Int("max-batch", 500, "")
			eos := fs.Bool("exactly-once", false, "")
			if err := fs.MarkDeprecated("exactly-once", "it has no effect on x"); err != nil {
				t.Fatal(err)
			}
			var brokers List
			fs.Var(&brokers, "brokers", "")
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if err := Resolve(fs, file, func(k string) string { return tt.env[k] }); err != nil {
				t.Fatal(err)
			}
			if *dir != tt.wantDir || *batch != tt.wantBatch || brokers.String() != tt.wantBroke || *eos != tt.wantEOS {
				t.Errorf("got dir=%s batch=%d brokers=%s exactly-once=%v", *dir, *batch, brokers.String(), *eos)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, file string
		env        map[string]string
	}{
		{"unknown key", `{"data_dir":"x"}`, nil},
		{"not JSON", `data-dir = x`, nil},
		{"bad value in the file", `{"max-batch":"many"}`, nil},
		{"bad value in the environment", `{}`, map[string]string{"LEADSTREAM_MAX_BATCH": "many"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, string(rune('a'+i))+".json")
			if err := os.WriteFile(file, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
			fs.String("data-dir", "", "")
			fs.Int("max-batch", 0, "")
			if err := Resolve(fs, file, func(k string) string { return tt.env[k] }); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}
