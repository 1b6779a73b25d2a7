package dispatch

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/config"
)

// A partner that answered 429 with Retry-After is asking for nothing
// until then (README: "the partner's breaker opens at once ... and its
// other postbacks are held back with it"). A SIGHUP that changes one of
// its sender's settings (max_conns, timeout, max_rps, or the global
// allow_private_targets) must not forget that: the breaker goes with the
// partner, as its pace does (TestReloadKeepsPace).
func TestReloadKeepsBreaker(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*config.Config)
	}{
		{"nothing changed", func(*config.Config) {}},
		{"max_conns", func(c *config.Config) { c.Partners["net"].MaxConns = 2 }},
		{"timeout", func(c *config.Config) { c.Partners["net"].Timeout = 3 * time.Second }},
		{"max_rps", func(c *config.Config) { c.Partners["net"].MaxRPS = 1000 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, snk, clk, d := breakerRig(t, 1, func(ctx *fasthttp.RequestCtx, _ *sinkReq) {
				ctx.Response.Header.Set("Retry-After", "120")
				ctx.SetStatusCode(429)
			})
			waitAllDeferred(t, d, clk, 1)
			if n := snk.n.Load(); n != 1 {
				t.Fatalf("%d requests before the reload, want 1", n)
			}
			next := parseConfig(t, true, partnerYAML("net", snk.addr, ""))
			next.Partners["net"].MaxConns = 1
			tc.change(next)
			d.SetConfig(next)
			// A conversion after the reload, due now: the partner asked
			// for nothing for 120 s (the breaker holds it max_interval, 8 s).
			enqueue(t, st, newJob(st, "net", "install", clk.Now()))
			d.Notify(1)
			waitAllDeferred(t, d, clk, 2)
			time.Sleep(100 * time.Millisecond)
			if n := snk.n.Load(); n != 1 {
				t.Errorf("the partner got %d requests after asking for none for 120 s and a reload that changed %s; want 1", n, tc.name)
			}
		})
	}
}
