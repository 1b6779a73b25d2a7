package store

import "testing"

// An upgraded peer publishes a view-through install and event whose
// click_id is already the impression's own id. When the ad server's
// impression id itself begins "imp:", applying them here must keep it.
// Found by a review: the strip removed "imp:" as well, cutting an id that
// was already the impression's own.
func TestPeerViewThroughOwnIDKept(t *testing.T) {
	peer := openOpts(t, Options{Durability: Async})
	in := &Install{InstallID: "vt-2", EventID: "ev-vt-2", App: "com.example.app", Platform: PlatformAndroid,
		Time: 1764115200, Match: MatchViewThrough, ClickID: "imp:abc", Campaign: "video", Partner: "net"}
	ev := &Event{EventID: "ev-vt-2", InstallID: "vt-2", Kind: 1, Name: "install", Time: 1764115200,
		Attributed: true, Match: MatchViewThrough, ClickID: "imp:abc", Campaign: "video", Postback: "queued"}
	recs := [][]byte{appendReplInstall(nil, in), appendReplEvent(nil, ev)}
	if _, err := peer.ApplyReplicated("us-east", 1, recs); err != nil {
		t.Fatal(err)
	}
	got, err := peer.GetInstall("vt-2")
	if err != nil {
		t.Fatal(err)
	}
	gotEv, err := peer.GetEvent("ev-vt-2")
	if err != nil {
		t.Fatal(err)
	}
	if got.ClickID != "imp:abc" || gotEv.ClickID != "imp:abc" {
		t.Fatalf("install click_id %q, event click_id %q; want imp:abc (the impression's own id, as the peer decided it)", got.ClickID, gotEv.ClickID)
	}
}
