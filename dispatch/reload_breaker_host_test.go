package dispatch

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/config"
)

// A partner's old endpoint answered 429 with Retry-After: 120, and the
// operator points the partner at its new endpoint with a SIGHUP (the
// partner moved, or the old host is the one that is down). The breaker
// opened by the old host's answer is carried over to the new host, which
// asked for nothing: its postbacks wait out the old host's Retry-After (up
// to max_interval, 10 minutes by default), and no reload can end that
// short of a restart. The breaker is the health of the host it was fed by;
// one whose templates now point elsewhere starts closed.
func TestReloadToNewHostDropsOldHostsBreaker(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*config.Config)
	}{
		{"host only", func(*config.Config) {}},
		{"host and max_conns", func(c *config.Config) { c.Partners["net"].MaxConns = 2 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, old, clk, d := breakerRig(t, 1, func(ctx *fasthttp.RequestCtx, _ *sinkReq) {
				ctx.Response.Header.Set("Retry-After", "120")
				ctx.SetStatusCode(429)
			})
			waitAllDeferred(t, d, clk, 1)
			if n := old.n.Load(); n != 1 {
				t.Fatalf("%d requests before the reload, want 1", n)
			}
			moved := newSink(t) // healthy
			next := parseConfig(t, true, partnerYAML("net", moved.addr, ""))
			next.Partners["net"].MaxConns = 1
			tc.change(next)
			d.SetConfig(next)
			enqueue(t, st, newJob(st, "net", "install", clk.Now()))
			d.Notify(1)
			deadline := time.Now().Add(3 * time.Second)
			for moved.n.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if n := moved.n.Load(); n == 0 {
				t.Errorf("the partner's new host got no postback after a reload that moved it there (%s): held back by the breaker the old host's Retry-After opened", tc.name)
			}
		})
	}
}
