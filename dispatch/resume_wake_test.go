package dispatch

import (
	"fmt"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/store"
)

// queuePartnerYAML is partner name posting to http://addr/<name> with
// max_conns conns: a queue of 4*conns.
func queuePartnerYAML(name, addr string, conns int) string {
	return fmt.Sprintf(`  %[1]s:
    install: "http://%[2]s/%[1]s?event_id={event_id}"
    timeout: "2s"
    max_conns: %[3]d
`, name, addr, conns)
}

// TestResumedBacklogKeepsWaking: a slow partner's backlog drains at the
// partner's pace, not at one queue a second. When a sender's resumption
// (resumeSender) fills its queue exactly as the pass reaches BatchSize,
// it stops on BatchSize, not on a refused enqueue, so markFull is not
// called; the next pass finds the queue full and skips the sender without
// trying an enqueue either, and no other scan meets the backlog (it lies
// behind start). The workers then drain the queue without waking the
// scheduler (wantRoom was consumed when it drained to half), and the
// backlog moves on only at the 1 s timer: here 4 postbacks a second for a
// partner that takes 33. BatchSize is at most half a queue here (4*max_conns/2);
// at the default BatchSize of 512 that is max_conns >= 256.
func TestResumedBacklogKeepsWaking(t *testing.T) {
	for _, c := range []struct{ conns, batch, n int }{
		{1, 2, 40},
		{2, 4, 80},
	} {
		t.Run(fmt.Sprintf("max_conns_%d_batch_%d", c.conns, c.batch), func(t *testing.T) {
			st := openStore(t, store.Async)
			snk := newSink(t)
			snk.setHandler(func(ctx *fasthttp.RequestCtx, _ *sinkReq) {
				time.Sleep(30 * time.Millisecond) // a slow partner
				ctx.SetStatusCode(200)
			})
			clk := newClock()
			cfg := parseConfig(t, true, queuePartnerYAML("slow", snk.addr, c.conns), queuePartnerYAML("idle", snk.addr, 1))
			d := New(Options{Store: st, Config: cfg, Logger: quietLogger(), Version: "test", Now: clk.Now, BatchSize: c.batch})
			if err := d.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d.Stop(t.Context()) })
			var jobs []*Job
			for range c.n {
				jobs = append(jobs, newJob(st, "slow", "install", clk.Now()))
			}
			enqueue(t, st, jobs...)
			began := time.Now()
			d.Notify(len(jobs))
			// The partner takes c.conns postbacks per 30 ms: the backlog
			// needs n*30ms/conns = 1.2 s. The clock is held still.
			want := time.Duration(c.n/c.conns) * 30 * time.Millisecond
			deadline := began.Add(3 * want)
			for count(t, st, store.StatusDelivered) < int64(c.n) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if got := count(t, st, store.StatusDelivered); got < int64(c.n) {
				t.Fatalf("a slow partner's backlog of %d: %d delivered after %v (it takes them in %v)",
					c.n, got, time.Since(began).Round(time.Millisecond), want)
			}
		})
	}
}
