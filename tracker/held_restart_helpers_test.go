package tracker_test

import (
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/store"
)

// heldRestart is an attribution env with replication on (pending_window
// 60s), for tests that stop the edge and start it again on the same
// directory and clock.
type heldRestart struct {
	dir   string
	cfg   *config.Config
	clock *attrClock
}

// newHeldRestart opens the env, its clock at attrStart.
func newHeldRestart(t *testing.T) (*heldRestart, *attrEnv) {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(attrBaseConfig+"replication:\n  nats_url: \"nats://127.0.0.1:4222\"\n  peers: [eu]\n  pending_window: 60s\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &heldRestart{dir: t.TempDir(), cfg: cfg, clock: new(attrClock)}
	h.clock.Set(attrStart)
	return h, attrOpenEnv(t, h.dir, store.Sync, cfg, h.clock)
}

// restart closes e, lets down pass, and opens the env again.
func (h *heldRestart) restart(t *testing.T, e *attrEnv, down time.Duration) *attrEnv {
	t.Helper()
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(down)
	return attrOpenEnv(t, h.dir, store.Sync, h.cfg, h.clock)
}

// mustHold sends a conversion and fails unless it is held.
func mustHold(t *testing.T, e *attrEnv, conversion string) {
	t.Helper()
	if out := runCmd(t, e, "conversion "+conversion); !strings.Contains(out, `"match":"pending"`) {
		t.Fatalf("not held: %s\n%s", conversion, out)
	}
}
