package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	for _, durable := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "a", "b", "state.json")
		for _, content := range []string{"first", "second"} {
			if err := Write(path, []byte(content), durable); err != nil {
				t.Fatal(err)
			}
			if b, err := os.ReadFile(path); err != nil || string(b) != content {
				t.Fatalf("durable=%v: read %q, %v; want %q", durable, b, err, content)
			}
		}
		if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.tmp")); len(left) != 0 {
			t.Errorf("temporary files left: %v", left)
		}
	}
}
