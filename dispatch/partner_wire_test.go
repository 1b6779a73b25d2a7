package dispatch

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/store"
)

// connPartner is a raw partner whose serve function handles each connection.
type connPartner struct {
	addr string
	mu   sync.Mutex
	got  map[string]int // event_id -> requests received
	n    atomic.Int64
	done chan struct{}
	// dropped counts the bytes read and dropped in lingering closes.
	dropped atomic.Int64
}

// Write drops what a lingering close reads, counting it.
func (p *connPartner) Write(b []byte) (int, error) {
	p.dropped.Add(int64(len(b)))
	return len(b), nil
}

func newConnPartner(t *testing.T, serve func(p *connPartner, c *net.TCPConn, br *bufio.Reader)) *connPartner {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connPartner{addr: ln.Addr().String(), got: map[string]int{}, done: make(chan struct{})}
	t.Cleanup(func() { close(p.done); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(p, c.(*net.TCPConn), bufio.NewReader(c))
			}()
		}
	}()
	return p
}

// read reads one request and counts it; false at the connection's end.
func (p *connPartner) read(br *bufio.Reader) (*http.Request, bool) {
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil, false
	}
	req.Body.Close()
	p.mu.Lock()
	p.got[req.URL.Query().Get("event_id")]++
	p.mu.Unlock()
	p.n.Add(1)
	return req, true
}

func (p *connPartner) count(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.got[id]
}

// TestIdleHalfClosedConnNotWaitedOn: Apache httpd's event MPM (the default
// on Debian and Ubuntu) ends a keep-alive connection left idle past
// KeepAliveTimeout (5 s) with a lingering close: it sends its FIN
// (shutdown of its write side) and then reads and drops whatever the
// client still sends for 2 s before it closes, so no reset ever comes
// back. The postback that reuses such a connection must be sent at once on
// a fresh one (README: "Such a try is made again at once on a fresh
// connection"), not wait out the attempt's timeout, fail as a timeout and
// wait a backoff more.
func TestIdleHalfClosedConnNotWaitedOn(t *testing.T) {
	for _, tc := range []struct {
		name string
		idle time.Duration // the partner's keep-alive timeout
		gap  time.Duration // between the two postbacks
	}{
		{"reused within the last attempt's timeout", 200 * time.Millisecond, 400 * time.Millisecond},
		{"reused after the last attempt's timeout", 1200 * time.Millisecond, 1400 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t, store.Async)
			p := newConnPartner(t, func(p *connPartner, c *net.TCPConn, br *bufio.Reader) {
				for {
					c.SetReadDeadline(time.Now().Add(tc.idle))
					if _, ok := p.read(br); !ok {
						break
					}
					c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
				}
				// Idle past the keep-alive timeout: a lingering close,
				// as Apache's event MPM makes it.
				c.CloseWrite()
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				io.Copy(p, br)
			})
			cfg := parseConfig(t, true, fmt.Sprintf(`  p:
    install: "http://%s/i?event_id={event_id}"
    timeout: "1s"
    max_conns: 1
    retry: { base: "1s", max_interval: "8s", max_age: "1h" }
`, p.addr))
			d := start(t, st, cfg, nil)
			j1 := newJob(st, "p", "install", time.Now())
			enqueue(t, st, j1)
			d.Notify(1)
			waitCount(t, st, store.StatusDelivered, 1)
			time.Sleep(tc.gap)
			j2 := newJob(st, "p", "install", time.Now())
			enqueue(t, st, j2)
			began := time.Now()
			d.Notify(1)
			waitCount(t, st, store.StatusDelivered, 2)
			took := time.Since(began)
			v := viewOf(t, list(t, d, store.StatusDelivered), j2.ID)
			if n := p.dropped.Load(); n != 0 || len(v.Attempts) != 1 || v.Attempts[0].Error != "" {
				t.Errorf("%d bytes sent into the half-closed connection; delivered after %v, attempts %+v; want none sent there, one attempt", n, took, v.Attempts)
			}
			if n := p.count(j2.EventID); n != 1 {
				t.Errorf("the partner answered it %d times; want 1", n)
			}
		})
	}
}

// TestRetryAfterNotLiftedByEarlierRequestsAnswer: a partner answers one
// postback 429 with Retry-After: 120 while another, sent before that
// answer came, is still on the wire; that one's 200 comes after. The
// partner asked for nothing for 120 s (README: "It is asking for nothing
// until then, not for that postback alone: the partner's breaker opens at
// once for the time asked"); an answer to a request it had already taken
// says nothing new, and must not lift the pause: postbacks queued after it
// wait, they are not sent into the partner's rate limit at once.
func TestRetryAfterNotLiftedByEarlierRequestsAnswer(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	clk := newClock()
	limited := make(chan struct{})
	snk.setHandler(func(ctx *fasthttp.RequestCtx, r *sinkReq) {
		switch r.Query["click_id"] {
		case "limited":
			ctx.Response.Header.Set("Retry-After", "120")
			ctx.SetStatusCode(429)
			close(limited)
		case "slow":
			<-limited
			time.Sleep(100 * time.Millisecond) // the 429 has been judged
		}
	})
	cfg := parseConfig(t, true, partnerYAML("net", snk.addr, ""))
	cfg.Partners["net"].MaxConns = 2
	d := start(t, st, cfg, clk)
	slow, lim := newJob(st, "net", "install", clk.Now()), newJob(st, "net", "install", clk.Now())
	slow.ClickID, lim.ClickID = "slow", "limited"
	enqueue(t, st, slow)
	d.Notify(1)
	waitFor(t, "the slow postback on the wire", func() bool { return snk.n.Load() == 1 })
	enqueue(t, st, lim)
	d.Notify(1)
	waitFor(t, "the slow postback delivered", func() bool { return count(t, st, store.StatusDelivered) == 1 })
	// 2 s later, inside the pause asked for (120 s, held to max_interval, 8 s), more conversions.
	clk.Add(2 * time.Second)
	var later []*Job
	for range 5 {
		later = append(later, newJob(st, "net", "install", clk.Now()))
	}
	enqueue(t, st, later...)
	d.Notify(len(later))
	waitFor(t, "the later postbacks tried or held back", func() bool {
		settled := count(t, st, store.StatusDelivered) - 1 // the slow one
		for _, v := range list(t, d, store.StatusPending) {
			next, _ := time.Parse(time.RFC3339Nano, v.NextAt)
			if v.ID != fmt.Sprint(lim.ID) && (len(v.Attempts) > 0 || next.After(clk.Now())) {
				settled++
			}
		}
		return settled == int64(len(later))
	})
	time.Sleep(50 * time.Millisecond)
	if n := snk.n.Load(); n != 2 {
		t.Errorf("the partner got %d requests; want 2: none of the later ones within the pause it asked for", n)
	}
}

// TestRefusedHeadOf2xxJudgedByStatus: a partner answers 200, and its
// head has a quirk the HTTP client refuses to parse: the same
// Content-Length twice (a framework and a proxy each adding it), the two
// combined into a list ("Content-Length: 2, 2", RFC 9112 §6.3 names both),
// or lines ended by a bare LF (RFC 9112 §2.2: a recipient MAY recognise
// it). The partner has accepted the postback: "An answer is judged by its
// status alone" (README). It must be recorded delivered after one request,
// not posted again (at once on a fresh connection, then every backoff)
// until max_age and then listed as failed.
func TestRefusedHeadOf2xxJudgedByStatus(t *testing.T) {
	for _, tc := range []struct{ name, head, after string }{
		{"duplicate content-length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", "close"},
		{"content-length list", "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok", "close"},
		{"bare LF, then close", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", "close"},
		{"bare LF, kept open", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", "hang"},
	} {
		t.Run(tc.name, func(t *testing.T) { deliveredOnce(t, tc.head, tc.after) })
	}
}

// TestRefusedHeadOf4xxFailsAtOnce: the status line decides a refused head
// whatever the status: a 404 fails at once, as any 404 does, rather than
// being taken for a transport error and posted again until max_age.
func TestRefusedHeadOf4xxFailsAtOnce(t *testing.T) {
	st := openStore(t, store.Async)
	rp := newRawPartner(t, "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nno", "close")
	clk := newClock()
	cfg := parseConfig(t, true, fmt.Sprintf(`  p:
    install: "http://%s/i?event_id={event_id}"
    timeout: "300ms"
    retry: { base: "1s", max_interval: "8s", max_age: "1h" }
`, rp.addr))
	d := start(t, st, cfg, clk)
	enqueue(t, st, newJob(st, "p", "install", clk.Now()))
	d.Notify(1)
	waitCount(t, st, store.StatusFailed, 1)
	v := list(t, d, store.StatusFailed)
	if len(v) != 1 || len(v[0].Attempts) != 1 || v[0].Attempts[0].StatusCode != 404 {
		t.Fatalf("failed: %+v; want one attempt answered 404", v)
	}
	if n := rp.n.Load(); n != 1 {
		t.Errorf("the partner got the postback %d times; want once", n)
	}
}
