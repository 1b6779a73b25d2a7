package dispatch

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clickedge/clickedge/store"
)

// rawPartner is a partner whose server answers every request with head
// (a status line and headers, and maybe part of a body) and then does what
// after says: "hang" (the body never ends), "close" (FIN) or "reset" (RST).
type rawPartner struct {
	addr string
	n    atomic.Int64 // requests received
}

func newRawPartner(t *testing.T, head, after string) *rawPartner {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &rawPartner{addr: ln.Addr().String()}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					req.Body.Close()
					p.n.Add(1)
					c.Write([]byte(head))
					switch after {
					case "hang":
						select {
						case <-done:
						case <-time.After(5 * time.Second):
						}
						return
					case "reset":
						time.Sleep(50 * time.Millisecond) // the client has the head
						c.(*net.TCPConn).SetLinger(0)
						return
					case "close":
						return
					}
				}
			}()
		}
	}()
	return p
}

// TestBrokenBodyAfter2xxJudgedByStatus: a partner answers 200 and then
// its body breaks (never ends, is cut short, is reset, is badly framed).
// The partner has accepted the postback: "An answer is judged by its status
// alone" (README). It must be recorded delivered after one request, not
// posted again (at once on a fresh connection, then every backoff) until
// max_age and then listed as failed.
func TestBrokenBodyAfter2xxJudgedByStatus(t *testing.T) {
	for _, tc := range []struct {
		name, head, after string
	}{
		{"chunked body never ends", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n", "hang"},
		{"content-length body never ends", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nok", "hang"},
		{"body cut short", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nok", "close"},
		{"reset mid-body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nok", "reset"},
		{"bad chunk framing", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n", "close"},
		{"204 then reset", "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\nzz", "reset"},
	} {
		t.Run(tc.name, func(t *testing.T) { deliveredOnce(t, tc.head, tc.after) })
	}
}

// deliveredOnce has a raw partner answer one postback with head, then
// (after) close, hang or reset, and checks the postback is recorded
// delivered after one request.
func deliveredOnce(t *testing.T, head, after string) {
	t.Helper()
	st := openStore(t, store.Async)
	rp := newRawPartner(t, head, after)
	clk := newClock()
	cfg := parseConfig(t, true, fmt.Sprintf(`  p:
    install: "http://%s/i?event_id={event_id}"
    timeout: "300ms"
    max_conns: 1
    retry: { base: "1s", max_interval: "8s", max_age: "1h" }
`, rp.addr))
	d := start(t, st, cfg, clk)
	j := newJob(st, "p", "install", clk.Now())
	enqueue(t, st, j)
	d.Notify(1)
	waitFor(t, "the postback recorded", func() bool {
		if count(t, st, store.StatusDelivered)+count(t, st, store.StatusFailed) == 1 {
			return true
		}
		v := list(t, d, store.StatusPending)
		return len(v) == 1 && len(v[0].Attempts) > 0
	})
	time.Sleep(50 * time.Millisecond)
	if n := count(t, st, store.StatusDelivered); n != 1 {
		t.Errorf("%d delivered; want 1 (pending: %+v)", n, list(t, d, store.StatusPending))
	}
	if n := rp.n.Load(); n != 1 {
		t.Errorf("the partner got the postback %d times; want once", n)
	}
}
