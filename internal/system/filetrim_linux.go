package system

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// madvPageout is MADV_PAGEOUT (Linux 5.4): reclaim the range's pages.
// Unlike MADV_DONTNEED it never changes what memory holds, so a range that
// was unmapped and mapped again for something else between reading
// /proc/self/maps and the call is not harmed: at worst its pages are
// swapped out or written back.
const madvPageout = 21

// fileRSS is RssFile of /proc/self/status in bytes.
func fileRSS() (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("RssFile:")); ok {
			f := strings.Fields(string(rest))
			if len(f) == 0 {
				return 0, false
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// pageOutMapped pages out every mapping of a file under dir whose name
// ends in one of suffixes, and returns how many mappings it advised.
func pageOutMapped(dir string, suffixes []string) (int, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return 0, fmt.Errorf("page out mapped files: %w", err)
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0, fmt.Errorf("page out mapped files: %w", err)
	}
	defer f.Close()
	var ranges [][2]uintptr
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// start-end perms offset dev inode path (which may hold spaces)
		line := sc.Text()
		i := strings.Index(line, " /")
		if i < 0 {
			continue
		}
		path := strings.TrimSpace(line[i:])
		if !strings.HasPrefix(path, dir+"/") || !hasAnySuffix(path, suffixes) {
			continue
		}
		addrs, _, _ := strings.Cut(line, " ")
		lo, hi, ok := strings.Cut(addrs, "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		ranges = append(ranges, [2]uintptr{uintptr(start), uintptr(end)})
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("page out mapped files: read maps: %w", err)
	}
	n := 0
	for _, r := range ranges {
		_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, r[0], r[1]-r[0], madvPageout)
		switch {
		case errno == 0:
			n++
		case errors.Is(errno, syscall.EINVAL) && n == 0:
			// No MADV_PAGEOUT in this kernel.
			return 0, fmt.Errorf("page out mapped files: madvise: %w", errno)
		default:
			// ENOMEM: unmapped since the maps were read (a table
			// compacted away); the next round sees the new ones.
		}
	}
	return n, nil
}

func hasAnySuffix(s string, suffixes []string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}
