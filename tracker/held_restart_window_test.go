package tracker_test

import (
	"strings"
	"testing"
	"time"
)

// TestHeldWindowCountsFromStart: an install held for its click when the
// edge stopped, and the edge started again minutes later. While it was
// down it could receive nothing, and the click the install names comes
// with the replication backlog after the start. The hold's window counts
// from the start, so the click still credits it; it had been decided at
// the first pass after the start, before the backlog, as if no click
// existed.
func TestHeldWindowCountsFromStart(t *testing.T) {
	h, e := newHeldRestart(t)
	clock := h.clock
	mustHold(t, e, `{"type":"install","install_id":"r1","click_id":"from-eu","app":"com.test.app","event_id":"er1"}`)
	e = h.restart(t, e, 3*time.Minute) // down for three windows
	defer e.st.Close()
	pass := func() {
		if _, err := e.tr.RetryHolds(clock.Now(), false); err != nil {
			t.Fatal(err)
		}
	}
	pass() // the first tick after the start, before the backlog
	if got := runCmd(t, e, "install r1"); !strings.Contains(got, "match=pending") {
		t.Fatalf("decided at the first pass after the start, before the peers' backlog:\n%s", got)
	}
	// The backlog brings the click, made in the other region a minute
	// before the install (the harness stores it at the clock's time).
	resume := clock.Now().Add(10 * time.Second)
	clock.Set(attrStart.Add(-time.Minute))
	if got := runCmd(t, e, "click c=camp7d click_id=from-eu peer=eu"); !strings.Contains(got, "302") {
		t.Fatalf("peer click: %s", got)
	}
	clock.Set(resume)
	pass()
	if got := runCmd(t, e, "install r1"); !strings.Contains(got, "match=click_id click_id=from-eu") {
		t.Errorf("the backlog's click did not credit the held install:\n%s", got)
	}

	// One that no click ever comes for is decided a window after the start.
	mustHold(t, e, `{"type":"install","install_id":"r2","click_id":"never","app":"com.test.app","event_id":"er2"}`)
	clock.Add(61 * time.Second)
	pass()
	if got := runCmd(t, e, "install r2"); strings.Contains(got, "match=pending") {
		t.Errorf("not decided a window after it arrived:\n%s", got)
	}
}
