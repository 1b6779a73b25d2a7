package replication

import (
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/internal/testnats"
	"github.com/clickedge/clickedge/store"
)

// TestOwnStreamReadOnlyByANewStore: a region whose data directory was lost
// starts on an empty one and reads back what it recorded from its own
// stream (TestRegionWithLostDataDirectory in package edge shows why); a
// store that existed before (one written by an earlier version, which
// never read its own stream) must not read it all again at its next start:
// up to 72 hours of the region's records, for nothing.
func TestOwnStreamReadOnlyByANewStore(t *testing.T) {
	ns := testnats.Start(t, -1, t.TempDir())
	url := ns.ClientURL()

	// An existing store, from before: made, and closed, without replication.
	old := t.TempDir()
	st, err := store.Open(store.Options{Dir: old, Durability: store.Async})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	first := startRegion(t, "us-east", t.TempDir(), url)
	first.st.PutClick(click("k1", time.Now()))
	eventually(t, "the click published", func() bool { return first.st.ReplicationBacklog() == 0 })
	first.stop(t)

	again := startRegion(t, "us-east", old, url)
	fresh := startRegion(t, "us-east", t.TempDir(), url)
	eventually(t, "the new store reads its region's stream", func() bool { return hasClick(fresh.st, "k1") })
	time.Sleep(200 * time.Millisecond)
	if hasClick(again.st, "k1") || strings.Contains(again.log.String(), "own stream") {
		t.Errorf("a store that existed before read its region's stream again:\n%s", again.log)
	}
}
