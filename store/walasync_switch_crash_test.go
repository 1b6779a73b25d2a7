package store

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestAsyncWALSwitchPowerLossKeepsOrder: Pebble closes the old WAL before
// it makes the new one and relies on that close having synced it ("We must
// close the previous log before linking the new log file, otherwise a crash
// could leave both logs with unclean tails, and Open will treat the
// previous log as corrupt", pebble db.go rotateWAL). An async store's WAL
// close now leaves the fdatasync to the syncer, so until its next pass the
// old WAL's tail is only in the page cache, as are the new WAL's first
// batches, and the kernel writes dirty pages back in any order. A power
// loss then can keep a later click (in the new WAL) and lose an earlier one
// (the old WAL's tail), which the README says cannot happen ("so that a
// power loss between two of them cannot keep later writes and lose earlier
// ones"). The crash clones below keep a random half of the unsynced 4 KiB
// blocks, as writeback would; with the old WAL synced at its close, as
// before, the click before the switch is always kept.
func TestAsyncWALSwitchPowerLossKeepsOrder(t *testing.T) {
	mem := vfs.NewCrashableMem()
	fs := &heldFlushFS{FS: mem, release: make(chan struct{})}
	s := openOpts(t, Options{Dir: "db", fs: fs, Durability: Async, SyncInterval: time.Hour})
	t.Cleanup(func() { fs.hold.Store(false); close(fs.release) }) // before s closes
	mustPut(t, s, testClick("a", time.Now()))                     // with its bucket's key
	if err := s.db.LogData(nil, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := s.walFS.syncAll(); err != nil { // a and what Open wrote are on disk
		t.Fatal(err)
	}
	mustPut(t, s, testClick("b-before-switch", time.Now()))
	fs.hold.Store(true)                          // b stays in the WAL alone: its memtable's flush waits
	if _, err := s.db.AsyncFlush(); err != nil { // the WAL switches
		t.Fatal(err)
	}
	mustPut(t, s, testClick("c-after-switch", time.Now()))
	// The syncer's next tick: Pebble's buffer written to the new WAL (its
	// sync returns at once), the fdatasyncs not made yet.
	if err := s.db.LogData(nil, pebble.Sync); err != nil {
		t.Fatal(err)
	}

	var bad []string
	for seed := range uint64(64) {
		crashed := mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 50, RNG: rand.New(rand.NewPCG(seed, 7))})
		s2, err := Open(Options{Dir: "db", fs: crashed, Durability: Sync})
		if err != nil {
			bad = append(bad, "open: "+err.Error())
			continue
		}
		var c Click
		_, hasB, errB := s2.GetClick([]byte("b-before-switch"), &c, nil)
		_, hasC, errC := s2.GetClick([]byte("c-after-switch"), &c, nil)
		if errB != nil || errC != nil {
			bad = append(bad, fmt.Sprint("get: ", errB, errC))
		}
		if hasC && !hasB {
			bad = append(bad, "the click after the WAL switch kept, the one before it lost")
		}
		s2.Close()
	}
	if len(bad) > 0 {
		t.Fatalf("%d of 64 power losses after a WAL switch: %s", len(bad), strings.Join(bad[:min(3, len(bad))], "; "))
	}
}

// heldFlushFS holds the creation of sstables while hold is set, until
// release is closed: a memtable's flush that has not finished yet.
type heldFlushFS struct {
	vfs.FS
	hold    atomic.Bool
	release chan struct{}
}

func (fs *heldFlushFS) Create(name string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	if strings.HasSuffix(name, ".sst") && fs.hold.Load() {
		<-fs.release
	}
	return fs.FS.Create(name, cat)
}
