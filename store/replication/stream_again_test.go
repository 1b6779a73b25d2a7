package replication

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/clickedge/clickedge/internal/testnats"
)

// A peer's stream deleted and made again while this edge is down, and
// holding more records by the time it restarts than the position this edge
// had applied: every record of the new stream must be applied.
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
	now := time.Now()
	for i := range 5 {
		east.st.PutClick(click(fmt.Sprintf("old-%d", i), now))
	}
	eventually(t, "first clicks applied", func() bool {
		pos, _ := south.st.ReplicationPosition("us-east")
		return pos == 5
	})
	south.stop(t)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := east.r.js.DeleteStream(ctx, StreamName("us-east")); err != nil {
		t.Fatal(err)
	}
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
	t.Cleanup(func(d time.Duration) func() { return func() { streamCheckEvery = d } }(streamCheckEvery))
	streamCheckEvery = 300 * time.Millisecond
	ns := testnats.Start(t, -1, t.TempDir())
	url := ns.ClientURL()
	east := startRegion(t, "us-east", t.TempDir(), url)
	south := startRegion(t, "ap-south", t.TempDir(), url, "us-east")
	now := time.Now()
	for i := range 3 {
		east.st.PutClick(click(fmt.Sprintf("old-%d", i), now))
	}
	eventually(t, "first clicks applied", func() bool {
		pos, _ := south.st.ReplicationPosition("us-east")
		return pos == 3
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := east.r.js.DeleteStream(ctx, StreamName("us-east")); err != nil {
		t.Fatal(err)
	}
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
