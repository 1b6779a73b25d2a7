package store

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestHeldWALSync: WAL files, created or reused, sync through the raw
// fdatasync, which reports its errors; other files are left as they are.
func TestHeldWALSync(t *testing.T) {
	dir := t.TempDir()
	fs := walSyncFS(vfs.Default)
	for _, tc := range []struct {
		name string
		open func() (vfs.File, error)
		held bool
	}{
		{"created WAL", func() (vfs.File, error) {
			return fs.Create(filepath.Join(dir, "000001.log"), vfs.WriteCategoryUnspecified)
		}, true},
		{"failover WAL", func() (vfs.File, error) {
			return fs.Create(filepath.Join(dir, "000002-001.log"), vfs.WriteCategoryUnspecified)
		}, true},
		{"reused WAL", func() (vfs.File, error) {
			return fs.ReuseForWrite(filepath.Join(dir, "000001.log"), filepath.Join(dir, "000003.log"), vfs.WriteCategoryUnspecified)
		}, true},
		{"sstable", func() (vfs.File, error) {
			return fs.Create(filepath.Join(dir, "000004.sst"), vfs.WriteCategoryUnspecified)
		}, false},
		{"manifest", func() (vfs.File, error) {
			return fs.Create(filepath.Join(dir, "MANIFEST-000005"), vfs.WriteCategoryUnspecified)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := tc.open()
			if err != nil {
				t.Fatal(err)
			}
			if _, held := f.(*heldSyncFile); held != tc.held {
				t.Fatalf("held %v, want %v", held, tc.held)
			}
			if _, err := f.Write([]byte("record")); err != nil {
				t.Fatal(err)
			}
			if err := f.SyncData(); err != nil {
				t.Fatal(err)
			}
			if !tc.held {
				f.Close()
				return
			}
			if n := testing.AllocsPerRun(10, func() { f.SyncData() }); n != 0 {
				t.Errorf("SyncData allocates %v times", n)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}

	// An error comes back wrapped, naming the file: fdatasync refuses a
	// pipe.
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])
	f := &heldSyncFile{fd: uintptr(p[1]), name: "pipe.log"}
	if err := f.SyncData(); !errors.Is(err, syscall.EINVAL) || !strings.Contains(err.Error(), "pipe.log") {
		t.Fatalf("SyncData of a pipe: %v, want EINVAL naming pipe.log", err)
	}
}
