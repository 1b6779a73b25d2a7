package store

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
)

// TestDiskFullReleasesBallast: Open sets aside an emergency ballast, and
// the first write that finds the disk full deletes it and is tried again,
// so the edge goes on storing clicks (and says so, loudly, and counts it)
// where Pebble, which cannot go on past a failed WAL write, would have
// stopped the process at the first click it could not log.
func TestDiskFullReleasesBallast(t *testing.T) {
	var full atomic.Int32 // ENOSPC for this many WAL writes
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if strings.HasSuffix(op.Path, ".log") && op.Kind == errorfs.OpFileWrite && full.Add(-1) >= 0 {
			return syscall.ENOSPC
		}
		return nil
	})
	mem := vfs.NewMem()
	mem.TestingSetDiskUsage(vfs.DiskUsage{TotalBytes: 20 << 30, AvailBytes: 10 << 30, UsedBytes: 10 << 30})
	clk := newClock(t0) // the clicks' time: not expired by the retention sweep
	s := openOpts(t, Options{Dir: "db", fs: errorfs.Wrap(mem, inj), Durability: Sync, Now: clk.Now, Ballast: true})
	path := filepath.Join("db", ballastName)
	if _, err := mem.Stat(path); err != nil {
		t.Fatalf("no ballast after Open: %v", err)
	}
	mustPut(t, s, testClick("before", t0))
	full.Store(1)
	mustPut(t, s, testClick("full", t0))
	if _, err := mem.Stat(path); err == nil {
		t.Error("the ballast is still there after the disk filled")
	}
	if n := s.Stats().DiskFull; n != 1 {
		t.Errorf("DiskFull = %d, want 1", n)
	}
	for _, id := range []string{"before", "full"} {
		var c Click
		if _, ok, err := s.GetClick([]byte(id), &c, nil); !ok || err != nil {
			t.Errorf("click %s: %v %v", id, ok, err)
		}
	}
}

// TestBallastNeedsRoom: a disk without room for the ballast and as much
// again gets none (Open does not fill a nearly full disk itself), and an
// Open that finds one keeps it.
func TestBallastNeedsRoom(t *testing.T) {
	for _, tc := range []struct {
		avail uint64
		want  bool
	}{{10 << 30, true}, {300 << 20, false}} {
		t.Run(fmt.Sprint(tc.avail>>20, "MiB"), func(t *testing.T) {
			mem := vfs.NewMem()
			mem.TestingSetDiskUsage(vfs.DiskUsage{TotalBytes: 20 << 30, AvailBytes: tc.avail})
			s := openOpts(t, Options{Dir: "db", fs: mem, Durability: Sync, Ballast: true})
			_, err := mem.Stat(filepath.Join("db", ballastName))
			if got := err == nil; got != tc.want {
				t.Fatalf("ballast made: %v, want %v (%v)", got, tc.want, err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
