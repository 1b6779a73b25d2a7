package replication

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/clickedge/clickedge/internal/testlog"
	"github.com/clickedge/clickedge/internal/testnats"
	"github.com/clickedge/clickedge/store"
)

// region is one region's store and replicator.
type region struct {
	name string
	st   *store.Store
	r    *Replicator
	log  *testlog.Buffer
}

func startRegion(t testing.TB, name, dir, url string, peers ...string) *region {
	t.Helper()
	st, err := store.Open(store.Options{Dir: dir, Durability: store.Async, Replicate: true})
	if err != nil {
		t.Fatal(err)
	}
	g := &region{name: name, st: st, log: new(testlog.Buffer)}
	g.r, err = Start(Options{Store: st, Region: name, Peers: peers, URL: url,
		Logger: slog.New(slog.NewTextHandler(g.log, nil)), Version: "test"})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { g.stop(t) })
	return g
}

func (g *region) stop(t testing.TB) {
	if g.r == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.r.Stop(ctx); err != nil {
		t.Error(err)
	}
	if err := g.st.Close(); err != nil {
		t.Error(err)
	}
	g.r = nil
}

func click(id string, at time.Time) *store.Click {
	return &store.Click{
		ClickID: []byte(id), Time: at.UnixMilli(), Campaign: []byte("demo"), App: []byte("com.example.app"),
		Platform: store.PlatformAndroid, OSVersion: []byte("14"), AffID: []byte("4471"),
		Sub:       [5][]byte{[]byte("s1")},
		GAID:      []byte("38400000-8cf0-11bd-b23e-10b96e40000d"),
		IP:        []byte("203.0.113.9"),
		UserAgent: []byte("Mozilla/5.0 (Linux; Android 14; Pixel 8)"),
	}
}

// eventually polls cond for up to 15 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func hasClick(st *store.Store, id string) bool {
	var c store.Click
	_, ok, err := st.GetClick([]byte(id), &c, nil)
	return err == nil && ok
}

func TestClicksAndInstallsReachThePeer(t *testing.T) {
	ns := testnats.Start(t, -1, t.TempDir())
	url := ns.ClientURL()
	east := startRegion(t, "us-east", t.TempDir(), url, "ap-south")
	south := startRegion(t, "ap-south", t.TempDir(), url, "us-east")

	now := time.Now()
	const n = 2000
	for i := range n {
		if _, err := east.st.PutClick(click(fmt.Sprintf("east-%d", i), now)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := south.st.PutClick(click("south-1", now)); err != nil {
		t.Fatal(err)
	}
	tx := east.st.BeginConversions()
	tx.PutInstall(&store.Install{InstallID: "inst-1", EventID: "ev-1", App: "com.example.app",
		Match: store.MatchClickID, ClickID: "east-7", Campaign: "demo", Partner: "net", Time: now.Unix()})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	eventually(t, "the east clicks in ap-south", func() bool {
		pos, _ := south.st.ReplicationPosition("us-east")
		return pos == n+1
	})
	eventually(t, "the south click in us-east", func() bool { return hasClick(east.st, "south-1") })
	eventually(t, "the install in ap-south", func() bool {
		in, err := south.st.GetInstall("inst-1")
		return err == nil && in.ClickID == "east-7"
	})
	for i := range n {
		if !hasClick(south.st, fmt.Sprintf("east-%d", i)) {
			t.Fatalf("click east-%d missing in ap-south", i)
		}
	}
	var c store.Click
	if _, _, err := south.st.GetClick([]byte("east-3"), &c, nil); err != nil || string(c.Sub[0]) != "s1" || string(c.AffID) != "4471" {
		t.Fatalf("replicated click's values: %q %q %v", c.Sub[0], c.AffID, err)
	}
	eventually(t, "both outboxes drained", func() bool {
		return east.st.ReplicationBacklog() == 0 && south.st.ReplicationBacklog() == 0
	})
	// What a region applied it does not publish again: ap-south's stream
	// holds its own click only.
	if pos, err := east.st.ReplicationPosition("ap-south"); err != nil || pos != 1 {
		t.Fatalf("us-east applied ap-south's stream up to %d (%v), want 1", pos, err)
	}
	if pos, err := south.st.ReplicationPosition("us-east"); err != nil || pos != n+1 {
		t.Fatalf("ap-south applied us-east's stream up to %d (%v), want %d", pos, err, n+1)
	}
}

// A follower that restarts resumes after the last sequence it applied, and
// an edge started before its peer's stream exists waits for it.
func TestFollowerResumesFromStoredPosition(t *testing.T) {
	ns := testnats.Start(t, -1, t.TempDir())
	url := ns.ClientURL()
	southDir := t.TempDir()
	south := startRegion(t, "ap-south", southDir, url, "us-east") // before us-east exists
	east := startRegion(t, "us-east", t.TempDir(), url)
	now := time.Now()
	for i := range 10 {
		east.st.PutClick(click(fmt.Sprintf("a-%d", i), now))
	}
	eventually(t, "first clicks applied", func() bool { return hasClick(south.st, "a-9") })
	south.stop(t)

	for i := range 10 {
		east.st.PutClick(click(fmt.Sprintf("b-%d", i), now))
	}
	eventually(t, "us-east published", func() bool { return east.st.ReplicationBacklog() == 0 })
	south = startRegion(t, "ap-south", southDir, url, "us-east")
	eventually(t, "clicks made while ap-south was down", func() bool {
		pos, _ := south.st.ReplicationPosition("us-east")
		return pos == 20
	})
	for i := range 10 {
		if !hasClick(south.st, fmt.Sprintf("b-%d", i)) {
			t.Fatalf("click b-%d missing", i)
		}
	}
	if !strings.Contains(south.log.String(), `after=10`) {
		t.Fatalf("the restarted follower did not resume after sequence 10:\n%s", south.log)
	}
}

// With the NATS server down, clicks are stored as always and their records
// wait in the outbox; when the server is back they are published, once.
func TestNATSOutageLosesNothing(t *testing.T) {
	natsDir := t.TempDir()
	ns := testnats.Start(t, -1, natsDir)
	port := ns.Addr().(*net.TCPAddr).Port
	url := ns.ClientURL()
	east := startRegion(t, "us-east", t.TempDir(), url)
	south := startRegion(t, "ap-south", t.TempDir(), url, "us-east")
	now := time.Now()
	east.st.PutClick(click("before", now))
	eventually(t, "a click before the outage", func() bool { return hasClick(south.st, "before") })

	ns.Shutdown()
	ns.WaitForShutdown()
	const n = 300
	for i := range n {
		stored, err := east.st.PutClick(click(fmt.Sprintf("during-%d", i), now))
		if err != nil || !stored {
			t.Fatalf("click during the outage: %v %v", stored, err)
		}
	}
	time.Sleep(200 * time.Millisecond) // the publisher tries, and fails
	if got := east.st.ReplicationBacklog(); got != n {
		t.Fatalf("backlog during the outage %d, want %d", got, n)
	}

	testnats.Start(t, port, natsDir)
	eventually(t, "the outbox drained after the outage", func() bool { return east.st.ReplicationBacklog() == 0 })
	// The stream holds each record once: a publish buffered by the client
	// during the outage and published again later is a duplicate the
	// server drops.
	eventually(t, "ap-south applied the stream to its end", func() bool {
		pos, _ := south.st.ReplicationPosition("us-east")
		return pos >= n+1
	})
	if pos, _ := south.st.ReplicationPosition("us-east"); pos != n+1 {
		t.Fatalf("us-east's stream holds %d records, want %d: one was published twice", pos, n+1)
	}
	for i := range n {
		if !hasClick(south.st, fmt.Sprintf("during-%d", i)) {
			t.Fatalf("click during-%d lost", i)
		}
	}
}

// A peer's stream deleted and made again starts its sequences over: the
// follower notices its position is past the stream's end and applies the
// new stream from its start.
func TestPeerStreamMadeAgain(t *testing.T) {
	// Restored after the regions stop (cleanups run last first).
	checkStreamEvery(t, 50*time.Millisecond)
	ns := testnats.Start(t, -1, t.TempDir())
	east := startRegion(t, "us-east", t.TempDir(), ns.ClientURL())
	south := startRegion(t, "ap-south", t.TempDir(), ns.ClientURL(), "us-east")
	applyThenDeleteStream(t, east, south, 5, nil)
	east.st.PutClick(click("new-0", time.Now()))
	eventually(t, "the click published to the new stream applied", func() bool { return hasClick(south.st, "new-0") })
	if !strings.Contains(south.log.String(), "applying it from its start") {
		t.Fatalf("no warning that the stream was made again:\n%s", south.log)
	}
}

// A record committed behind the publisher's cursor (its position was taken
// before records already published) is published all the same.
func TestRecordBehindTheCursorIsPublished(t *testing.T) {
	t.Cleanup(func(m, e time.Duration) func() {
		return func() { cursorMargin, rescanEvery = m, e }
	}(cursorMargin, rescanEvery))
	cursorMargin, rescanEvery = -time.Hour, 300*time.Millisecond
	ns := testnats.Start(t, -1, t.TempDir())
	east := startRegion(t, "us-east", t.TempDir(), ns.ClientURL())
	south := startRegion(t, "ap-south", t.TempDir(), ns.ClientURL(), "us-east")
	now := time.Now()
	east.st.PutClick(click("first", now))
	eventually(t, "a first click published", func() bool { return hasClick(south.st, "first") })

	// (cursorMargin < 0: the cursor follows every record at once.)
	// Queue a record at a position a second old, as a click whose commit
	// was held up would be. (Its payload is made by a scratch store.)
	scratch, err := store.Open(store.Options{Dir: t.TempDir(), Durability: store.Async, Replicate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer scratch.Close()
	scratch.PutClick(click("late", now))
	var rec []byte
	scratch.ReplicationPending(store.OutboxPos{}, 1, func(e store.OutboxEntry) bool {
		rec = append([]byte(nil), e.Payload...)
		return false
	})
	at := now.Add(-time.Second).UnixMilli()
	if err := east.st.Update(func(w *store.Writer) error {
		w.OutboxPut(store.QueueReplicate, uint64(at)<<20, store.StatusPending, at, rec)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the late record published", func() bool { return hasClick(south.st, "late") })
}

// The edge creates its region's stream when it is missing, with
// DefaultMaxAge, and leaves one that exists as the operator set it.
func TestStreamLimitsAreTheOperators(t *testing.T) {
	ns := testnats.Start(t, -1, t.TempDir())
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: StreamName("us-east"),
		Subjects: []string{"clickedge.us-east.>"}, MaxAge: time.Hour, MaxBytes: 64 << 20}); err != nil { // 1 GiB: refused on a host with less disk free (the embedded server sizes its store by it)
		t.Fatal(err)
	}
	east := startRegion(t, "us-east", t.TempDir(), ns.ClientURL())
	south := startRegion(t, "ap-south", t.TempDir(), ns.ClientURL())
	east.st.PutClick(click("c1", time.Now()))
	south.st.PutClick(click("c2", time.Now()))
	eventually(t, "both published", func() bool {
		return east.st.ReplicationBacklog() == 0 && south.st.ReplicationBacklog() == 0
	})
	for region, want := range map[string]time.Duration{"us-east": time.Hour, "ap-south": DefaultMaxAge} {
		s, err := js.Stream(ctx, StreamName(region))
		if err != nil {
			t.Fatal(err)
		}
		if got := s.CachedInfo().Config.MaxAge; got != want {
			t.Errorf("stream %s: max age %v, want %v", region, got, want)
		}
	}
}

// A record the follower cannot read stops the peer's stream there: nothing
// after it is applied, and the status says why.
func TestUnreadableRecordStopsThePeer(t *testing.T) {
	east, south := peerAtUnreadableRecord(t)
	east.st.PutClick(click("after", time.Now()))
	eventually(t, "the peer's error in the status", func() bool {
		st := south.r.Status()
		return len(st.Peers) == 1 && strings.Contains(st.Peers[0].Error, "corrupt")
	})
	time.Sleep(200 * time.Millisecond)
	if hasClick(south.st, "after") {
		t.Fatal("a record after the unreadable one was applied")
	}
	if st := south.r.Status(); st.Peers[0].Applied != 1 {
		t.Fatalf("applied %d, want 1 (stopped before the unreadable record)", st.Peers[0].Applied)
	}
}

// checkStreamEvery sets streamCheckEvery for the test, restored after its
// regions stop (cleanups run last first).
func checkStreamEvery(t *testing.T, d time.Duration) {
	t.Cleanup(func(was time.Duration) func() { return func() { streamCheckEvery = was } }(streamCheckEvery))
	streamCheckEvery = d
}

// applyThenDeleteStream has south apply n clicks of east's ("old-<i>"),
// runs between (when set: south stopped, say), then deletes east's stream,
// as a NATS server back with empty storage would.
func applyThenDeleteStream(t *testing.T, east, south *region, n int, between func()) {
	t.Helper()
	for i := range n {
		east.st.PutClick(click(fmt.Sprintf("old-%d", i), time.Now()))
	}
	eventually(t, "first clicks applied", func() bool {
		pos, _ := south.st.ReplicationPosition("us-east")
		return pos == uint64(n)
	})
	if between != nil {
		between()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := east.r.js.DeleteStream(ctx, StreamName("us-east")); err != nil {
		t.Fatal(err)
	}
}

// peerAtUnreadableRecord starts us-east and ap-south (following it), has
// ap-south apply one click ("before"), then publishes to us-east's stream a
// record no version can read, at which ap-south's follower stops.
func peerAtUnreadableRecord(t *testing.T) (east, south *region) {
	t.Helper()
	ns := testnats.Start(t, -1, t.TempDir())
	east = startRegion(t, "us-east", t.TempDir(), ns.ClientURL())
	south = startRegion(t, "ap-south", t.TempDir(), ns.ClientURL(), "us-east")
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
	return east, south
}
