package dispatch

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/store"
)

// TestBreakerClockStepBack: the clock runs ahead, the partner answers a
// 503 with Retry-After: 5 (its breaker opens for 5 s) or trips the breaker
// with five failures, and NTP then steps the clock back. The pending
// postbacks move back with the clock (README: "each keeping what it had
// left to wait"), but the breaker's open-until stays a clock reading from
// before the step: every postback of the partner, the one queued after the
// step included, is held back until the wall clock catches up with the
// step, half an hour for half an hour, though the partner asked for 5 s
// and retry.max_interval is 8 s; and a step as long as max_age (here 1h;
// 24h by default) fails them all, unsent ("max_age reached while the
// partner's breaker was open").
func TestBreakerClockStepBack(t *testing.T) {
	for _, step := range []time.Duration{30 * time.Minute, time.Hour} {
		for _, c := range []struct {
			name     string
			failures int
			answer   func(ctx *fasthttp.RequestCtx)
		}{
			{"retry_after", 1, func(ctx *fasthttp.RequestCtx) {
				ctx.Response.Header.Set("Retry-After", "5")
				ctx.SetStatusCode(503)
			}},
			{"tripped", breakerThreshold, func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(503) }},
		} {
			t.Run(fmt.Sprint(c.name, "_", step), func(t *testing.T) {
				st := openStore(t, store.Async)
				snk := newSink(t)
				var n atomic.Int64
				snk.setHandler(func(ctx *fasthttp.RequestCtx, _ *sinkReq) {
					if n.Add(1) <= int64(c.failures) {
						c.answer(ctx)
						return
					}
					ctx.SetStatusCode(200)
				})
				clk := newClock()
				clk.Add(step) // running ahead
				d := start(t, st, parseConfig(t, true, partnerYAML("net", snk.addr, "")), clk)
				var failed []*Job
				for range c.failures {
					failed = append(failed, newJob(st, "net", "install", clk.Now()))
				}
				enqueue(t, st, failed...)
				d.Notify(len(failed))
				waitFor(t, "the failures recorded", func() bool {
					return n.Load() == int64(c.failures) && d.unrecorded() == 0 && count(t, st, store.StatusPending) == int64(len(failed))
				})

				clk.Add(-step) // NTP steps it back
				d.Notify(0)
				time.Sleep(20 * time.Millisecond)
				fresh := newJob(st, "net", "install", clk.Now())
				enqueue(t, st, fresh)
				d.Notify(1)
				// 25 s, past the 5 s asked and max_interval (8 s), short of
				// the 30 s full scan.
				for range 5 {
					clk.Add(5 * time.Second)
					d.Notify(0)
					time.Sleep(50 * time.Millisecond)
				}
				waitFor(t, "quiet", func() bool { return d.unrecorded() == 0 })
				if snk.count(fresh.EventID) == 0 {
					for _, v := range list(t, d, store.StatusFailed) {
						if v.ID == fmt.Sprint(fresh.ID) {
							t.Fatalf("clock stepped back %v: the postback queued after the step was never sent but failed: %+v", step, v.Attempts)
						}
					}
					v := viewOf(t, list(t, d, store.StatusPending), fresh.ID)
					t.Fatalf("clock stepped back %v: the postback queued after the step is not sent 25 s later (partner asked for 5 s, max_interval 8 s); held back until %s, %v from now",
						step, v.NextAt, mustTime(t, v.NextAt).Sub(clk.Now()).Round(time.Second))
				}
			})
		}
	}
}
