package store

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
)

// TestFailedWALSyncStopsTheStore: an fdatasync of the WAL fails once (EIO,
// a failing disk: Linux may then drop the dirty pages it could not write,
// and the next fdatasync succeeds without them). Pebble cannot go on past
// a WAL write that failed: it stops the process (pebbleLogger.Fatalf, exit
// 1), as in sync mode, and as async mode did while Pebble made the sync.
// Since the fdatasync moved to the store's own goroutine
// (store/walasync.go), async mode only logs "store: WAL sync failed" and
// goes on answering every click as stored, over a WAL whose earlier records
// may never reach the disk, and Close reports success.
func TestFailedWALSyncStopsTheStore(t *testing.T) {
	if mode := os.Getenv("CLICKEDGE_WAL_SYNC_FAIL_CHILD"); mode != "" {
		walSyncFailChild(mode)
		return
	}
	for _, mode := range []string{"sync", "async"} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestFailedWALSyncStopsTheStore$")
			cmd.Env = append(os.Environ(), "CLICKEDGE_WAL_SYNC_FAIL_CHILD="+mode)
			out, err := cmd.CombinedOutput()
			if err == nil || cmd.ProcessState.ExitCode() == 0 {
				t.Fatalf("a WAL fsync failed and the store went on: %s", strings.TrimSpace(string(out)))
			}
		})
	}
}

// walSyncFailChild makes one WAL sync fail, then stores clicks for a
// second; it prints how many were stored and exits 0 if the store went on.
func walSyncFailChild(mode string) {
	d := Sync
	if mode == "async" {
		d = Async
	}
	var fail atomic.Int32 // the sync that fails: when it reaches 0
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if strings.HasSuffix(op.Path, ".log") &&
			(op.Kind == errorfs.OpFileSync || op.Kind == errorfs.OpFileSyncData || op.Kind == errorfs.OpFileSyncTo) &&
			fail.Add(-1) == 0 {
			return syscall.EIO
		}
		return nil
	})
	s, err := Open(Options{Dir: "db", fs: errorfs.Wrap(vfs.NewMem(), inj), Durability: d,
		SyncInterval: time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	fail.Store(1) // the next WAL sync fails
	stored := 0
	for i := range 200 {
		if ok, err := s.PutClick(testClick(fmt.Sprint("c", i), t0)); ok && err == nil {
			stored++
		}
		time.Sleep(5 * time.Millisecond) // five sync intervals
	}
	cerr := s.Close()
	fmt.Printf("%d of 200 clicks stored over the second after the failed sync; Close: %v\n", stored, cerr)
	os.Exit(0)
}
