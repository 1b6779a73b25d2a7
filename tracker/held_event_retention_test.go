package tracker_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/store"
	"github.com/clickedge/clickedge/tracker"
)

// TestHeldInstallOutlivesEventRetention: an install held when the edge
// stopped (replication on, event_retention 24h), and the edge started
// again two days later. The store's retention runs at open, before the
// first pass over the holds, and deletes the held install's event record
// (recorded on a day that ended more than event_retention ago); the hold
// then found its event gone and ended without deciding the install. The
// install stayed match=pending for good: never attributed to the click
// stored here, never posted, never replicated, and every later event of
// it was held and then decided without it.
func TestHeldInstallOutlivesEventRetention(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Parse("test.yaml", []byte(attrBaseConfig+"event_retention: 24h\nreplication:\n  nats_url: \"nats://127.0.0.1:4222\"\n  peers: [eu]\n  pending_window: 60s\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := new(attrClock)
	clock.Set(attrStart.Add(23 * time.Hour))
	open := func() *attrEnv {
		discard := slog.New(slog.DiscardHandler)
		st, err := store.Open(store.Options{Dir: dir, Durability: store.Sync, Now: clock.Now, Logger: discard,
			EventRetention: cfg.EventRetention, Replicate: true})
		if err != nil {
			t.Fatal(err)
		}
		tr := tracker.New(tracker.Options{Store: st, Config: cfg, Now: clock.Now, Logger: discard})
		return &attrEnv{t: t, clock: clock, st: st, tr: tr, gen: map[string]string{}, ungen: map[string]string{},
			metricBase: exposedMetrics()}
	}
	e := open()
	runCmd(t, e, "click c=camp7d click_id=dv1 gaid=38400000-8cf0-11bd-b23e-10b96e400001")
	clock.Add(time.Minute)
	out := runCmd(t, e, `conversion {"type":"install","install_id":"h1","click_id":"elsewhere","app":"com.test.app","gaid":"38400000-8cf0-11bd-b23e-10b96e400001","event_id":"eh1"}`)
	if !strings.Contains(out, `"match":"pending"`) {
		t.Fatalf("install not held: %s", out)
	}
	// Its purchase, held beside it: its record goes the same way.
	out = runCmd(t, e, `conversion {"type":"event","install_id":"h1","event_name":"purchase","event_id":"ev1","revenue":"2","currency":"USD"}`)
	if !strings.Contains(out, `"match":"pending"`) {
		t.Fatalf("event not held: %s", out)
	}
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	// Two days later the edge starts again: its retention pass, then its
	// first pass over the holds.
	clock.Add(48 * time.Hour)
	e = open()
	defer e.st.Close()
	if _, err := e.st.ExpireEvents(); err != nil {
		t.Fatal(err)
	}
	clock.Add(61 * time.Second) // a window after the start (TestHeldWindowCountsFromStart)
	for range 2 {
		if _, err := e.tr.RetryHolds(clock.Now(), false); err != nil {
			t.Fatal(err)
		}
		clock.Add(250 * time.Millisecond)
	}
	if got := runCmd(t, e, "install h1"); !strings.Contains(got, "match=device_id") {
		t.Errorf("held install not decided by its device after its event record expired:\n%s", got)
	}
	if got := runCmd(t, e, "event ev1"); !strings.Contains(got, "attributed=true match=device_id") || !strings.Contains(got, "postback=queued") {
		t.Errorf("held event not decided with its install after its record expired:\n%s", got)
	}
}
