package dispatch

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/config"
)

// TestReloadBreaker: a partner that answered 429 with Retry-After is
// asking for nothing until then (README: "the partner's breaker opens at
// once ... and its other postbacks are held back with it"). A SIGHUP that
// changes one of its sender's settings (max_conns, timeout, max_rps, or
// the global allow_private_targets) must not forget that: the breaker goes
// with the partner, as its pace does (TestReloadKeepsPace). But one that
// points the partner at another host (it moved, or the old host is the one
// that is down) closes it: the new host asked for nothing, and its
// postbacks had waited out the old host's Retry-After, up to max_interval,
// with no reload able to end it.
func TestReloadBreaker(t *testing.T) {
	for _, tc := range []struct {
		name    string
		newHost bool
		change  func(*config.Config)
	}{
		{"nothing changed", false, func(*config.Config) {}},
		{"max_conns", false, func(c *config.Config) { c.Partners["net"].MaxConns = 2 }},
		{"timeout", false, func(c *config.Config) { c.Partners["net"].Timeout = 3 * time.Second }},
		{"max_rps", false, func(c *config.Config) { c.Partners["net"].MaxRPS = 1000 }},
		{"host only", true, func(*config.Config) {}},
		{"host and max_conns", true, func(c *config.Config) { c.Partners["net"].MaxConns = 2 }},
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
			target := old
			if tc.newHost {
				target = newSink(t) // healthy
			}
			next := parseConfig(t, true, partnerYAML("net", target.addr, ""))
			next.Partners["net"].MaxConns = 1
			tc.change(next)
			d.SetConfig(next)
			// A conversion after the reload, due now: the old host asked
			// for nothing for 120 s (the breaker holds it max_interval, 8 s).
			enqueue(t, st, newJob(st, "net", "install", clk.Now()))
			d.Notify(1)
			if !tc.newHost {
				waitAllDeferred(t, d, clk, 2)
				time.Sleep(100 * time.Millisecond)
				if n := old.n.Load(); n != 1 {
					t.Errorf("the partner got %d requests after asking for none for 120 s and a reload that changed %s; want 1", n, tc.name)
				}
				return
			}
			deadline := time.Now().Add(3 * time.Second)
			for target.n.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if target.n.Load() == 0 {
				t.Errorf("the partner's new host got no postback after a reload that moved it there (%s): held back by the breaker the old host's Retry-After opened", tc.name)
			}
		})
	}
}
