//go:build unix

package bench

import "syscall"

// flush writes dirty pages out, so that the kernel writing the new corpus
// back to disk does not compete with the measured rounds.
func flush() { syscall.Sync() }
