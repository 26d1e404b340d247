package index

import (
	"errors"
	"testing"
)

func TestStoreApplyGetCheckpoint(t *testing.T) {
	tests := []struct {
		name    string
		key     []byte // nil disables encryption
		changes []Change
		cp      int64
		want    map[string]string // "" means absent
		wantCP  int64
	}{
		{
			name:    "set and delete",
			changes: []Change{{Key: []byte("a"), Value: []byte("1")}, {Key: []byte("b"), Value: []byte("2")}, {Key: []byte("a")}},
			cp:      41, want: map[string]string{"a": "", "b": "2"}, wantCP: 41,
		},
		{
			name:    "encrypted at rest",
			key:     []byte("0123456789abcdef0123456789abcdef"),
			changes: []Change{{Key: []byte("k"), Value: []byte("v")}},
			cp:      -1, want: map[string]string{"k": "v"}, wantCP: -1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := DefaultOptions(t.TempDir())
			opts.EncryptionKey = tt.key
			s, err := Open(opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Apply(tt.changes, tt.cp); err != nil {
				t.Fatal(err)
			}
			// Reopen to prove the writes are durable.
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if s, err = Open(opts); err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for k, want := range tt.want {
				got, err := s.Get([]byte(k))
				if want == "" {
					if !errors.Is(err, ErrNotFound) {
						t.Errorf("%s: want not found, got %q, %v", k, got, err)
					}
					continue
				}
				if err != nil || string(got) != want {
					t.Errorf("%s = %q, %v; want %q", k, got, err, want)
				}
			}
			cp, err := s.Checkpoint()
			if err != nil || cp != tt.wantCP {
				t.Errorf("checkpoint = %d, %v; want %d", cp, err, tt.wantCP)
			}
		})
	}
}
