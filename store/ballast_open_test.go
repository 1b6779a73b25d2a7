package store

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
)

// TestOpenOnFullDisk: the edge stopped (a crash, a deploy, the ballast
// spent) with clicks in its WAL, and the disk is full when it starts
// again: Pebble's Open flushes the WAL it replays. With the ballast still
// in the data directory, Open releases it and goes on; without one, Open
// fails, saying the disk is full. It must not hang (it retried the flush
// forever, a core busy, SIGTERM unanswered, the listeners bound but
// answering nothing).
func TestOpenOnFullDisk(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ballast bool // the ballast is in the data directory
		d       Durability
	}{
		{"with its ballast", true, Sync},
		{"ballast spent", false, Sync},
		{"with its ballast, async", true, Async},
		{"ballast spent, async", false, Async},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := vfs.NewMem()
			mem.TestingSetDiskUsage(vfs.DiskUsage{TotalBytes: 20 << 30, AvailBytes: 10 << 30, UsedBytes: 10 << 30})
			clk := newClock(t0)
			s := openOpts(t, Options{Dir: "db", fs: mem, Durability: tc.d, Now: clk.Now, Ballast: tc.ballast})
			mustPut(t, s, testClick("in-the-wal", t0))
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			ballast := filepath.Join("db", ballastName)
			if _, err := mem.Stat(ballast); (err == nil) != tc.ballast {
				t.Fatalf("ballast present: %v, want %v", err == nil, tc.ballast)
			}
			// The disk is full: every new file's write fails until the
			// ballast's space is given back.
			mem.TestingSetDiskUsage(vfs.DiskUsage{TotalBytes: 20 << 30, AvailBytes: 0, UsedBytes: 20 << 30})
			inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
				if op.Kind != errorfs.OpFileWrite || strings.HasSuffix(op.Path, ballastName) {
					return nil
				}
				if _, err := mem.Stat(ballast); err != nil && !tc.ballast {
					return syscall.ENOSPC // nothing to give back
				} else if err == nil {
					return syscall.ENOSPC // the ballast holds the last space
				}
				return nil
			})
			type result struct {
				s   *Store
				err error
			}
			done := make(chan result, 1)
			go func() {
				s, err := Open(Options{Dir: "db", fs: errorfs.Wrap(mem, inj), Durability: tc.d, Now: clk.Now, Ballast: true})
				done <- result{s, err}
			}()
			select {
			case r := <-done:
				if tc.ballast {
					if r.err != nil {
						t.Fatalf("Open with the ballast to release: %v", r.err)
					}
					defer r.s.Close()
					var c Click
					if _, ok, err := r.s.GetClick([]byte("in-the-wal"), &c, nil); !ok || err != nil {
						t.Errorf("the WAL's click: %v %v", ok, err)
					}
				} else if r.err == nil || !strings.Contains(r.err.Error(), "space") {
					if r.s != nil {
						r.s.Close()
					}
					t.Errorf("Open on a full disk without a ballast: %v, want an error saying the disk is full", r.err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("Open on a full disk (%s) has not returned after 5 s", tc.name)
			}
		})
	}
}
