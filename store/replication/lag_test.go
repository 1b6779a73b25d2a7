package replication

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/clickedge/clickedge/internal/testnats"
	"github.com/clickedge/clickedge/store"
)

// TestLagWhileStoppedBehindRecords: a peer's stream that stopped being
// applied (here at a record this version cannot read) with records behind
// the stop shows a lag that grows: the age of the first record not
// applied. It stayed at its last value, 0, so the alert the README
// suggests (lag past pending_window) never fired while every held
// conversion ran out its window. Found by an audit.
func TestLagWhileStoppedBehindRecords(t *testing.T) {
	t.Cleanup(func(d time.Duration) func() { return func() { streamCheckEvery = d } }(streamCheckEvery))
	streamCheckEvery = 50 * time.Millisecond
	ns := testnats.Start(t, -1, t.TempDir())
	east := startRegion(t, "us-east", t.TempDir(), ns.ClientURL())
	south := startRegion(t, "ap-south", t.TempDir(), ns.ClientURL(), "us-east")
	east.st.PutClick(click("before", time.Now()))
	eventually(t, "a first click applied", func() bool { return hasClick(south.st, "before") })

	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if _, err := js.Publish(context.Background(), Subject("us-east", store.ReplClick), []byte{9, 'c', 0}); err != nil {
		t.Fatal(err)
	}
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
