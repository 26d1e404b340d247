package secrets

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValue(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	open := filepath.Join(dir, "open")
	empty := filepath.Join(dir, "empty")
	os.WriteFile(good, []byte("  s3cret\n"), 0o600)
	os.WriteFile(open, []byte("x"), 0o644)
	os.WriteFile(empty, []byte("\n"), 0o600)
	for _, tc := range []struct {
		name, value, file, want, err string
		warned                       bool
	}{
		{name: "value", value: "v", want: "v"},
		{name: "none", want: ""},
		{name: "file", file: good, want: "s3cret"},
		{name: "world readable", file: open, want: "x", warned: true},
		{name: "both", value: "v", file: good, err: "given twice"},
		{name: "missing", file: filepath.Join(dir, "nope"), err: "no such file"},
		{name: "empty", file: empty, err: "is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			warned := false
			got, err := Value("--state-key", tc.value, tc.file, func(string, ...any) { warned = true })
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want || warned != tc.warned {
				t.Fatalf("= %q, %v (warned %v), want %q (warned %v)", got, err, warned, tc.want, tc.warned)
			}
		})
	}
}

func TestSuppressionKey(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     SuppressionOptions
		want     string // "generated" for a fresh random key
		file     bool   // the key file exists afterwards
		warnPart string
	}{
		{name: "shared", opts: SuppressionOptions{Shared: []byte("k")}, want: "k"},
		{name: "single process generates", want: "generated", file: true},
		{name: "legacy data dir keeps the old key", opts: SuppressionOptions{Legacy: true}, want: LegacySuppressionKey, file: true, warnPart: "legacy key"},
		{name: "multi-process without a shared key", opts: SuppressionOptions{MultiProcess: true}, want: LegacySuppressionKey, warnPart: "is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			o := tc.opts
			o.DataDir = t.TempDir()
			o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			k, err := SuppressionKey(o)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(o.DataDir, SuppressionKeyFile)
			st, statErr := os.Stat(path)
			if (statErr == nil) != tc.file {
				t.Fatalf("key file exists = %v, want %v", statErr == nil, tc.file)
			}
			if tc.file && st.Mode().Perm() != 0o600 {
				t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
			}
			switch tc.want {
			case "generated":
				if len(k) != 64 || string(k) == LegacySuppressionKey {
					t.Errorf("generated key %q", k)
				}
				again, err := SuppressionKey(o)
				if err != nil || !bytes.Equal(again, k) {
					t.Errorf("second run key %q, %v; want the stored %q", again, err, k)
				}
			default:
				if string(k) != tc.want {
					t.Errorf("key %q, want %q", k, tc.want)
				}
			}
			if tc.warnPart != "" && !strings.Contains(logs.String(), tc.warnPart) {
				t.Errorf("logs %q lack %q", logs.String(), tc.warnPart)
			}
			if bytes.Contains(logs.Bytes(), k) {
				t.Errorf("the key is logged: %s", logs.String())
			}
		})
	}
}
