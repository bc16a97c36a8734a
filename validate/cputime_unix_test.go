//go:build unix

package validate

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user and system) the process has used so
// far, all threads together.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
