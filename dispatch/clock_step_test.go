package dispatch

import (
	"testing"
	"time"

	"github.com/clickedge/clickedge/store"
)

// TestRetryAfterClockStepBack: the edge's clock runs ahead (a VM resumed
// with a stale offset, an RTC kept in local time, a bad NTP source), a
// postback fails with a 503, and NTP then steps the clock back. The retry
// policy (retry: base 1s, max_interval 8s) says the next attempt comes
// within max_interval of the failure; the partner is healthy again, and
// every postback queued after the step goes out at once. The failed one
// must not wait until the wall clock catches up with the step.
func TestRetryAfterClockStepBack(t *testing.T) {
	for _, step := range []time.Duration{time.Hour, 24 * time.Hour} {
		t.Run(step.String(), func(t *testing.T) {
			st := openStore(t, store.Async)
			snk := newSink(t)
			snk.statuses(503)
			clk := newClock()
			clk.Add(step) // running ahead
			d := start(t, st, parseConfig(t, true, partnerYAML("net", snk.addr, "")), clk)
			failed := newJob(st, "net", "install", clk.Now())
			enqueue(t, st, failed)
			d.Notify(1)
			waitRetried(t, d, clk, 1)

			clk.Add(-step) // NTP steps it back
			fresh := newJob(st, "net", "install", clk.Now())
			enqueue(t, st, fresh)
			d.Notify(0)
			waitFor(t, "the postback queued after the step", func() bool { return snk.count(fresh.EventID) == 1 })

			// Well past max_interval (8s) of wall time since the failure.
			for range 6 {
				clk.Add(5 * time.Second)
				d.Notify(0)
				time.Sleep(20 * time.Millisecond)
			}
			if snk.count(failed.EventID) < 2 {
				v := viewOf(t, list(t, d, store.StatusPending), failed.ID)
				t.Fatalf("clock stepped back %v: the postback that failed once is not retried 30s later (max_interval 8s); next due %s, %v from now",
					step, v.NextAt, mustTime(t, v.NextAt).Sub(clk.Now()).Round(time.Second))
			}
		})
	}
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
