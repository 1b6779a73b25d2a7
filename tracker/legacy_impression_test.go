package tracker_test

import (
	"strings"
	"testing"

	"github.com/clickedge/clickedge/store"
)

// putLegacyImpression stores impression id as versions before 26266f9 did:
// a click record flagged impression under "imp:" + id.
func putLegacyImpression(t *testing.T, e *clickEnv, id, gaid string) {
	t.Helper()
	c := store.Click{
		ClickID: []byte("imp:" + id), Campaign: []byte("videocamp"), App: []byte("com.example.app"),
		Time: clickNow.UnixMilli(), Flags: store.FlagImpression | store.FlagServerToServer,
		GAID: []byte(gaid), IP: []byte(clickPeerIP),
	}
	if ok, err := e.st.PutClick(&c); err != nil || !ok {
		t.Fatalf("legacy impression: %v %v", ok, err)
	}
}

// TestLegacyImpressionReplay: an ad server's retry of an impression
// stored before the impression prefix changed (under "imp:" + id) is a
// duplicate, as it was before the upgrade; it was stored a second time,
// restarting its view-through window. Found by an audit.
func TestLegacyImpressionReplay(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	putLegacyImpression(t, e, "v1", "38400000-8cf0-11bd-b23e-10b96e400b01")
	r := e.do(t, clickReq{uri: "/v1/impression?c=videocamp&impression_id=v1&gaid=38400000-8cf0-11bd-b23e-10b96e400b01"})
	if r.status != 200 || !strings.Contains(r.body, `"reason":"duplicate"`) {
		t.Fatalf("replay of a legacy impression: %d %s, want duplicate", r.status, r.body)
	}
}
