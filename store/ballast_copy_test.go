package store

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// smallDisk is the real file system, reporting a 1 GiB disk so that the
// ballast is 10 MiB.
type smallDisk struct{ vfs.FS }

func (smallDisk) GetDiskUsage(string) (vfs.DiskUsage, error) {
	return vfs.DiskUsage{TotalBytes: 1 << 30, AvailBytes: 512 << 20, UsedBytes: 512 << 20}, nil
}

// TestBallastAfterDataDirCopied: the ballast is preallocated with its
// length kept at 0, so an operator who moves a stopped edge's data_dir
// (cp -a, tar, rsync, os.CopyFS) gets an EMERGENCY_BALLAST of no bytes.
// The store that opens the copy must still hold the space back, or the
// first full disk "releases" nothing and the edge stops.
func TestBallastAfterDataDirCopied(t *testing.T) {
	want := ballastSize(1 << 30)
	for _, tc := range []struct {
		name string
		move func(t *testing.T, from string) string
	}{
		{"reopened in place", func(t *testing.T, from string) string { return from }},
		{"copied to another path", func(t *testing.T, from string) string {
			to := filepath.Join(t.TempDir(), "moved")
			if err := os.CopyFS(to, os.DirFS(from)); err != nil {
				t.Fatal(err)
			}
			return to
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			s := openOpts(t, Options{Dir: dir, fs: smallDisk{vfs.Default}, Durability: Sync, Ballast: true})
			mustPut(t, s, testClick("k1", s.Now()))
			if got := ballastBytes(t, filepath.Join(dir, ballastName)); got < want {
				t.Fatalf("ballast after Open: %d bytes allocated, want %d", got, want)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			moved := tc.move(t, dir)
			s2 := openOpts(t, Options{Dir: moved, fs: smallDisk{vfs.Default}, Durability: Sync, Ballast: true})
			var c Click
			if _, ok, err := s2.GetClick([]byte("k1"), &c, nil); !ok || err != nil {
				t.Fatalf("click after the move: %v %v", ok, err)
			}
			if got := ballastBytes(t, filepath.Join(moved, ballastName)); got < want {
				t.Errorf("ballast in the %s data_dir holds %d bytes of disk, want %d: a full disk would release nothing", tc.name, got, want)
			}
		})
	}
}

// ballastBytes is the disk space a file holds.
func ballastBytes(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Blocks * 512
}
