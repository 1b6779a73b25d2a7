package dispatch

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/store"
)

// TestClockStepBackThenReleased: the clock runs ahead, a partner is slow
// (its one worker on the wire, four postbacks in its queue), and NTP steps
// the clock back: the pass that sees the step moves the pending postbacks
// back with it, but leaves those in flight to the recorder. A queued
// postback that is then released unsent (a SIGHUP that changes the
// partner's max_conns retires its sender; a restart stops the workers)
// has nothing recorded, so it stays where it was read: due the whole step
// ahead, an hour for an hour, though it was due when it was queued and the
// partner is healthy (README: a step back moves the pending postbacks'
// due times back with it, each keeping what it had left to wait).
func TestClockStepBackThenReleased(t *testing.T) {
	const step = time.Hour
	for _, how := range []string{"reload", "restart"} {
		t.Run(how, func(t *testing.T) {
			st := openStore(t, store.Async)
			snk := newSink(t)
			unblock := make(chan struct{})
			snk.setHandler(func(ctx *fasthttp.RequestCtx, r *sinkReq) {
				if r.Path == "/slow" {
					<-unblock
				}
				ctx.SetStatusCode(200)
			})
			clk := newClock()
			clk.Add(step) // running ahead
			slow := func(conns int) string {
				return fmt.Sprintf(`  slow:
    install: "http://%s/slow?event_id={event_id}"
    timeout: "5s"
    max_conns: %d
`, snk.addr, conns)
			}
			one := parseConfig(t, true, partnerYAML("other", snk.addr, ""), slow(1))
			two := parseConfig(t, true, partnerYAML("other", snk.addr, ""), slow(2))
			d := start(t, st, one, clk)

			// A postback due later, which the step's pass moves back: the
			// sign that the step was seen.
			later := newJob(st, "other", "install", clk.Now().Add(10*time.Second))
			var jobs []*Job
			for range 5 { // one on the wire, four queued (max_conns 1)
				jobs = append(jobs, newJob(st, "slow", "install", clk.Now()))
			}
			enqueue(t, st, append(jobs, later)...)
			d.Notify(len(jobs) + 1)
			waitFor(t, "the slow partner's worker on the wire", func() bool { return snk.n.Load() == 1 })
			waitFor(t, "its queue filled", func() bool { return d.unrecorded() == 5 })

			clk.Add(-step) // NTP steps it back
			d.wakeUp()
			waitFor(t, "the step seen", func() bool {
				moved := false
				st.OutboxScan(store.QueuePostback, store.StatusPending, 0, clk.UnixMilli()+time.Minute.Milliseconds(), false, 0, func(e store.OutboxEntry) bool {
					moved = moved || e.ID == later.ID
					return true
				})
				return moved
			})

			switch how {
			case "reload":
				d.SetConfig(two) // max_conns 1 -> 2: the sender is replaced
				time.Sleep(50 * time.Millisecond)
				close(unblock)
			case "restart":
				stopped := make(chan error, 1)
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					stopped <- d.Stop(ctx)
				}()
				time.Sleep(50 * time.Millisecond)
				close(unblock)
				if err := <-stopped; err != nil {
					t.Fatal(err)
				}
				d = start(t, st, one, clk)
			}
			// The clock held still: all five are due now.
			deadline := time.Now().Add(3 * time.Second)
			for count(t, st, store.StatusDelivered) < int64(len(jobs)) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if n := count(t, st, store.StatusDelivered); n < int64(len(jobs)) {
				var due []string
				st.OutboxScan(store.QueuePostback, store.StatusPending, 0, 1<<62, false, 0, func(e store.OutboxEntry) bool {
					if e.ID != later.ID {
						due = append(due, fmt.Sprint(time.Duration(e.At-clk.UnixMilli())*time.Millisecond))
					}
					return true
				})
				t.Fatalf("%s after the clock stepped back %v: %d of %d postbacks due before the step delivered; the others wait, due in %v",
					how, step, n, len(jobs), due)
			}
		})
	}
}
