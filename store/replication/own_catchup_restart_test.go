package replication

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/clickedge/clickedge/internal/testnats"
)

// TestOwnCatchUpSurvivesRestart: a region restored from a checkpoint reads
// its own stream past the highest sequence the checkpoint knew it had
// published (README, Regions). The restored edge goes on taking clicks at
// once, and each batch it publishes saves a higher sequence: if it stops
// (a deploy, a crash, systemd's restart) before the catch-up has applied
// the stream, the next start reads only past the sequence saved by those
// new clicks, and the records between are lost to the region for good,
// while its peers have them.
func TestOwnCatchUpSurvivesRestart(t *testing.T) {
	const n = 5000
	ns := testnats.Start(t, -1, t.TempDir())
	url := ns.ClientURL()
	east := startRegion(t, "us-east", t.TempDir(), url)
	east.st.PutClick(click("k-before", time.Now()))
	eventually(t, "the first click published", func() bool { return east.st.ReplicationBacklog() == 0 })
	ck := filepath.Join(t.TempDir(), "ck")
	if err := east.st.Checkpoint(ck); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		east.st.PutClick(click(fmt.Sprintf("k-after-%d", i), time.Now()))
	}
	eventually(t, "the clicks after the checkpoint published", func() bool { return east.st.ReplicationBacklog() == 0 })
	east.stop(t) // the disk dies

	restored := startRegion(t, "us-east", ck, url)
	restored.st.PutClick(click("k-restored", time.Now())) // the edge serves at once
	eventually(t, "the new click published", func() bool { return restored.st.ReplicationBacklog() == 0 })
	restored.stop(t) // restarted while it catches up

	again := startRegion(t, "us-east", ck, url)
	var missing int
	deadline := time.Now().Add(10 * time.Second)
	for {
		missing = 0
		for i := range n {
			if !hasClick(again.st, fmt.Sprintf("k-after-%d", i)) {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if missing > 0 {
		t.Errorf("after a restart during the catch-up, %d of the %d clicks the region recorded after the checkpoint are missing (its stream still has them)", missing, n)
	}
}
