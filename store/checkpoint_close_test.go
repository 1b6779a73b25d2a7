package store

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// holdLinkFS holds the first hard link into a checkpoint until release is
// closed: a checkpoint still linking or copying its sstables (a large
// store, or a data_dir.checkpoints on another file system, which copies).
type holdLinkFS struct {
	vfs.FS
	once    sync.Once
	linking chan struct{}
	release chan struct{}
}

func (fs *holdLinkFS) Link(oldname, newname string) error {
	if strings.Contains(newname, "ckpt") {
		fs.once.Do(func() { close(fs.linking) })
		<-fs.release
	}
	return fs.FS.Link(oldname, newname)
}

// TestCloseWaitsForCheckpoint: at SIGTERM the listeners drain for at most
// 5 s (and the admin listener for what the public one left of them); a
// POST /admin/v1/checkpoint still running then is left, and the store is
// closed under it. Close waits for clicks, conversion transactions and
// exports, but not for a checkpoint, which passed shut() and then works on
// a Pebble that is closing: Close fails ("leaked iterators": the
// checkpoint's version reference), so the edge exits 1, and the
// checkpoint goes on over a closed database.
func TestCloseWaitsForCheckpoint(t *testing.T) {
	for _, d := range []Durability{Sync, Async} {
		t.Run(durName[d], func(t *testing.T) {
			fs := &holdLinkFS{FS: vfs.NewMem(), linking: make(chan struct{}), release: make(chan struct{})}
			s := openOpts(t, Options{Dir: "db", fs: fs, Durability: d})
			mustPut(t, s, testClick("k1", time.Now()))
			if err := s.db.Flush(); err != nil { // an sstable to link
				t.Fatal(err)
			}
			ckpt := make(chan any, 1)
			go func() {
				defer func() {
					if p := recover(); p != nil {
						ckpt <- p
					}
				}()
				ckpt <- s.Checkpoint("ckpt")
			}()
			select {
			case <-fs.linking:
			case <-time.After(10 * time.Second):
				t.Fatal("the checkpoint never reached its sstables")
			}
			closed := make(chan error, 1)
			go func() { closed <- s.Close() }()
			var closeErr error
			select {
			case closeErr = <-closed:
				// Close did not wait for the checkpoint.
				close(fs.release)
			case <-time.After(500 * time.Millisecond):
				close(fs.release) // Close waits: let the checkpoint finish
				closeErr = <-closed
			}
			res := <-ckpt
			if closeErr != nil {
				t.Errorf("Close with a checkpoint under way: %v", closeErr)
			}
			if err, ok := res.(error); res != nil && (!ok || !strings.Contains(err.Error(), "closed")) {
				t.Errorf("the checkpoint under way at Close: %v (want it done, or refused as closed)", res)
			}
		})
	}
}
