//go:build unix

package bench

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time of the process so far (user + system,
// every goroutine: Badger's compactions and the fuzzy writer count too).
// On a machine shared with other work it is steadier than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
