package pull

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/leadstream/leadstream/internal/atomicfile"
)

// Checkpoint is the persisted state of one pull.
type Checkpoint struct {
	Version     int       `json:"version"`
	Provider    string    `json:"provider"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	Cursor      string    `json:"cursor"`
	Steps       int       `json:"steps"`
	Records     int64     `json:"records"`
	Malformed   int64     `json:"malformed"`
	Credits     float64   `json:"credits"`
	Done        bool      `json:"done"`
	UpdatedAt   time.Time `json:"updated_at"`
	// Inflight holds the records of the last fetched step until they have
	// all been delivered; a restart delivers them again instead of fetching
	// the page a second time.
	Inflight     []Item `json:"inflight,omitempty"`
	InflightStep int    `json:"inflight_step,omitempty"`
	// InflightCursor is the cursor the in-flight step was fetched with.
	InflightCursor string `json:"inflight_cursor,omitempty"`
	// InflightNext is the index of the first in-flight record the handler
	// has not accepted yet.
	InflightNext int `json:"inflight_next,omitempty"`
}

const checkpointVersion = 1

// CheckpointPath is where Run keeps the checkpoint for name in dir.
func CheckpointPath(dir, name string) string { return filepath.Join(dir, name+".checkpoint.json") }

// LoadCheckpoint reads a checkpoint; a missing file gives (nil, nil).
func LoadCheckpoint(path string) (*Checkpoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pull: reading checkpoint: %w", err)
	}
	var cp Checkpoint
	if err := json.Unmarshal(b, &cp); err != nil {
		return nil, fmt.Errorf("pull: checkpoint %s is corrupt (remove it to start over): %w", path, err)
	}
	if cp.Version != checkpointVersion {
		return nil, fmt.Errorf("pull: checkpoint %s has version %d, want %d", path, cp.Version, checkpointVersion)
	}
	for i := range cp.Inflight {
		if cp.Inflight[i].ErrText != "" {
			cp.Inflight[i].Err = errors.New(cp.Inflight[i].ErrText)
		}
	}
	return &cp, nil
}

// SaveCheckpoint writes cp to path atomically: a temporary file in the same
// directory, fsynced, then renamed over the old one.
func SaveCheckpoint(path string, cp *Checkpoint) error {
	cp.Version = checkpointVersion
	for i := range cp.Inflight {
		if cp.Inflight[i].Err != nil {
			cp.Inflight[i].ErrText = cp.Inflight[i].Err.Error()
		}
	}
	b, err := json.MarshalIndent(cp, "", "  ")
	if err != nil {
		return fmt.Errorf("pull: encoding checkpoint: %w", err)
	}
	if err := atomicfile.Write(path, b, true); err != nil {
		return fmt.Errorf("pull: writing checkpoint: %w", err)
	}
	return nil
}
