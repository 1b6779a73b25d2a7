package store

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// asyncWALFS is the file system of an async store's WAL: Pebble's WAL
// syncs return at once, so that its flush loop, which writes buffered
// records to the file only between syncs, is never held by one; the files
// are fdatasynced from the store's own goroutine instead (syncWALFiles).
// A write the edge answered is then in the OS within SyncInterval (a
// process crash loses no more), and on disk within SyncInterval and one
// fdatasync.
type asyncWALFS struct {
	vfs.FS
	mu sync.Mutex
	// files are the WAL files not yet closed, oldest first: synced in that
	// order, so that a power loss between two fdatasyncs (a closed WAL's
	// tail, then its successor) cannot keep later batches and lose
	// earlier ones.
	files []*asyncWALFile
	// failed is the first fdatasync error, returned by every WAL sync
	// Pebble makes from then on: a failed fdatasync may have dropped the
	// pages it could not write, and Pebble cannot go on past a WAL write
	// that failed (it stops the process, as in sync mode).
	failed atomic.Pointer[error]
	// dirty: a WAL file was written since syncAll last began, by a
	// commit or by Pebble's flush of its buffer for a synced write (the
	// store's own pebble.Sync writes: the id floor, a bucket's key,
	// retention's deletions), which the next syncWAL then syncs.
	dirty atomic.Bool
}

func newAsyncWALFS(fs vfs.FS) *asyncWALFS {
	return &asyncWALFS{FS: fs}
}

func (fs *asyncWALFS) Create(name string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, cat)
	return fs.wrap(name, f, err)
}

func (fs *asyncWALFS) ReuseForWrite(oldname, newname string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, cat)
	return fs.wrap(newname, f, err)
}

func (fs *asyncWALFS) wrap(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil || !isWAL(name) {
		return f, err
	}
	af := &asyncWALFile{File: f, fs: fs}
	fs.mu.Lock()
	fs.files = append(fs.files, af)
	fs.mu.Unlock()
	return af, nil
}

// syncAll fdatasyncs every open WAL file, and closes those Pebble is done
// with.
func (fs *asyncWALFS) syncAll() error {
	fs.dirty.Store(false) // a write from now on is synced by the next
	fs.mu.Lock()
	files := slices.Clone(fs.files)
	fs.mu.Unlock()
	var first error
	for _, f := range files {
		f.mu.Lock()
		if !f.closed {
			// Pebble writes nothing after Close: read before the sync,
			// done means the sync covers every write.
			done := f.done.Load()
			err := f.File.SyncData()
			if err != nil {
				// A later WAL synced now could keep batches this one's
				// failure lost: stop here (Pebble stops at its next sync).
				fs.failed.CompareAndSwap(nil, &err)
				f.mu.Unlock()
				return cmp.Or(first, err)
			}
			if done {
				if cerr := f.File.Close(); cerr != nil && first == nil {
					first = cerr
				}
				f.closed = true
				fs.mu.Lock()
				fs.files = slices.DeleteFunc(fs.files, func(g *asyncWALFile) bool { return g == f })
				fs.mu.Unlock()
			}
		}
		f.mu.Unlock()
	}
	return first
}

type asyncWALFile struct {
	vfs.File
	fs     *asyncWALFS
	mu     sync.Mutex
	done   atomic.Bool // Pebble closed it; syncAll closes it after its fdatasync
	closed bool
}

func (f *asyncWALFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	f.fs.dirty.Store(true)
	return n, err
}

func (f *asyncWALFile) Sync() error                { return f.fs.err() }
func (f *asyncWALFile) SyncData() error            { return f.fs.err() }
func (f *asyncWALFile) SyncTo(int64) (bool, error) { return false, f.fs.err() }

// err is the first fdatasync error syncAll met, if any.
func (fs *asyncWALFS) err() error {
	if p := fs.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// Close fdatasyncs the file, and leaves closing it to syncAll (Store.Close
// for the last one). Pebble closes a WAL when it switches to a new one,
// every 32 MB of writes, inside a commit that every write waits for, and
// its recovery takes every WAL but the last to end cleanly: the old WAL
// must be on disk before the new one is made, or a power loss could keep
// the new WAL's batches and lose the old one's tail
// (TestAsyncWALSwitchPowerLossKeepsOrder). The sync is made here without
// f.mu, which syncAll holds as it syncs: queued behind syncAll's, every
// click waited for two fdatasyncs at each switch (143 ms with a 100 ms
// fdatasync; TestAsyncWALSwitchDoesNotWaitForSync), and now for one.
func (f *asyncWALFile) Close() error {
	if err := f.File.SyncData(); err != nil {
		f.fs.failed.CompareAndSwap(nil, &err)
		return err
	}
	f.done.Store(true)
	f.fs.dirty.Store(true)
	return f.fs.err()
}

// isWAL reports whether a file Pebble opens is a WAL file.
func isWAL(name string) bool { return strings.HasSuffix(name, ".log") }
