package store

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"
)

// pendingRecords returns the replicate outbox's records, oldest first.
func pendingRecords(t *testing.T, s *Store) (recs [][]byte, pos []OutboxPos) {
	t.Helper()
	err := s.ReplicationPending(OutboxPos{}, 1<<20, func(e OutboxEntry) bool {
		recs = append(recs, bytes.Clone(e.Payload))
		pos = append(pos, OutboxPos{At: e.At, ID: e.ID})
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs, pos
}

func TestReplicateClicks(t *testing.T) {
	for _, d := range []Durability{Sync, Async} {
		t.Run(durName[d], func(t *testing.T) {
			clk := newClock(t0.Add(time.Hour))
			origin := openOpts(t, Options{Durability: d, Now: clk.Now, Replicate: true})
			peer := openOpts(t, Options{Durability: d, Now: clk.Now, Replicate: true})

			g := newClickGen(7, t0.Add(30*time.Minute), time.Second)
			const n = 300
			want := make([]Click, n)
			for i := range want {
				var c Click
				g.fill(&c, uint64(i))
				mustPut(t, origin, &c)
				want[i] = cloneClick(&c)
			}
			// A replayed click_id is not stored, so not published either.
			if ok, err := origin.PutClick(&want[0]); ok || err != nil {
				t.Fatalf("replayed click: stored %v, %v", ok, err)
			}
			if got := origin.ReplicationBacklog(); got != n {
				t.Fatalf("backlog %d, want %d", got, n)
			}
			recs, pos := pendingRecords(t, origin)
			if len(recs) != n {
				t.Fatalf("%d records queued, want %d", len(recs), n)
			}
			select {
			case <-origin.ReplicationWake():
			default:
				t.Fatal("no wake-up after clicks were queued")
			}

			clicks, installs, err := peer.ApplyReplicated("us-east", 41, recs)
			if err != nil || clicks != n || installs != 0 {
				t.Fatalf("ApplyReplicated = %d, %d, %v; want %d, 0, nil", clicks, installs, err, n)
			}
			for i := range want {
				var got Click
				if _, ok, err := peer.GetClick(want[i].ClickID, &got, nil); err != nil || !ok {
					t.Fatalf("click %q on the peer: %v, %v", want[i].ClickID, ok, err)
				}
				if diff := clickDiff(&want[i], &got, false); diff != "" {
					t.Fatalf("click %d replicated: %s", i, diff)
				}
				if ua, err := peer.ClickUserAgent(want[i].ClickID); err != nil || ua != string(want[i].UserAgent) {
					t.Fatalf("click %d's user agent on the peer: %q, %v", i, ua, err)
				}
			}
			// Applied clicks are the peer's to keep, not to publish again.
			if got, _ := pendingRecords(t, peer); len(got) != 0 || peer.ReplicationBacklog() != 0 {
				t.Fatalf("the peer queued %d records (backlog %d) to publish", len(got), peer.ReplicationBacklog())
			}
			if p, err := peer.ReplicationPosition("us-east"); err != nil || p != 41 {
				t.Fatalf("position %d, %v; want 41", p, err)
			}
			// Applying them again (a restart before the position was saved)
			// stores nothing.
			if clicks, _, err := peer.ApplyReplicated("us-east", 42, recs); err != nil || clicks != 0 {
				t.Fatalf("second apply stored %d, %v", clicks, err)
			}

			// The device index works on the peer: attribution there finds
			// the click by its advertising id.
			c := &want[5]
			kind, dev := DeviceGAID, c.GAID
			if len(dev) == 0 {
				kind, dev = DeviceIDFA, c.IDFA
			}
			var got Click
			_, found, err := peer.LatestByDevice(c.App, kind, dev, c.Time/1000, c.Time/1000-60, acceptAll, &got, nil)
			if err != nil || !found || !bytes.Equal(got.ClickID, c.ClickID) {
				t.Fatalf("device lookup on the peer: %v %v %q", found, err, got.ClickID)
			}

			if err := origin.ReplicationPublished(pos[:100]); err != nil {
				t.Fatal(err)
			}
			if left, _ := pendingRecords(t, origin); len(left) != n-100 || origin.ReplicationBacklog() != n-100 {
				t.Fatalf("after publishing 100: %d left, backlog %d", len(left), origin.ReplicationBacklog())
			}
		})
	}
}

func TestReplicateInstalls(t *testing.T) {
	origin := openOpts(t, Options{Durability: Async, Replicate: true})
	peer := openOpts(t, Options{Durability: Async})
	in := &Install{InstallID: "inst-1", EventID: "ev-1", App: "com.example.app", Platform: PlatformAndroid,
		Time: 1764115200, Match: MatchClickID, ClickID: "clk-1", Campaign: "demo", Partner: "net",
		ClickTime: 1764115100123, Sub: [5]string{"a", "", "c"}, GAID: "38400000-8cf0-11bd-b23e-10b96e40000d"}
	tx := origin.BeginConversions()
	tx.PutInstall(in)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	recs, _ := pendingRecords(t, origin)
	if len(recs) != 1 || origin.ReplicationBacklog() != 1 {
		t.Fatalf("%d records, backlog %d; want 1", len(recs), origin.ReplicationBacklog())
	}
	if _, installs, err := peer.ApplyReplicated("ap-south", 7, recs); err != nil || installs != 1 {
		t.Fatalf("apply: %d installs, %v", installs, err)
	}
	got, err := peer.GetInstall("inst-1")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(*got) != fmt.Sprint(*in) {
		t.Fatalf("replicated install\n got %+v\nwant %+v", *got, *in)
	}
	// An install_id the peer has already keeps its own record.
	other := *in
	other.ClickID = "clk-2"
	tx = origin.BeginConversions()
	tx.PutInstall(&other)
	tx.Abort()
	if _, installs, err := peer.ApplyReplicated("ap-south", 8, [][]byte{appendReplInstall(nil, &other)}); err != nil || installs != 0 {
		t.Fatalf("second install with the id: stored %d, %v", installs, err)
	}
	if got, _ := peer.GetInstall("inst-1"); got.ClickID != "clk-1" {
		t.Fatalf("first install overwritten: click %q", got.ClickID)
	}
}

func TestApplyReplicatedRefusesBadRecords(t *testing.T) {
	s := openOpts(t, Options{Durability: Async})
	var c Click
	newClickGen(1, t0, time.Second).fill(&c, 1)
	good := appendReplClick(nil, &c, 0)
	for _, tc := range []struct {
		name string
		rec  []byte
	}{
		{"empty", nil},
		{"unknown version", append([]byte{9}, good[1:]...)},
		{"unknown kind", []byte{replVersion, 'x', 0}},
		{"truncated click", good[:len(good)/2]},
		{"click without id", append([]byte{replVersion, ReplClick, 0}, good[3+len(c.ClickID):]...)},
		{"truncated install", appendReplInstall(nil, &Install{InstallID: "x"})[:5]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := s.ApplyReplicated("eu", 3, [][]byte{tc.rec})
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
			if p, _ := s.ReplicationPosition("eu"); p != 0 {
				t.Fatalf("position moved to %d past a bad record", p)
			}
		})
	}
}

func TestReplicationBacklogSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s := openOpts(t, Options{Dir: dir, Durability: Sync, Replicate: true, Now: newClock(t0.Add(time.Minute)).Now})
	g := newClickGen(3, t0, time.Second)
	for i := range 5 {
		var c Click
		g.fill(&c, uint64(i))
		mustPut(t, s, &c)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openOpts(t, Options{Dir: dir, Durability: Sync})
	if got := s.ReplicationBacklog(); got != 5 {
		t.Fatalf("backlog after reopen %d, want 5", got)
	}
}

func TestNoReplicationRecordsWhenOff(t *testing.T) {
	s := openOpts(t, Options{Durability: Async})
	var c Click
	newClickGen(2, time.Now(), time.Second).fill(&c, 1)
	mustPut(t, s, &c)
	tx := s.BeginConversions()
	tx.PutInstall(&Install{InstallID: "i"})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if recs, _ := pendingRecords(t, s); len(recs) != 0 || s.ReplicationBacklog() != 0 {
		t.Fatalf("%d records queued with replication off", len(recs))
	}
}
