package system

import (
	"context"
	"log/slog"
	"time"
)

// fileRSSShare is the share of the memory limit that pages of mapped state
// files (Badger's tables and value logs, Bleve's segments) may hold in the
// process's resident set before they are handed back to the kernel.
const fileRSSShare = 0.25

// trimInterval is how often the file-backed resident set is checked.
const trimInterval = 5 * time.Second

// trimmedSuffixes are the mapped files a trim releases: Badger's tables
// and value logs and Bleve's segments, which grow with the state. Badger's
// memtables (.mem), bounded by the store budget and written all the time,
// stay.
var trimmedSuffixes = []string{".sst", ".vlog", ".zap"}

// keepFileRSS bounds the file-backed part of the process's resident set:
// every trimInterval, if it holds more than budget bytes, the pages of the
// state files mapped from dir are paged out (madvise MADV_PAGEOUT). Badger
// maps every table and value log whole and Bleve every segment, and the
// kernel leaves their pages in a process's resident set until memory runs
// short, so without this the resident set grows with the state (about 45
// MiB per 20k leads) although the Go heap is bounded. A page read again is
// read again from the page cache or the disk; nothing is lost (the pages
// of a file mapping hold the file). Where the kernel has no MADV_PAGEOUT
// (before Linux 5.4) or no /proc it does nothing.
func keepFileRSS(ctx context.Context, dir string, budget int64, log *slog.Logger) {
	t := time.NewTicker(trimInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rss, ok := fileRSS()
		if !ok || rss <= budget {
			continue
		}
		n, err := pageOutMapped(dir, trimmedSuffixes)
		if err != nil {
			log.Warn("cannot release mapped state files from memory; the resident set will grow with the state", "err", err)
			return
		}
		after, _ := fileRSS()
		log.Debug("released mapped state files", "mappings", n, "file_rss_before", rss, "file_rss_after", after)
	}
}
