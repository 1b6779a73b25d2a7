package replication

import (
	"fmt"
	"testing"
	"time"
)

// TestLagWhileStoppedBehindRecords: a peer's stream that stopped being
// applied (here at a record this version cannot read) with records behind
// the stop shows a lag that grows: the age of the first record not
// applied. It stayed at its last value, 0, so the alert the README
// suggests (lag past pending_window) never fired while every held
// conversion ran out its window. Found by an audit.
func TestLagWhileStoppedBehindRecords(t *testing.T) {
	checkStreamEvery(t, 50*time.Millisecond)
	east, south := peerAtUnreadableRecord(t)
	stuckAt := time.Now()
	for i := range 20 {
		east.st.PutClick(click(fmt.Sprint("after-", i), time.Now()))
	}
	eventually(t, "us-east published", func() bool { return east.st.ReplicationBacklog() == 0 })
	eventually(t, "a lag of a second", func() bool {
		p := south.r.Status().Peers[0]
		return p.Error != "" && p.LagSeconds >= 1 && p.Pending == 21
	})
	p := south.r.Status().Peers[0]
	if max := time.Since(stuckAt).Seconds() + 0.5; p.LagSeconds > max {
		t.Errorf("lag %.1f s, more than the stuck record's age %.1f s", p.LagSeconds, max)
	}
}
