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

// holdsNoBlocks reports whether fi's file is known to take no disk: a
// preallocated file copied (cp, tar, rsync) keeps its length, 0, and
// loses its blocks.
func holdsNoBlocks(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Blocks == 0
}
