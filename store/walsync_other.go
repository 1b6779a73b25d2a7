//go:build !linux

package store

import "github.com/cockroachdb/pebble/v2/vfs"

// walSyncFS returns fs unchanged: the held WAL sync of walsync_linux.go is
// Linux's.
func walSyncFS(fs vfs.FS) vfs.FS { return fs }
