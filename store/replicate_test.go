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
				if i%3 == 0 {
					c.DeepLink = fmt.Appendf(nil, "exampleapp://item/%d", i)
				}
				if i%5 == 1 && len(c.GAID) != 0 { // impressions travel too
					c.Flags |= FlagImpression
					c.ViewLookback = 3600
				}
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

			a, err := peer.ApplyReplicated("us-east", 41, recs)
			if err != nil || a != (Applied{Clicks: n}) {
				t.Fatalf("ApplyReplicated = %+v, %v; want %d clicks", a, err, n)
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
			if a, err := peer.ApplyReplicated("us-east", 42, recs); err != nil || a.Clicks != 0 {
				t.Fatalf("second apply stored %+v, %v", a, err)
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
			// And an impression is indexed there as here: under its view kind.
			for i := range want {
				if c := &want[i]; c.Flags&FlagImpression != 0 {
					_, found, err := peer.LatestByDevice(c.App, DeviceGAID.View(), c.GAID, c.Time/1000, c.Time/1000-60, acceptAll, &got, nil)
					if err != nil || !found || !bytes.Equal(got.ClickID, c.ClickID) {
						t.Fatalf("impression %d's view lookup on the peer: %v %v %q", i, found, err, got.ClickID)
					}
					break
				}
			}

			if err := origin.ReplicationPublished(pos[:100], 0); err != nil {
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
		ClickTime: 1764115100123, Sub: [5]string{"a", "", "c"}, GAID: "38400000-8cf0-11bd-b23e-10b96e40000d",
		DeepLink: "exampleapp://item/1"}
	tx := origin.BeginConversions()
	tx.PutInstall(in)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	recs, _ := pendingRecords(t, origin)
	if len(recs) != 1 || origin.ReplicationBacklog() != 1 {
		t.Fatalf("%d records, backlog %d; want 1", len(recs), origin.ReplicationBacklog())
	}
	if a, err := peer.ApplyReplicated("ap-south", 7, recs); err != nil || a.Installs != 1 {
		t.Fatalf("apply: %+v, %v", a, err)
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
	if a, err := peer.ApplyReplicated("ap-south", 8, [][]byte{appendReplInstall(nil, &other)}); err != nil || a.Installs != 0 {
		t.Fatalf("second install with the id: stored %+v, %v", a, err)
	}
	if got, _ := peer.GetInstall("inst-1"); got.ClickID != "clk-1" {
		t.Fatalf("first install overwritten: click %q", got.ClickID)
	}
}

// Signups and in-app events travel too, once decided, so that a region
// answers a replay of an event_id (or a second signup) recorded by
// another one "duplicate" and posts nothing, as it does for installs.
func TestReplicateEventsAndSignups(t *testing.T) {
	origin := openOpts(t, Options{Durability: Async, Replicate: true})
	peer := openOpts(t, Options{Durability: Async})
	in := &Install{InstallID: "inst-1", EventID: "ev-i", App: "com.example.app", Platform: PlatformAndroid,
		Time: 1764115200, Match: MatchClickID, ClickID: "clk-1", Campaign: "demo", Partner: "net"}
	signup := &Event{EventID: "ev-s", InstallID: "inst-1", Kind: 2, Name: "signup", Time: 1764115300,
		Match: MatchClickID, Attributed: true, ClickID: "clk-1", Campaign: "demo", Postback: "queued", PostbackID: 77}
	buy := &Event{EventID: "ev-p", InstallID: "inst-1", Kind: 3, Name: "purchase", Time: 1764115400,
		Revenue: "9.99", Currency: "USD", Match: MatchClickID, Attributed: true, ClickID: "clk-1", Campaign: "demo",
		Postback: "queued", PostbackID: 78}
	held := &Event{EventID: "ev-h", InstallID: "inst-2", Kind: 3, Name: "purchase", Time: 1764115400,
		Match: MatchPending, Postback: "pending"}
	dup := &Event{EventID: "ev-d", InstallID: "inst-3", Kind: 1, Name: "install", Time: 1764115400,
		Match: MatchOrganic, Postback: "duplicate"}
	tx := origin.BeginConversions()
	tx.PutInstall(in)
	tx.PutSignup("inst-1", "ev-s")
	tx.PutEvent(signup)
	tx.PutEvent(buy)
	tx.PutEvent(held) // held: published once decided
	tx.PutEvent(dup)  // a peer's install taken over: the peer published it
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	recs, _ := pendingRecords(t, origin)
	var kinds []byte
	for _, r := range recs {
		k, _ := ReplicationKind(r)
		kinds = append(kinds, k)
	}
	if string(kinds) != "isee" || origin.ReplicationBacklog() != 4 {
		t.Fatalf("queued kinds %q, backlog %d; want %q, 4", kinds, origin.ReplicationBacklog(), "isee")
	}

	// The peer holds ev-h itself (its install unknown there too) and has
	// decided ev-x on its own.
	mine := &Event{EventID: "ev-x", InstallID: "inst-9", Kind: 3, Name: "purchase", Match: MatchOrganic, Postback: "none"}
	tx = peer.BeginConversions()
	tx.PutEvent(&Event{EventID: "ev-h", InstallID: "inst-2", Kind: 3, Name: "purchase", Match: MatchPending, Postback: "pending"})
	tx.PutEvent(mine)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	decidedHeld := *held
	decidedHeld.Match, decidedHeld.Postback = MatchDeviceID, "queued"
	theirs := *mine
	theirs.Postback = "queued"
	recs = append(recs, appendReplEvent(nil, &decidedHeld), appendReplEvent(nil, &theirs))

	a, err := peer.ApplyReplicated("us-east", 9, recs)
	if err != nil || a != (Applied{Installs: 1, Events: 3, Signups: 1}) {
		t.Fatalf("ApplyReplicated = %+v, %v; want 1 install, 3 events, 1 signup", a, err)
	}
	// A peer's postback id names an entry of its own outbox: not kept.
	signup.PostbackID, buy.PostbackID = 0, 0
	for _, want := range []*Event{signup, buy, &decidedHeld, mine} {
		got, err := peer.GetEvent(want.EventID)
		if err != nil || fmt.Sprint(*got) != fmt.Sprint(*want) {
			t.Errorf("event %s on the peer\n got %+v, %v\nwant %+v", want.EventID, got, err, *want)
		}
	}
	tx = peer.BeginConversions()
	sid, seen, err := tx.Signup("inst-1")
	tx.Abort()
	if err != nil || !seen || sid != "ev-s" {
		t.Fatalf("signup of inst-1 on the peer: %q %v %v", sid, seen, err)
	}
	// Applying them again stores nothing.
	if a, err := peer.ApplyReplicated("us-east", 10, recs); err != nil || a != (Applied{}) {
		t.Fatalf("second apply = %+v, %v; want nothing stored", a, err)
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
		{"truncated event", appendReplEvent(nil, &Event{EventID: "e", InstallID: "i", Postback: "none"})[:6]},
		{"event without id", appendReplEvent(nil, &Event{InstallID: "i", Postback: "none"})},
		{"signup without install", appendReplSignup(nil, "", "e")},
		{"truncated signup", appendReplSignup(nil, "i", "e")[:4]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.ApplyReplicated("eu", 3, [][]byte{tc.rec})
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

// TestPeerViewThroughIDUnprefixed: a peer region still on a version from
// before the impression prefix changed credits an impression replicated
// from an upgraded region and keeps its stored id, "\xffimp:" and the
// impression's id, as the install's and its event's click_id (it strips
// only "imp:"). Applied here, they carry the impression's own id, as a
// view-through install decided here does, so that this region's answers,
// admin views and later postbacks show it. Found by an audit.
func TestPeerViewThroughIDUnprefixed(t *testing.T) {
	peer := openOpts(t, Options{Durability: Async})
	in := &Install{InstallID: "vt-1", EventID: "ev-vt-1", App: "com.example.app", Platform: PlatformAndroid,
		Time: 1764115200, Match: MatchViewThrough, ClickID: ImpressionIDPrefix + "v1", Campaign: "video", Partner: "net"}
	ev := &Event{EventID: "ev-vt-1", InstallID: "vt-1", Kind: 1, Name: "install", Time: 1764115200,
		Attributed: true, Match: MatchViewThrough, ClickID: ImpressionIDPrefix + "v1", Campaign: "video", Postback: "queued"}
	recs := [][]byte{appendReplInstall(nil, in), appendReplEvent(nil, ev)}
	if _, err := peer.ApplyReplicated("us-east", 1, recs); err != nil {
		t.Fatal(err)
	}
	got, err := peer.GetInstall("vt-1")
	if err != nil {
		t.Fatal(err)
	}
	gotEv, err := peer.GetEvent("ev-vt-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.ClickID != "v1" || gotEv.ClickID != "v1" {
		t.Fatalf("install click_id %q, event click_id %q; want v1", got.ClickID, gotEv.ClickID)
	}
}
