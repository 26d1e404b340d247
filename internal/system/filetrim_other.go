//go:build !linux

package system

import "errors"

func fileRSS() (int64, bool) { return 0, false }

func pageOutMapped(string, []string) (int, error) {
	return 0, errors.New("page out mapped files: not supported on this system")
}
