//go:build unix

package source

import (
	"fmt"
	"io/fs"
	"syscall"
)

// fileID is the file's device and inode.
func fileID(fi fs.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("%d:%d", st.Dev, st.Ino)
	}
	return ""
}
