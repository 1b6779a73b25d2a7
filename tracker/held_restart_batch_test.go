package tracker_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestHeldEventAfterDowntimeTakesInstall: an event held beside its held
// install (an SDK that sends the purchase alongside the install) must take
// the install's attribution (CONTRACT §4: "A signup or event takes the
// attribution of its install") also when the edge was down past both
// windows and comes back with more holds due than one pass reads
// (heldBatch, 256): a busy edge restarted after a few minutes. The event,
// held first, is read in an earlier pass than its install; it was decided
// organic and never posted while its install, a pass later, was attributed
// and posted.
func TestHeldEventAfterDowntimeTakesInstall(t *testing.T) {
	for _, tc := range []struct {
		name   string
		others int           // other installs held between the event and its install
		down   time.Duration // how long the edge was down
	}{
		{"few holds", 10, 3 * time.Minute},
		{"more than one pass", 300, 3 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, e := newHeldRestart(t)
			clock := h.clock
			runCmd(t, e, "click c=camp7d click_id=dv1 gaid=38400000-8cf0-11bd-b23e-10b96e400001")
			clock.Add(time.Hour)
			mustHold(t, e, `{"type":"event","install_id":"f1","event_name":"purchase","event_id":"fe1","revenue":"2","currency":"USD"}`)
			for i := range tc.others {
				runCmd(t, e, fmt.Sprintf(`conversion {"type":"install","install_id":"o%d","app":"com.test.app","event_id":"eo%d"}`, i, i))
			}
			mustHold(t, e, `{"type":"install","install_id":"f1","click_id":"elsewhere1","app":"com.test.app","gaid":"38400000-8cf0-11bd-b23e-10b96e400001","event_id":"fi1"}`)
			// The edge stops, and starts again some minutes later.
			e = h.restart(t, e, tc.down)
			defer e.st.Close()
			// Past both windows counted from the start too (a hold kept
			// over a restart waits for the replication backlog,
			// TestHeldWindowCountsFromStart): the batch boundary alone
			// must not decide the event.
			clock.Add(121 * time.Second)
			// Two RunHolds ticks, a holdRetry apart: each runs passes at
			// one now until one reads fewer than a pass's batch.
			for range 2 {
				for range 10 {
					n, err := e.tr.RetryHolds(clock.Now(), false)
					if err != nil {
						t.Fatal(err)
					}
					if n < 256 {
						break
					}
				}
				clock.Add(250 * time.Millisecond)
			}
			if got := runCmd(t, e, "install f1"); !strings.Contains(got, "match=device_id") {
				t.Fatalf("install f1 not decided by its device: %s", got)
			}
			if got := runCmd(t, e, "event fe1"); !strings.Contains(got, "attributed=true match=device_id") || !strings.Contains(got, "postback=queued") {
				t.Errorf("event fe1 did not take its install's attribution:\n%s\ninstall: %s", got, runCmd(t, e, "install f1"))
			}
		})
	}
}
