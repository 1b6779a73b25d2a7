package store

import (
	"fmt"
	"syscall"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// heldSyncFS makes the WAL's fdatasync a raw system call, one the Go
// scheduler is not told about, so that the syncing goroutine keeps its
// processor for the sync.
//
// A sync-mode edge syncs its WAL about a thousand times a second, each for
// a few hundred microseconds under load. Made the usual way, each sync
// outlasts the runtime monitor's 20µs tick: the monitor hands the
// processor to another thread, wakes it, takes the processor back when the
// sync returns and puts the thread to sleep again, and the monitor itself
// stays on its 20µs ticks (9.5% of the samples of a sync edge under wrk).
// Held instead, under bench-edge's sync load: 13% less CPU per durable
// click (lower in 13 of 13 interleaved pairs) and 6% more clicks/s
// (median). In async mode, whose periodic sync is off the click path, it
// made no difference, so only a sync store uses it.
//
// The price, for the sync only: the processor does nothing else while the
// disk works, and a garbage collection's stop-the-world waits for a sync
// in progress. A sync-mode click waits for that sync anyway; a disk that
// stalls for seconds stalls a sync edge either way. Linux only: elsewhere
// the sync is made as Pebble makes it.
type heldSyncFS struct{ vfs.FS }

// walSyncFS returns fs with heldSyncFS's WAL syncs.
func walSyncFS(fs vfs.FS) vfs.FS { return heldSyncFS{fs} }

// isWAL reports whether name is a Pebble WAL file ("000123.log", and the
// failover writer's "000123-001.log").

func (fs heldSyncFS) Create(name string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, cat)
	return held(name, f, err)
}

func (fs heldSyncFS) ReuseForWrite(oldname, newname string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, cat)
	return held(newname, f, err)
}

func held(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil || !isWAL(name) {
		return f, err
	}
	return &heldSyncFile{File: f, fd: f.Fd(), name: name}, nil
}

type heldSyncFile struct {
	vfs.File
	fd   uintptr // f.Fd(), read once: the file stays open while it is used
	name string
}

// SyncData is fdatasync(2) as a raw system call; see heldSyncFS.
func (f *heldSyncFile) SyncData() error {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_FDATASYNC, f.fd, 0, 0); errno != 0 {
		return fmt.Errorf("store: fdatasync %s: %w", f.name, errno)
	}
	return nil
}
