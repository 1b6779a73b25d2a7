package store

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestStatsDiskBytesCountsTheWAL: clickedge_store_disk_bytes is
// "sstables, WAL and Pebble's other files" (README, the store's metrics),
// what an operator sets against the disk. A new store's clicks are in its
// WALs, each with 110% of the memtable size preallocated: the figure left
// the live WALs out, so that it was below clickedge_store_wal_bytes, and
// hundreds of megabytes below what the data directory takes.
func TestStatsDiskBytesCountsTheWAL(t *testing.T) {
	dir := t.TempDir()
	s := openOpts(t, Options{Dir: dir, Durability: Async, Now: newClock(t0).Now})
	g := newClickGen(3, t0, time.Second)
	for _, n := range []uint64{2000, 20000} {
		if err := s.bulkLoad(g, 0, n, 100); err != nil {
			t.Fatal(err)
		}
		st := s.Stats()
		var length, allocated uint64
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, de := range entries {
			fi, err := os.Stat(filepath.Join(dir, de.Name()))
			if err != nil || fi.IsDir() {
				continue
			}
			length += uint64(fi.Size())
			allocated += uint64(fi.Sys().(*syscall.Stat_t).Blocks) * 512
		}
		if st.DiskBytes < st.WALBytes || st.DiskBytes < length {
			t.Errorf("%d clicks: disk bytes %d, below the WAL's %d bytes and the data directory's files' %d",
				n, st.DiskBytes, st.WALBytes, length)
		}
		if st.DiskBytes < allocated*9/10 {
			t.Errorf("%d clicks: disk bytes %d, the data directory's files take %d on disk", n, st.DiskBytes, allocated)
		}
	}
}
