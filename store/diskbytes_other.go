//go:build !unix

package store

import "os"

func allocated(fi os.FileInfo) uint64 { return uint64(max(fi.Size(), 0)) }

func holdsNoBlocks(os.FileInfo) bool { return false }
