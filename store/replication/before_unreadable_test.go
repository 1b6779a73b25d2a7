package replication

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/clickedge/clickedge/internal/testnats"
	"github.com/clickedge/clickedge/store"
)

// A record the follower cannot read stops the peer's stream there (README:
// "nothing after it is applied and nothing is skipped"): the records before
// it are applied, whether or not they arrived in the same delivery as it.
// Here ap-south was down while us-east stored an install and a click and
// then a record ap-south cannot read (one from a newer version) reached the
// stream; back up, ap-south reads all three in one batch.
func TestRecordsBeforeUnreadableAreApplied(t *testing.T) {
	ns := testnats.Start(t, -1, t.TempDir())
	url := ns.ClientURL()
	east := startRegion(t, "us-east", t.TempDir(), url)
	southDir := t.TempDir()
	south := startRegion(t, "ap-south", southDir, url, "us-east")
	east.st.PutClick(click("first", time.Now()))
	eventually(t, "a first click applied", func() bool { return hasClick(south.st, "first") })
	south.stop(t)

	east.st.PutClick(click("c-before", time.Now()))
	tx := east.st.BeginConversions()
	tx.PutInstall(&store.Install{InstallID: "inst-before", EventID: "ev-before", App: "com.example.app",
		Match: store.MatchClickID, ClickID: "c-before", Campaign: "demo", Partner: "net", Time: time.Now().Unix()})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "us-east published", func() bool { return east.st.ReplicationBacklog() == 0 })
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if _, err := js.Publish(context.Background(), Subject("us-east", store.ReplInstall), []byte{2, 'i', 0}); err != nil {
		t.Fatal(err)
	}

	south = startRegion(t, "ap-south", southDir, url, "us-east")
	eventually(t, "the peer's error in the status", func() bool {
		st := south.r.Status()
		return len(st.Peers) == 1 && st.Peers[0].Error != ""
	})
	time.Sleep(300 * time.Millisecond)
	_, err = south.st.GetInstall("inst-before")
	st := south.r.Status().Peers[0]
	t.Logf("status: %+v", st)
	if err != nil {
		t.Errorf("the install published before the unreadable record was not applied: %v", err)
	}
	if st.Applied != 3 {
		t.Errorf("applied up to %d, want 3 (the record before the unreadable one)", st.Applied)
	}
}
