package tracker_test

import (
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/store"
)

func heldDecidedTotal(match string) float64 {
	return exposedMetrics()[`clickedge_held_conversions_decided_total{match="`+match+`"}`]
}

func runCmd(t *testing.T, e *attrEnv, cmd string, input ...string) string {
	t.Helper()
	return e.run(&attrCmd{cmd: cmd, input: input})
}

// TestHeldEndedByPeerCounted: a held install whose peer region decided it
// meanwhile (the app's retry, with the same event_id, reached both) ends
// here posting nothing, and is counted as the README says, match
// "duplicate". It was counted nowhere: the peer's event record had
// replaced the held one, and the hold was dropped as already decided.
// Found by an audit.
func TestHeldEndedByPeerCounted(t *testing.T) {
	e := attrNewEnv(t, store.Sync, "")
	runCmd(t, e, "config base+replication")
	out := runCmd(t, e, `conversion {"type":"install","install_id":"i7","click_id":"ck7","app":"com.test.app","event_id":"ei7"}`)
	if !strings.Contains(out, `"match":"pending"`) {
		t.Fatalf("not held: %s", out)
	}
	before := heldDecidedTotal("duplicate")
	now := e.clock.Now().Unix()
	if _, err := e.applyPeer(func(tx *store.ConvTx) {
		tx.PutInstall(&store.Install{InstallID: "i7", EventID: "ei7", App: "com.test.app",
			Match: store.MatchClickID, ClickID: "ck7", Campaign: "camp7d", Partner: "acme", Time: now})
		tx.PutEvent(&store.Event{EventID: "ei7", InstallID: "i7", Kind: 1, Name: "install", Time: now,
			Attributed: true, Match: store.MatchClickID, ClickID: "ck7", Campaign: "camp7d", Postback: "queued"})
	}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Second)
	runCmd(t, e, "holds")
	if out := runCmd(t, e, "holds"); !strings.Contains(out, "0 due") {
		t.Fatalf("hold still there: %s", out)
	}
	if got := heldDecidedTotal("duplicate") - before; got != 1 {
		t.Fatalf(`held_conversions_decided_total{match="duplicate"} moved by %v, want 1`, got)
	}
}

// TestHeldViewThroughCounted: a held install decided view_through is
// counted under that match. The counter had no such series, and the
// decision went uncounted. Found by an audit.
func TestHeldViewThroughCounted(t *testing.T) {
	e := attrNewEnv(t, store.Sync, "")
	runCmd(t, e, "config", strings.Split(`region: test
apps:
  com.test.app:
    android: "https://play.google.com/store/apps/details?id=com.test.app"
partners:
  acme:
    install: "https://pb.acme.example/i?click_id={click_id}&m={match_type}"
campaigns:
  video:
    app: com.test.app
    partner: acme
    view_through_lookback: 24h
replication:
  nats_url: "nats://127.0.0.1:4222"
  peers: [eu]
  pending_window: 60s`, "\n")...)
	runCmd(t, e, "impression c=video impression_id=h1 gaid=38400000-8cf0-11bd-b23e-10b96e400b07")
	runCmd(t, e, `conversion {"type":"install","install_id":"h1","app":"com.test.app","gaid":"38400000-8cf0-11bd-b23e-10b96e400b07","event_id":"eh1"}`)
	before := heldDecidedTotal("view_through")
	e.clock.Add(61 * time.Second)
	runCmd(t, e, "holds")
	if out := runCmd(t, e, "install h1"); !strings.Contains(out, "match=view_through") {
		t.Fatalf("not decided view_through: %s", out)
	}
	if got := heldDecidedTotal("view_through") - before; got != 1 {
		t.Fatalf(`held_conversions_decided_total{match="view_through"} moved by %v, want 1`, got)
	}
}
