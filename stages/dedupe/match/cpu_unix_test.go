//go:build unix

package match

import (
	"syscall"
	"time"
)

// processCPU returns the process's user + system CPU time, so that the
// benchmark can report CPU per record on a shared, loaded machine.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
