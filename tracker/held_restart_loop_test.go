package tracker_test

import (
	"strings"
	"testing"
	"time"
)

// TestHeldEndsUnderRepeatedRestarts: an install held for a click that
// never comes, on an edge restarted every 50 s (a crash loop, a rolling
// deploy that keeps failing its health check) with pending_window 60s. A
// hold kept over a restart waits for the replication backlog
// (TestHeldWindowCountsFromStart); had every start counted its window
// again, it would never end: pending for good, never posted nor
// replicated, and every event of it held too (CONTRACT §8: held "until
// pending_window has passed"). Once the peers' streams are applied after
// a start it ends at once; with NATS out of reach, after heldStartCap
// windows.
func TestHeldEndsUnderRepeatedRestarts(t *testing.T) {
	for _, tc := range []struct {
		name     string
		caughtUp bool          // the replicator catches up after each start
		by       time.Duration // decided by then
	}{
		{"peers' streams applied after each start", true, 2 * time.Minute},
		{"NATS out of reach", false, 5*time.Minute + 10*time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, e := newHeldRestart(t)
			clock := h.clock
			mustHold(t, e, `{"type":"install","install_id":"loop1","click_id":"never","app":"com.test.app","event_id":"el1"}`)
			for clock.Now().Sub(attrStart) < tc.by {
				// Up for 50 s, its holds passed over every second.
				for range 50 {
					clock.Add(time.Second)
					if _, err := e.tr.RetryHolds(clock.Now(), false); err != nil {
						t.Fatal(err)
					}
				}
				e = h.restart(t, e, time.Second)
				if tc.caughtUp {
					e.st.SetReplicationCaughtUp() // as the replicator says, seconds after a start
				}
			}
			defer e.st.Close()
			clock.Add(time.Second)
			if _, err := e.tr.RetryHolds(clock.Now(), false); err != nil {
				t.Fatal(err)
			}
			if got := runCmd(t, e, "install loop1"); strings.Contains(got, "match=pending") {
				t.Errorf("held for %s across restarts 50 s apart and still pending:\n%s", clock.Now().Sub(attrStart), got)
			}
		})
	}
}
