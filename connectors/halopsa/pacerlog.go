package halopsa

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/leadstream/leadstream/internal/atomicfile"
)

// pacerLog keeps a Pacer's window in a file, so that a process restarted
// after a crash still counts the requests its predecessor made in the
// tenant's rolling window instead of starting with a full allowance.
type pacerLog struct {
	path string
}

// pacerFile is the file format: completion stamps, oldest first.
type pacerFile struct {
	Window time.Duration `json:"window"`
	Done   []time.Time   `json:"done"`
}

// Persist makes p keep its window in the file at path: the stamps a
// previous process left there (within the window) count from now on, and
// every completed request is written back. Call it before the first
// Acquire. One process per file: the file is rewritten, not merged.
func (p *Pacer) Persist(path string) error {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("halopsa pacer log: %w", err)
	}
	var f pacerFile
	if len(b) > 0 {
		if err := json.Unmarshal(b, &f); err != nil {
			return fmt.Errorf("halopsa pacer log %s: %w", path, err)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for _, t := range f.Done {
		if t.After(now.Add(-p.window)) && !t.After(now) {
			p.done = append(p.done, t)
		}
	}
	p.log = &pacerLog{path: path}
	return nil
}

// write saves done; the caller holds the Pacer's lock. A failed write
// costs only the restart protection, so it is not an error of the request.
func (l *pacerLog) write(window time.Duration, done []time.Time) {
	b, err := json.Marshal(pacerFile{Window: window, Done: done})
	if err != nil {
		return
	}
	_ = atomicfile.Write(l.path, b, false)
}
