//go:build unix

package store

import (
	"os"
	"syscall"
)

// allocated is the space fi's file takes: its blocks, preallocated ones
// included.
func allocated(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Blocks) * 512
	}
	return uint64(max(fi.Size(), 0))
}
