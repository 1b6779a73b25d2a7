package store

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestEmptyCommitRacesClose: in sync mode a conversion transaction that
// writes nothing (the tracker's "duplicate" answer) and finds another
// transaction's batch not yet fsynced (convUnsynced > 0) releases convMu
// and only then calls s.db.LogData(nil, pebble.Sync). Close waits for
// convMu alone, so it can close Pebble in between, and Pebble panics
// ("pebble: closed") on a write to a closed DB.
// TestEmptyCommitRacesClose: a transaction that writes nothing but waits
// for conversions still syncing (a duplicate's answer) makes its WAL sync
// after releasing the decision lock, and Close, which waited only for that
// lock, closed Pebble under it: "pebble: closed" panicked. Close now waits
// for such syncs. Found by a review.
func TestEmptyCommitRacesClose(t *testing.T) {
	for round := 0; round < 300; round++ {
		s, err := Open(Options{Dir: "db", fs: vfs.NewMem(), Durability: Sync})
		if err != nil {
			t.Fatal(err)
		}
		// Another transaction's batch is applied and its fsync is under
		// way (it is between ApplyNoSyncWait and SyncWait's return).
		s.convUnsynced.Store(1)
		var wg sync.WaitGroup
		var commits atomic.Int64
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !s.closed.Load() {
					tx := s.BeginConversions()
					tx.Install("in1") // a duplicate: reads, writes nothing
					tx.Commit()
					commits.Add(1)
				}
			}()
		}
		for commits.Load() < 50 {
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
	}
}
