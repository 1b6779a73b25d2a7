package store

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
)

type countingHandler struct{ n atomic.Int64 }

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.n.Add(1)
	}
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

// TestBackgroundErrorsThrottled: the disk fills (sstable writes fail with
// ENOSPC; the WAL still takes writes). Clicks keep being stored while
// Pebble retries the failed flush, at once and over and over; each failure
// was an ERROR line, tens of thousands a second onto the full disk. Now
// they are logged at most once every 5 s, with the count since, and all
// counted in clickedge_store_background_errors_total. Found by an audit.
func TestBackgroundErrorsThrottled(t *testing.T) {
	var failing atomic.Bool
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if failing.Load() && strings.HasSuffix(op.Path, ".sst") && op.Kind.ReadOrWrite() == errorfs.OpIsWrite {
			return syscall.ENOSPC
		}
		return nil
	})
	mem := vfs.NewCrashableMem()
	h := new(countingHandler)
	clk := newClock(t0)
	s := openOpts(t, Options{Dir: "db", fs: errorfs.Wrap(mem, inj), Durability: Sync, Now: clk.Now, Logger: slog.New(h)})
	failing.Store(true)
	for i := range 100 {
		mustPut(t, s, testClick(fmt.Sprint("c", i), t0))
	}
	if _, err := s.DB().AsyncFlush(); err != nil { // a full memtable does the same
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	n := h.n.Load()
	failing.Store(false)
	time.Sleep(100 * time.Millisecond) // the retry succeeds
	if n > 2 {
		t.Fatalf("%d ERROR lines logged in one second of a full disk", n)
	}
	if s.Stats().BackgroundErrors == 0 {
		t.Error("no background error counted")
	}
}
