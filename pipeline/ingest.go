package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/schollz/progressbar/v3"
	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/atomicfile"
)

// SourceRow is one record read from an import file: its fields, the
// original bytes, and the line it started on. Err marks a malformed row; it
// is dead-lettered and the import goes on.
type SourceRow struct {
	Line   int
	Fields map[string]string
	Raw    []byte
	Err    error
}

// RowSource yields the rows of one file. Next returns io.EOF at the end;
// any other error is fatal for the file.
type RowSource interface {
	Next() (SourceRow, error)
	// BytesRead reports progress through the underlying file.
	BytesRead() int64
}

// ImportOptions configures ImportFile.
type ImportOptions struct {
	// Provider is the source key stamped on every record (default "csv").
	Provider string
	// DataDir keeps import checkpoints so a restarted import resumes after
	// the last row it knows was written. Empty disables resuming.
	DataDir string
	// Progress receives a progress bar (nil for none).
	Progress io.Writer
	// CheckpointEvery is how many rows pass between checkpoints (default 2000).
	CheckpointEvery int
	// MaxErrorsShown bounds ImportResult.FirstErrors (default 10).
	MaxErrorsShown int
	// Logger receives progress logs (default slog.Default()).
	Logger *slog.Logger
	// Namespace prefixes the topics written.
	Namespace Namespace
	// Sealer seals each record's fields under its source record's data key
	// (nil: not sealed). A Sealer with a Flush(ctx) error method is
	// flushed before the records sealed since its last flush are sent, so
	// a key is durable before any record sealed with it.
	Sealer Sealer
}

// ImportResult reports one file's import.
type ImportResult struct {
	ImportID    string
	File        string
	Rows        int // data rows in the file, good and malformed
	Produced    int // rows sent to leads.raw by this run
	Malformed   int // rows sent to leads.dlq by this run
	Resumed     int // rows skipped because an earlier run already wrote them
	FirstErrors []string
	// Err is why the file could not be read (or was read in part); set by
	// callers that go on with the next file.
	Err error
}

// importCheckpoint is persisted under DataDir/imports.
type importCheckpoint struct {
	File     string `json:"file"`
	RowsDone int    `json:"rows_done"`
	Complete bool   `json:"complete"`
	Rows     int    `json:"rows,omitempty"`
}

// ImportID identifies a file by its content, so the same file imported
// again (or resumed after a crash) keeps its trace ids.
func ImportID(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return "imp_" + hex.EncodeToString(h.Sum(nil)[:10]), nil
}

// ImportFile streams path into leads.raw through cl, with back-pressure
// from the producer's buffer. Malformed rows go to leads.dlq naming the file
// and line. With a DataDir, a file that was partly imported before resumes
// after its last checkpoint and a completed one is not sent again.
func ImportFile(ctx context.Context, cl *kgo.Client, path string, open func(io.Reader) (RowSource, error), opts ImportOptions) (ImportResult, error) {
	if opts.Provider == "" {
		opts.Provider = "csv"
	}
	if opts.CheckpointEvery <= 0 {
		opts.CheckpointEvery = 2000
	}
	if opts.MaxErrorsShown <= 0 {
		opts.MaxErrorsShown = 10
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	base := filepath.Base(path)
	res := ImportResult{File: base}
	id, err := ImportID(path)
	if err != nil {
		return res, err
	}
	res.ImportID = id
	cpPath := ""
	var cp importCheckpoint
	if opts.DataDir != "" {
		cpPath = filepath.Join(opts.DataDir, "imports", string(opts.Namespace), id+".json")
		if b, err := os.ReadFile(cpPath); err == nil {
			if err := json.Unmarshal(b, &cp); err != nil {
				return res, fmt.Errorf("import checkpoint %s: %w", cpPath, err)
			}
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return res, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return res, fmt.Errorf("stat %s: %w", path, err)
	}
	src, err := open(f)
	if err != nil {
		return res, fmt.Errorf("%s: %w", base, err)
	}
	var bar *progressbar.ProgressBar
	if opts.Progress != nil {
		bar = progressbar.NewOptions64(st.Size(),
			progressbar.OptionSetWriter(opts.Progress),
			progressbar.OptionSetDescription("importing "+base),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(opts.Progress) }),
		)
	}

	var (
		mu      sync.Mutex
		prodErr error
	)
	promise := func(_ *kgo.Record, err error) {
		if err != nil {
			mu.Lock()
			if prodErr == nil {
				prodErr = err
			}
			mu.Unlock()
		}
	}
	// held are sealed records waiting for their data keys to be durable.
	var held []*kgo.Record
	flusher, _ := opts.Sealer.(interface{ Flush(context.Context) error })
	send := func(ctx context.Context) error {
		if flusher != nil && len(held) > 0 {
			if err := flusher.Flush(ctx); err != nil {
				return fmt.Errorf("import %s: keyring: %w", base, err)
			}
		}
		for _, r := range held {
			cl.Produce(ctx, r, promise)
		}
		held = held[:0]
		return nil
	}
	checkpoint := func(ctx context.Context, done int, complete bool) error {
		// What was read is written even while the import is being stopped,
		// so the checkpoint always covers exactly the rows sent.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := send(ctx); err != nil {
			return err
		}
		if err := cl.Flush(ctx); err != nil {
			return fmt.Errorf("import %s: flush: %w", base, err)
		}
		mu.Lock()
		err := prodErr
		mu.Unlock()
		if err != nil {
			return fmt.Errorf("import %s: produce: %w", base, err)
		}
		if cpPath == "" {
			return nil
		}
		c := importCheckpoint{File: base, RowsDone: done, Complete: complete}
		if complete {
			c.Rows = done
		}
		return writeJSONAtomic(cpPath, c)
	}

	now := time.Now().UTC()
	for {
		if ctx.Err() != nil {
			// Interrupted: keep what was sent, so the next run resumes here.
			if err := checkpoint(ctx, res.Rows, false); err != nil {
				return res, fmt.Errorf("import %s interrupted at row %d, checkpoint not saved: %w", base, res.Rows, err)
			}
			return res, fmt.Errorf("import %s interrupted after %d rows (run it again to resume): %w", base, res.Rows, ctx.Err())
		}
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, fmt.Errorf("%s: %w", base, err)
		}
		res.Rows++
		if bar != nil {
			_ = bar.Set64(src.BytesRead())
		}
		if res.Rows <= cp.RowsDone {
			res.Resumed++
			continue
		}
		trace := fmt.Sprintf("%s:%d", id, row.Line)
		var rec *kgo.Record
		if row.Err != nil {
			res.Malformed++
			msg := SafeText(fmt.Sprintf("%s:%d: %v", base, row.Line, row.Err))
			if len(res.FirstErrors) < opts.MaxErrorsShown {
				res.FirstErrors = append(res.FirstErrors, msg)
			}
			rec = DeadLetter(opts.Namespace, []byte(trace), row.Raw, []kgo.RecordHeader{{Key: HeaderTrace, Value: []byte(trace)}},
				"import", fmt.Sprintf("%s:%d", base, row.Line), errors.New(msg))
		} else {
			recordID := row.Fields["record_id"]
			if recordID == "" {
				recordID = trace
			}
			env := &Envelope{
				TraceID:   trace,
				Source:    Source{Provider: opts.Provider, RecordID: recordID, File: base, Line: row.Line, ImportID: id},
				FirstSeen: now,
				Raw:       row.Fields,
				Stages:    []string{"import"},
			}
			if rec, err = env.SealedRecord(opts.Sealer, opts.Namespace.Topic(TopicRaw), trace); err != nil {
				return res, err
			}
			res.Produced++
		}
		// Records once read are sent even if ctx ends now: the loop stops at
		// the next row and the checkpoint covers exactly what was written.
		held = append(held, rec)
		if len(held) >= 256 {
			if err := send(context.WithoutCancel(ctx)); err != nil {
				return res, err
			}
		}
		if res.Rows%opts.CheckpointEvery == 0 {
			if err := checkpoint(ctx, res.Rows, false); err != nil {
				return res, err
			}
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	if err := checkpoint(ctx, res.Rows, true); err != nil {
		return res, err
	}
	opts.Logger.Info("import finished", "file", base, "import_id", id, "rows", res.Rows, "produced", res.Produced, "malformed", res.Malformed, "resumed", res.Resumed)
	return res, nil
}

// SafeText makes text read from a file fit for a message: control
// characters and invalid UTF-8 are escaped (\x1b, \x00), never printed, and
// the text is cut at 500 bytes.
func SafeText(s string) string {
	const limit = 500
	var b strings.Builder
	for i := 0; i < len(s); {
		if b.Len() >= limit {
			b.WriteString("…")
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// SafeError shows err's message through SafeText; errors.Is and errors.As
// still see err.
func SafeError(err error) error {
	if err == nil {
		return nil
	}
	return safeError{err}
}

type safeError struct{ err error }

func (e safeError) Error() string { return SafeText(e.err.Error()) }
func (e safeError) Unwrap() error { return e.err }

// writeJSONAtomic writes v to path through a temporary file and a rename.
func writeJSONAtomic(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("checkpoint encode: %w", err)
	}
	if err := atomicfile.Write(path, b, false); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}
