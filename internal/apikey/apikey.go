// Package apikey keeps the REST API's keys (crm.md §9.1): each key has a
// name and one role (viewer, operator or admin) and is stored only as its
// SHA-256 digest, in <data-dir>/api/keys.json (mode 0600), so a copy of the
// data directory cannot be used to call the API. A key is shown once, when
// it is created.
//
// A key reads "lsk_<id>_<secret>": the id finds the entry, the 32-byte
// random secret makes it unguessable; with that much entropy a plain
// SHA-256 digest is as good as a slow password hash and costs nothing per
// request. Revoked keys stay listed with the time of revocation.
//
// The API server re-reads the file when it changes, so a key created or
// revoked with `leadstream apikey` applies without a restart.
package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leadstream/leadstream/internal/atomicfile"
)

// Roles, each including the one before.
const (
	RoleViewer   = "viewer"
	RoleOperator = "operator"
	RoleAdmin    = "admin"
)

// Roles lists the roles from least to most.
var Roles = []string{RoleViewer, RoleOperator, RoleAdmin}

// Allows reports whether role includes need.
func Allows(role, need string) bool {
	have, want := slices.Index(Roles, role), slices.Index(Roles, need)
	return have >= 0 && want >= 0 && have >= want
}

// Entry is a stored key, without its secret.
type Entry struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	Hash      string     `json:"sha256"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Path is where a data directory keeps its keys.
func Path(dataDir string) string { return filepath.Join(dataDir, "api", "keys.json") }

// Store is the key file of a data directory. It is safe for concurrent use
// within a process; processes that share the file see each other's writes
// on their next read.
type Store struct {
	path string

	mu      sync.Mutex
	entries []Entry
	modTime time.Time
	size    int64
	checked time.Time
	now     func() time.Time
}

// Open returns the store of path (the file may not exist yet).
func Open(path string) *Store { return &Store{path: path, now: time.Now} }

// load re-reads the file when it changed. Caller holds mu.
func (s *Store) load(force bool) error {
	now := s.now()
	if !force && now.Sub(s.checked) < time.Second && s.entries != nil {
		return nil
	}
	s.checked = now
	fi, err := os.Stat(s.path)
	if errors.Is(err, os.ErrNotExist) {
		s.entries, s.modTime, s.size = []Entry{}, time.Time{}, 0
		return nil
	}
	if err != nil {
		return fmt.Errorf("apikey: %w", err)
	}
	if !force && s.entries != nil && fi.ModTime().Equal(s.modTime) && fi.Size() == s.size {
		return nil
	}
	b, err := os.ReadFile(s.path)
	if err != nil {
		return fmt.Errorf("apikey: %w", err)
	}
	var entries []Entry
	if err := json.Unmarshal(b, &entries); err != nil {
		return fmt.Errorf("apikey: %s is corrupt: %w", s.path, err)
	}
	s.entries, s.modTime, s.size = entries, fi.ModTime(), fi.Size()
	return nil
}

func (s *Store) save() error {
	b, err := json.MarshalIndent(s.entries, "", "  ")
	if err != nil {
		return fmt.Errorf("apikey: %w", err)
	}
	if err := atomicfile.Write(s.path, b, true); err != nil {
		return fmt.Errorf("apikey: %w", err)
	}
	s.checked = time.Time{}
	return s.load(true)
}

// Create adds a key with name and role and returns it; only its digest is
// kept.
func (s *Store) Create(name, role string) (string, Entry, error) {
	if !slices.Contains(Roles, role) {
		return "", Entry{}, fmt.Errorf("apikey: unknown role %q (viewer, operator or admin)", role)
	}
	if name = strings.TrimSpace(name); name == "" {
		return "", Entry{}, errors.New("apikey: a key needs a name")
	}
	var id [6]byte
	var secret [32]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", Entry{}, err
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return "", Entry{}, err
	}
	e := Entry{ID: hex.EncodeToString(id[:]), Name: name, Role: role, CreatedAt: s.now().UTC().Truncate(time.Second)}
	key := "lsk_" + e.ID + "_" + base64.RawURLEncoding.EncodeToString(secret[:])
	e.Hash = digest(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(true); err != nil {
		return "", Entry{}, err
	}
	s.entries = append(s.entries, e)
	if err := s.save(); err != nil {
		return "", Entry{}, err
	}
	return key, e, nil
}

// List returns every key, revoked ones included.
func (s *Store) List() ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(true); err != nil {
		return nil, err
	}
	return slices.Clone(s.entries), nil
}

// ErrUnknown is returned for a key id the store does not hold.
var ErrUnknown = errors.New("apikey: no such key")

// Revoke revokes the key with id (or name, when unique).
func (s *Store) Revoke(idOrName string) (Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(true); err != nil {
		return Entry{}, err
	}
	match := -1
	for i, e := range s.entries {
		if e.ID == idOrName || (e.Name == idOrName && e.RevokedAt == nil) {
			if match >= 0 && s.entries[match].ID != e.ID {
				return Entry{}, fmt.Errorf("apikey: %q names several keys; give the id", idOrName)
			}
			match = i
		}
	}
	if match < 0 {
		return Entry{}, fmt.Errorf("%w: %s", ErrUnknown, idOrName)
	}
	if s.entries[match].RevokedAt == nil {
		at := s.now().UTC().Truncate(time.Second)
		s.entries[match].RevokedAt = &at
		if err := s.save(); err != nil {
			return Entry{}, err
		}
	}
	return s.entries[match], nil
}

// ErrInvalid is returned for a key that is unknown, revoked or malformed.
var ErrInvalid = errors.New("apikey: invalid or revoked key")

// Authenticate returns the entry of key.
func (s *Store) Authenticate(key string) (Entry, error) {
	parts := strings.SplitN(key, "_", 3)
	if len(parts) != 3 || parts[0] != "lsk" {
		return Entry{}, ErrInvalid
	}
	s.mu.Lock()
	err := s.load(false)
	entries := s.entries
	s.mu.Unlock()
	if err != nil {
		return Entry{}, err
	}
	want := digest(key)
	for _, e := range entries {
		if e.ID != parts[1] {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(e.Hash), []byte(want)) == 1 && e.RevokedAt == nil {
			return e, nil
		}
		return Entry{}, ErrInvalid
	}
	return Entry{}, ErrInvalid
}

func digest(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}
