// Package secrets reads leadstream's keys from files and keeps the
// do-not-contact list's HMAC key. A secret given on the command line is
// visible to every user of the machine (ps, /proc), so each secret can
// also come from the environment or from a file; a key file readable by
// group or others is reported.
package secrets

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// MaxFileBytes bounds a secret file.
const MaxFileBytes = 64 << 10

// ReadFile returns the trimmed content of a secret file. warn (may be nil)
// is told when the file is readable by group or others.
func ReadFile(path string, warn func(msg string, args ...any)) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("secret file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("secret file %s: %w", path, err)
	}
	if st.Size() > MaxFileBytes {
		return "", fmt.Errorf("secret file %s: larger than %d bytes", path, MaxFileBytes)
	}
	if st.Mode().Perm()&0o077 != 0 && warn != nil {
		warn("secret file is readable by group or others; chmod 600 it", "file", path, "mode", st.Mode().Perm().String())
	}
	b := make([]byte, st.Size())
	if _, err := f.ReadAt(b, 0); err != nil && st.Size() > 0 {
		return "", fmt.Errorf("secret file %s: %w", path, err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("secret file %s is empty", path)
	}
	return v, nil
}

// Value picks a secret: the content of file when file is set (and value
// is not), else value.
func Value(name, value, file string, warn func(msg string, args ...any)) (string, error) {
	if file == "" {
		return value, nil
	}
	if value != "" {
		return "", fmt.Errorf("%s is given twice: as a value and as a file", name)
	}
	return ReadFile(file, warn)
}

// LegacySuppressionKey is the fixed key of releases before the generated
// one. It is public, so entries keyed with it are plain digests.
const LegacySuppressionKey = "leadstream default suppression key"

// SuppressionKeyFile is where the generated key lives in the data dir.
const SuppressionKeyFile = "secrets/suppression.key"

// SuppressionOptions says where a process keeps its suppression key.
type SuppressionOptions struct {
	// Shared is the deployment's key (LEADSTREAM_SUPPRESSION_KEY or its
	// file); when set it is used as it is.
	Shared []byte
	// DataDir holds the generated key, SuppressionKeyFile, mode 0600.
	DataDir string
	// MultiProcess is true when other processes (stage replicas against
	// an external Kafka) read and write the same do-not-contact list.
	MultiProcess bool
	// Legacy is true when the data dir already holds topics or state from
	// a release that keyed the list with LegacySuppressionKey.
	Legacy bool
	Logger *slog.Logger
}

// SuppressionKey returns the HMAC key of the do-not-contact list.
//
// A shared key wins. Without one, a single process (the embedded broker)
// uses a random key generated on its first run and stored 0600 in the data
// dir; a data dir that predates that keeps the legacy key (its list is
// keyed with it) written to the same file. Processes of a multi-process
// deployment must agree on the key, so without a shared key they use the
// legacy key and are warned: a generated key per process would make one
// process blind to the entries of another.
func SuppressionKey(o SuppressionOptions) ([]byte, error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	if len(o.Shared) > 0 {
		return o.Shared, nil
	}
	if o.MultiProcess {
		log.Warn("LEADSTREAM_SUPPRESSION_KEY (or LEADSTREAM_SUPPRESSION_KEY_FILE) is not set: the do-not-contact list is keyed with the public legacy key so that every process agrees; set one shared secret key for all processes")
		return []byte(LegacySuppressionKey), nil
	}
	if o.DataDir == "" {
		return nil, errors.New("suppression key: no data dir to keep a generated key in")
	}
	path := filepath.Join(o.DataDir, SuppressionKeyFile)
	if v, err := ReadFile(path, func(msg string, args ...any) { log.Warn(msg, args...) }); err == nil {
		return []byte(v), nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("suppression key: %w", err)
	}
	key := LegacySuppressionKey
	if o.Legacy {
		log.Warn("this data dir's do-not-contact list is keyed with the public legacy key; it is kept (stored in the data dir) so the list still matches. Set LEADSTREAM_SUPPRESSION_KEY and re-run the suppressions to rotate it", "file", path)
	} else {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("suppression key: %w", err)
		}
		key = hex.EncodeToString(b)
	}
	if err := writeNew(path, []byte(key+"\n")); err != nil {
		if errors.Is(err, fs.ErrExist) { // another process won the race
			v, rerr := ReadFile(path, nil)
			return []byte(v), rerr
		}
		return nil, fmt.Errorf("suppression key: %w", err)
	}
	if !o.Legacy {
		log.Info("generated the do-not-contact list's key", "file", path)
	}
	return []byte(key), nil
}

// writeNew creates path with mode 0600 (its directory 0700), failing if
// it exists.
func writeNew(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// A hard link fails if path exists, unlike a rename.
	return os.Link(tmp.Name(), path)
}
