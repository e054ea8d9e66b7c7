//go:build unix

package compare

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the process has used, and
// whether it is known. On a shared machine it is steadier than the wall
// clock: time spent waiting for a core is not counted.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
