package replication

import (
	"fmt"
	"testing"
	"time"

	"github.com/clickedge/clickedge/internal/testnats"
)

// TestCaughtUp: a follower tells its store once every peer's stream is
// applied to its end (the held conversions kept over a restart wait for
// it: tracker.TestHeldEndsUnderRepeatedRestarts), and not before; a
// region with no peers has nothing to wait for.
func TestCaughtUp(t *testing.T) {
	ns := testnats.Start(t, -1, t.TempDir())
	url := ns.ClientURL()
	east := startRegion(t, "us-east", t.TempDir(), url)
	if !east.st.ReplicationCaughtUp() {
		t.Error("a region with no peers waits to catch up")
	}
	const n = 300
	for i := range n {
		east.st.PutClick(click(fmt.Sprintf("c%d", i), time.Now()))
	}
	eventually(t, "published", func() bool { return east.st.ReplicationBacklog() == 0 })

	south := startRegion(t, "ap-south", t.TempDir(), url, "us-east", "eu")
	eventually(t, "us-east's stream applied", func() bool { return hasClick(south.st, fmt.Sprintf("c%d", n-1)) })
	time.Sleep(100 * time.Millisecond)
	if south.st.ReplicationCaughtUp() {
		t.Error("caught up while eu's stream (not made yet) was never applied")
	}
	eu := startRegion(t, "eu", t.TempDir(), url)
	eu.st.PutClick(click("e1", time.Now()))
	eventually(t, "caught up with both peers", func() bool { return south.st.ReplicationCaughtUp() })
	eventually(t, "eu's click applied", func() bool { return hasClick(south.st, "e1") })
}
