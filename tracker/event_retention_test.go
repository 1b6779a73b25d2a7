package tracker_test

import (
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/store"
	"github.com/clickedge/clickedge/tracker"
)

// TestSecondSignupAfterEventRetention: once event_retention has deleted a
// signup's event record, a second signup of its install is still a
// duplicate (README), and is answered as the first was: with its
// install's attribution (CONTRACT §4) and the first signup's event_id. It
// was answered organic, with the request's own event_id, empty when it
// sent none. Found by an audit.
func TestSecondSignupAfterEventRetention(t *testing.T) {
	cfg, err := config.Parse("test.yaml", []byte(attrBaseConfig), nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := new(attrClock)
	clock.Set(attrStart)
	discard := slog.New(slog.DiscardHandler)
	st, err := store.Open(store.Options{Dir: t.TempDir(), Durability: store.Sync, Now: clock.Now, Logger: discard,
		EventRetention: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := &attrEnv{t: t, clock: clock, st: st, gen: map[string]string{}, ungen: map[string]string{},
		tr: tracker.New(tracker.Options{Store: st, Config: cfg, Now: clock.Now, Logger: discard})}
	if resp := e.do("GET", "/?c=camp7d&click_id=abc", "", nil, "", attrUserAgents["android14"]); resp.StatusCode() != 302 {
		t.Fatalf("click: %d %s", resp.StatusCode(), resp.Body())
	}
	answer := func(body string) map[string]any {
		t.Helper()
		resp := e.do("POST", "/v1/conversions", attrJSON, []byte(body), "", "")
		var v map[string]any
		if err := json.Unmarshal(resp.Body(), &v); err != nil || resp.StatusCode() != 200 {
			t.Fatalf("%s: %d %s", body, resp.StatusCode(), resp.Body())
		}
		return v
	}
	clock.Add(time.Minute)
	if in := answer(`{"type":"install","install_id":"i1","click_id":"abc","app":"com.test.app"}`); in["attributed"] != true {
		t.Fatalf("install: %v", in)
	}
	answer(`{"type":"signup","install_id":"i1"}`)
	before := answer(`{"type":"signup","install_id":"i1"}`)

	clock.Add(72 * time.Hour)
	if n, err := st.ExpireEvents(); err != nil || n == 0 {
		t.Fatalf("ExpireEvents = %d, %v", n, err)
	}
	after := answer(`{"type":"signup","install_id":"i1"}`)
	if after["postback"] != "duplicate" {
		t.Fatalf("not a duplicate: %v", after)
	}
	for _, k := range []string{"attributed", "match", "campaign", "click_id", "event_id"} {
		if after[k] != before[k] {
			t.Errorf("%s = %v after event_retention, %v before", k, after[k], before[k])
		}
	}
}
