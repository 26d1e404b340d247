package system

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A mapped state file's pages leave the resident set when paged out, and
// the mapping still reads the file's bytes afterwards.
func TestPageOutMappedReleasesStateFiles(t *testing.T) {
	dir := t.TempDir()
	const size = 8 << 20
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i % 251)
	}
	mapFile := func(name string) []byte {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Sync(); err != nil { // written back, as Badger's tables are
			t.Fatal(err)
		}
		m, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = syscall.Munmap(m) })
		for i := 0; i < size; i += 4096 { // fault every page in
			if m[i] != data[i] {
				t.Fatalf("%s: byte %d differs", name, i)
			}
		}
		return m
	}
	sst := mapFile("000001.sst")
	mem := mapFile("00001.mem")
	before, _ := fileRSS()
	n, err := pageOutMapped(dir, trimmedSuffixes)
	after, _ := fileRSS()
	t.Logf("RssFile %d KiB -> %d KiB", before>>10, after>>10)
	if before-after < size/2 {
		t.Errorf("RssFile went from %d KiB to %d KiB, want the .sst's %d KiB released", before>>10, after>>10, size>>10)
	}
	if err != nil {
		t.Skipf("no MADV_PAGEOUT here: %v", err)
	}
	if n != 1 {
		t.Fatalf("advised %d mappings, want 1 (the .sst, not the .mem)", n)
	}
	for i := 0; i < size; i += 4096 {
		if sst[i] != data[i] || mem[i] != data[i] {
			t.Fatalf("byte %d changed after the page-out", i)
		}
	}
}
