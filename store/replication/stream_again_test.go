package replication

import (
	"fmt"
	"testing"
	"time"

	"github.com/clickedge/clickedge/internal/testnats"
)

// A peer's stream deleted and made again while this edge is down (a NATS
// server back with empty storage: the publisher makes its stream again)
// starts its sequences over. Once it has grown past the position applied
// here, sequences alone cannot tell it from the old one; its creation time
// can. Its records are all applied, from its start.
func TestPeerStreamMadeAgainWhileDown(t *testing.T) {
	ns := testnats.Start(t, -1, t.TempDir())
	url := ns.ClientURL()
	east := startRegion(t, "us-east", t.TempDir(), url)
	southDir := t.TempDir()
	south := startRegion(t, "ap-south", southDir, url, "us-east")
	applyThenDeleteStream(t, east, south, 5, func() { south.stop(t) })
	now := time.Now()
	for i := range 10 {
		east.st.PutClick(click(fmt.Sprintf("new-%d", i), now))
	}
	eventually(t, "us-east published to its new stream", func() bool { return east.st.ReplicationBacklog() == 0 })

	south = startRegion(t, "ap-south", southDir, url, "us-east")
	eventually(t, "ap-south applied the new stream to its end", func() bool {
		pos, _ := south.st.ReplicationPosition("us-east")
		return pos == 10
	})
	time.Sleep(200 * time.Millisecond)
	for i := range 10 {
		if !hasClick(south.st, fmt.Sprintf("new-%d", i)) {
			t.Errorf("click new-%d (made after the stream was made again) never applied", i)
		}
	}
}

// The same while the follower runs: the stream is made again and grows
// past the position applied here before the follower's next check, which
// sees its creation time changed and applies it from its start.
func TestPeerStreamMadeAgainAndGrownWhileFollowed(t *testing.T) {
	checkStreamEvery(t, 300*time.Millisecond)
	ns := testnats.Start(t, -1, t.TempDir())
	east := startRegion(t, "us-east", t.TempDir(), ns.ClientURL())
	south := startRegion(t, "ap-south", t.TempDir(), ns.ClientURL(), "us-east")
	applyThenDeleteStream(t, east, south, 3, nil)
	now := time.Now()
	for i := range 10 {
		east.st.PutClick(click(fmt.Sprintf("new-%d", i), now))
	}
	eventually(t, "every click of the new stream applied", func() bool {
		for i := range 10 {
			if !hasClick(south.st, fmt.Sprintf("new-%d", i)) {
				return false
			}
		}
		return true
	})
}
