package halopsa

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A restarted process's pacer counts the requests its predecessor made in
// the window: with the limit used up before the restart, the next Acquire
// waits instead of sending at once.
func TestPacerPersistsItsWindow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "halopsa", "pacer.json")
	const limit, window = 3, 400 * time.Millisecond
	first := NewPacer(limit, window)
	if err := first.Persist(path); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range limit {
		release, err := first.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		release()
	}

	// "Restart": a new pacer on the same file.
	second := NewPacer(limit, window)
	if err := second.Persist(path); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	release, err := second.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	release()
	if waited := time.Since(start); waited < window/2 {
		t.Errorf("the restarted pacer sent after %v: it forgot the window", waited)
	}

	// Stamps older than the window, or a missing file, cost nothing.
	if err := os.WriteFile(path, []byte(`{"window":1,"done":["2000-01-01T00:00:00Z"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	third := NewPacer(limit, window)
	if err := third.Persist(path); err != nil {
		t.Fatal(err)
	}
	if n := len(third.done); n != 0 {
		t.Errorf("%d stale stamps kept", n)
	}
	if err := NewPacer(limit, window).Persist(filepath.Join(t.TempDir(), "new", "pacer.json")); err != nil {
		t.Errorf("no file yet: %v", err)
	}
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := NewPacer(limit, window).Persist(path); err == nil {
		t.Error("a corrupt file: no error")
	}
}
