package tracker_test

import (
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/store"
)

// TestHeldWindowCountsFromStart: an install held for its click when the
// edge stopped, and the edge started again minutes later. While it was
// down it could receive nothing, and the click the install names comes
// with the replication backlog after the start. The hold's window counts
// from the start, so the click still credits it; it had been decided at
// the first pass after the start, before the backlog, as if no click
// existed.
func TestHeldWindowCountsFromStart(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Parse("test.yaml", []byte(attrBaseConfig+"replication:\n  peers: [eu]\n  pending_window: 60s\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := new(attrClock)
	clock.Set(attrStart)
	e := attrOpenEnv(t, dir, store.Sync, cfg, clock)
	out := runCmd(t, e, `conversion {"type":"install","install_id":"r1","click_id":"from-eu","app":"com.test.app","event_id":"er1"}`)
	if !strings.Contains(out, `"match":"pending"`) {
		t.Fatalf("install not held: %s", out)
	}
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	clock.Add(3 * time.Minute) // down for three windows
	e = attrOpenEnv(t, dir, store.Sync, cfg, clock)
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
	out = runCmd(t, e, `conversion {"type":"install","install_id":"r2","click_id":"never","app":"com.test.app","event_id":"er2"}`)
	if !strings.Contains(out, `"match":"pending"`) {
		t.Fatalf("second install not held: %s", out)
	}
	clock.Add(61 * time.Second)
	pass()
	if got := runCmd(t, e, "install r2"); strings.Contains(got, "match=pending") {
		t.Errorf("not decided a window after it arrived:\n%s", got)
	}
}
