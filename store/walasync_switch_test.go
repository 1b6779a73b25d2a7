package store

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestAsyncWALSwitchDoesNotWaitForSync: Pebble closes its WAL when it
// switches to a new one, inside a commit that every write waits for. An
// async store fdatasyncs the WAL on a goroutine of its own; the close of a
// WAL makes an fdatasync too (TestAsyncWALSwitchPowerLossKeepsOrder), and
// had made it behind the one under way, so that with a slow disk every
// click waited for two fdatasyncs at each switch (143 ms with a 100 ms
// fdatasync). Here the store's own fdatasync is held until the switch,
// with its own, has happened.
func TestAsyncWALSwitchDoesNotWaitForSync(t *testing.T) {
	fs := &pausedSyncFS{FS: vfs.NewMem(), entered: make(chan struct{}, 1), release: make(chan struct{})}
	s := openOpts(t, Options{Dir: "db", fs: fs, Durability: Async, SyncInterval: time.Millisecond})
	fs.hold.Store(true)
	mustPut(t, s, testClick("before-switch", time.Now()))
	select {
	case <-fs.entered: // the store's own WAL fdatasync is under way, and held
	case <-time.After(10 * time.Second):
		t.Fatal("no WAL fdatasync began")
	}
	switched := make(chan error, 1)
	go func() { // switches to a new WAL
		_, err := s.db.AsyncFlush()
		switched <- err
	}()
	select {
	case err := <-switched:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		close(fs.release)
		t.Fatal("the WAL switch waited for the store's fdatasync")
	}
	mustPut(t, s, testClick("after-switch", time.Now()))
	close(fs.release)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// pausedSyncFS holds the first WAL fdatasync made once hold is set until
// release is closed, and says so on entered; the others go through.
type pausedSyncFS struct {
	vfs.FS
	hold    atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (fs *pausedSyncFS) Create(name string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, cat)
	if err != nil || !strings.HasSuffix(name, ".log") {
		return f, err
	}
	return pausedSyncFile{f, fs}, nil
}

type pausedSyncFile struct {
	vfs.File
	fs *pausedSyncFS
}

func (f pausedSyncFile) SyncData() error {
	if f.fs.hold.CompareAndSwap(true, false) {
		f.fs.entered <- struct{}{}
		<-f.fs.release
	}
	return f.File.SyncData()
}

func (f pausedSyncFile) Sync() error { return f.SyncData() }

// TestAsyncWALsSyncedOldestFirst: after WAL switches, the files the store's
// syncer fdatasyncs are synced oldest first. Synced in another order, a
// power loss between two fdatasyncs could keep a newer WAL's batches and
// lose an older one's tail: a gap, where async mode loses only the last
// writes (found by the keyspace audit: the files were kept in a map).
func TestAsyncWALsSyncedOldestFirst(t *testing.T) {
	fs := &syncOrderFS{FS: vfs.NewMem()}
	s := openOpts(t, Options{Dir: "db", fs: fs, Durability: Async, SyncInterval: time.Hour})
	for i := range 20 {
		mustPut(t, s, testClick(fmt.Sprintf("c%d", i), time.Now()))
		if _, err := s.db.AsyncFlush(); err != nil { // the WAL switches
			t.Fatal(err)
		}
		mustPut(t, s, testClick(fmt.Sprintf("d%d", i), time.Now()))
		fs.mu.Lock()
		fs.order = fs.order[:0]
		fs.mu.Unlock()
		if err := s.walFS.syncAll(); err != nil {
			t.Fatal(err)
		}
		fs.mu.Lock()
		order := slices.Clone(fs.order)
		fs.mu.Unlock()
		if !slices.IsSorted(order) {
			t.Fatalf("WAL files synced in the order %v; want oldest first", order)
		}
	}
}

// syncOrderFS records the names of the WAL files synced, in order (Pebble
// numbers its files in the order it makes them).
type syncOrderFS struct {
	vfs.FS
	mu    sync.Mutex
	order []string
}

func (fs *syncOrderFS) Create(name string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, cat)
	if err != nil || !strings.HasSuffix(name, ".log") {
		return f, err
	}
	return syncOrderFile{f, fs, name}, nil
}

func (fs *syncOrderFS) ReuseForWrite(oldname, newname string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, cat)
	if err != nil {
		return f, err
	}
	return syncOrderFile{f, fs, newname}, nil
}

type syncOrderFile struct {
	vfs.File
	fs   *syncOrderFS
	name string
}

func (f syncOrderFile) SyncData() error {
	f.fs.mu.Lock()
	f.fs.order = append(f.fs.order, f.name)
	f.fs.mu.Unlock()
	return f.File.SyncData()
}
