package dispatch

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestStaleRetryReachesAFreshConn: a partner's server has closed every
// keep-alive connection left idle (two of them, from two postbacks that
// overlapped). The next postback must be retried "at once on a fresh
// connection" (README) and delivered. fasthttp's retry took the pool's
// next idle connection, which the server had closed too.
func TestStaleRetryReachesAFreshConn(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{
		IdleTimeout: 50 * time.Millisecond,
		Handler: func(ctx *fasthttp.RequestCtx) {
			if string(ctx.Path()) == "/slow" {
				time.Sleep(100 * time.Millisecond) // both requests hold a connection at once
			}
			ctx.SetBodyString("ok")
		},
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown() })
	h := &hostClients{settings: clientSettings{maxConns: 4, timeout: 2 * time.Second, dial: fasthttp.DialTimeout}}
	do := func(path string) error {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI("http://" + ln.Addr().String() + path)
		req.Header.SetMethod("POST")
		req.SetBodyString(`{"a":1}`)
		return h.do(req, resp, 2*time.Second)
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if err := do("/slow"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	time.Sleep(300 * time.Millisecond) // the server closes both idle connections
	if err := do("/"); err != nil {
		t.Fatalf("postback after the partner closed its idle connections: %v", err)
	}
}
