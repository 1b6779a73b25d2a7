package store

import (
	"fmt"
	"testing"
	"time"
)

// TestNewIDAfterClockStepBack: the wall clock steps back 3 ms
// across a restart (an NTP step at boot, a VM restored). NewID then hands
// out ids the previous run already used, and the replicate outbox's entries
// (key: 'q' 'r' 'p' at=id>>20 id) collide: a Set replaces a record not yet
// published, so a click is never replicated, and the backlog gauge is off.
func TestNewIDAfterClockStepBack(t *testing.T) {
	s := restartWithClockBack(t, false)
	n, err := s.OutboxCount(QueueReplicate, StatusPending)
	if err != nil {
		t.Fatal(err)
	}
	if n != 10 || s.ReplicationBacklog() != 10 {
		t.Fatalf("replicate outbox holds %d records (backlog gauge %d), want 10: ids repeated across the restart overwrote unpublished records", n, s.ReplicationBacklog())
	}
}

// The same collision, then the records are published (SingleDelete of each
// key): the key Set twice comes back after a compaction.
func TestNewIDStepBackResurrectsNothing(t *testing.T) {
	s := restartWithClockBack(t, true)
	var done []OutboxPos
	if err := s.ReplicationPending(OutboxPos{}, 100, func(e OutboxEntry) bool {
		done = append(done, OutboxPos{At: e.At, ID: e.ID})
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplicationPublished(done, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	n, err := s.OutboxCount(QueueReplicate, StatusPending)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d replication records pending after all were published", n)
	}
}

// restartWithClockBack stores five replicated clicks a millisecond apart,
// compacts when asked, closes, steps the clock back 3 ms, opens the store
// again and stores five more, which is where ids would repeat.
func restartWithClockBack(t *testing.T, compact bool) *Store {
	t.Helper()
	T := t0.Add(time.Hour)
	clk := newClock(T)
	o := Options{Dir: t.TempDir(), Retention: 24 * time.Hour, Now: clk.Now, Replicate: true}
	s := openOpts(t, o)
	for i := range 5 {
		mustPut(t, s, testClick(fmt.Sprint("run1-", i), clk.Now()))
		clk.Advance(time.Millisecond)
	}
	if compact {
		if err := s.Compact(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	clk.Set(T.Add(-3 * time.Millisecond)) // the clock stepped back
	s = openOpts(t, o)
	for i := range 5 {
		mustPut(t, s, testClick(fmt.Sprint("run2-", i), clk.Now()))
		clk.Advance(time.Millisecond)
	}
	return s
}
