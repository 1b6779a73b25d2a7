package dispatch

import (
	"fmt"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/store"
)

// TestLargeAnswerHeadJudgedByStatus: a partner behind a CDN or a web
// framework accepts a postback with a head of a few KiB (a long
// Content-Security-Policy, several cookies). Its status decides; the
// postback must be delivered after one request, not taken for a transport
// error and posted again every backoff until max_age.
func TestLargeAnswerHeadJudgedByStatus(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header func(h *fasthttp.ResponseHeader)
	}{
		{"long content-security-policy", func(h *fasthttp.ResponseHeader) {
			h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' "+strings.Repeat("https://cdn.example.com ", 250))
		}},
		{"many cookies", func(h *fasthttp.ResponseHeader) {
			for i := range 12 {
				h.Add("Set-Cookie", fmt.Sprintf("c%d=%s; Path=/; HttpOnly", i, strings.Repeat("x", 400)))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t, store.Async)
			snk := newSink(t)
			snk.setHandler(func(ctx *fasthttp.RequestCtx, _ *sinkReq) {
				tc.header(&ctx.Response.Header)
				ctx.SetStatusCode(200)
			})
			clk := newClock()
			d := start(t, st, parseConfig(t, true, partnerYAML("p", snk.addr, "")), clk)
			j := newJob(st, "p", "install", clk.Now())
			enqueue(t, st, j)
			d.Notify(1)
			waitFor(t, "the postback's first attempt recorded", func() bool {
				if count(t, st, store.StatusDelivered) == 1 {
					return true
				}
				v := list(t, d, store.StatusPending)
				return len(v) == 1 && len(v[0].Attempts) > 0
			})
			if n := count(t, st, store.StatusDelivered); n != 1 {
				a := list(t, d, store.StatusPending)[0].Attempts[0]
				t.Errorf("not delivered: attempt status %d, error %.120q", a.StatusCode, a.Error)
			}
			if n := snk.count(j.EventID); n != 1 {
				t.Errorf("the partner got the postback %d times, want once", n)
			}
		})
	}
}
