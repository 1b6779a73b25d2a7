package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestAsyncIdleSync: in async mode the periodic sync covers an edge gone
// idle after a burst: clicks, outbox entries and conversions all survive a
// crash sync_interval later. (Found correct by an audit; kept.)
func TestAsyncIdleSync(t *testing.T) {
	mem := vfs.NewCrashableMem()
	clk := newClock(t0)
	s := openOpts(t, Options{Dir: "db", fs: mem, Durability: Async, SyncInterval: 5 * time.Millisecond, Now: clk.Now})
	for i := range 300 {
		mustPut(t, s, testClick(fmt.Sprint("c", i), t0))
	}
	if err := s.Update(func(w *Writer) error { w.OutboxPut(QueuePostback, 9, StatusPending, 1, []byte("x")); return nil }); err != nil {
		t.Fatal(err)
	}
	tx := s.BeginConversions()
	tx.PutInstall(&Install{InstallID: "in1"})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // idle after the burst
	crashed := mem.CrashClone(vfs.CrashCloneCfg{})
	s2 := openOpts(t, Options{Dir: "db", fs: crashed, Durability: Async, Now: clk.Now})
	for i := range 300 {
		var got Click
		if _, ok, err := s2.GetClick(fmt.Append(nil, "c", i), &got, nil); !ok || err != nil {
			t.Fatalf("click %d lost: %v %v", i, ok, err)
		}
	}
	if _, err := s2.OutboxGet(QueuePostback, 9); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.GetInstall("in1"); err != nil {
		t.Fatal(err)
	}
}

// TestAsyncCloseSyncs: a clean Close syncs what async mode had not yet.
func TestAsyncCloseSyncs(t *testing.T) {
	mem := vfs.NewCrashableMem()
	clk := newClock(t0)
	s := openOpts(t, Options{Dir: "db", fs: mem, Durability: Async, SyncInterval: time.Hour, Now: clk.Now})
	for i := range 50 {
		mustPut(t, s, testClick(fmt.Sprint("c", i), t0))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openOpts(t, Options{Dir: "db", fs: mem.CrashClone(vfs.CrashCloneCfg{}), Durability: Async, Now: clk.Now})
	for i := range 50 {
		var got Click
		if _, ok, err := s2.GetClick(fmt.Append(nil, "c", i), &got, nil); !ok || err != nil {
			t.Fatalf("click %d lost: %v %v", i, ok, err)
		}
	}
}

// TestIDFloorCrashSoonAfterOpen: NewID "never repeats ... across
// restarts, the clock stepped back included". Run 1 closes cleanly (floor
// F saved). Run 2 starts with the clock stepped back: its ids start at
// F+margin. It crashes before its first floor save (idFloorEvery = 1s).
// Run 3, clock still behind, starts at F+margin again: run 2's ids are
// handed out a second time (outbox keys, replication records, segments).
// Open now saves the new floor before it returns. Found by an audit.
func TestIDFloorCrashSoonAfterOpen(t *testing.T) {
	mem := vfs.NewCrashableMem()
	clk := newClock(t0)
	s1 := openOpts(t, Options{Dir: "db", fs: mem, Durability: Sync, Now: clk.Now})
	s1.NewID()
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	clk.Set(t0.Add(-time.Hour)) // NTP steps the clock back at boot
	s2 := openOpts(t, Options{Dir: "db", fs: mem, Durability: Sync, Now: clk.Now})
	var last uint64
	for range 1000 {
		last = s2.NewID()
	}
	mustPut(t, s2, testClick("x", t0))             // a synced write after the ids
	crashed := mem.CrashClone(vfs.CrashCloneCfg{}) // well within 1s of Open
	s3 := openOpts(t, Options{Dir: "db", fs: crashed, Durability: Sync, Now: clk.Now})
	if id := s3.NewID(); id <= last {
		t.Fatalf("after a crash soon after Open, NewID = %d, not past %d handed out by the crashed run: ids repeat", id, last)
	}
}
