package dispatch

import (
	"bufio"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestAnswerStatusNotTakenFromAnotherHostsConn: Linux gives a connect()
// the same ephemeral port as a live connection to another destination
// whenever the 4-tuple differs (that is how a client holds more than 64k
// connections), so one sender's connections to two partner hosts, or to
// two addresses of one host behind DNS round robin, can share a local
// address. The status that judges a failed attempt must be its own
// connection's: here the connection to host a times out on its second
// postback (the partner took it and never answered), while the
// connection to host b, with the same local address, last answered 200.
// The attempt is a timeout, to be retried (CONTRACT §5), not a 200 that
// deletes a postback the partner never accepted.
func TestAnswerStatusNotTakenFromAnotherHostsConn(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    string // host b's answer
	}{
		{"other host answered 200", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
		{"other host answered 404", "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Host a answers its connection's first request, then takes
			// the second and never answers it.
			a := serveRaw(t, func(n int) string {
				if n == 1 {
					return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
				}
				return ""
			})
			b := serveRaw(t, func(int) string { return tc.b })
			// The kernel's choice, made here explicitly: both connections
			// from one local address.
			probe, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			local := probe.Addr().(*net.TCPAddr)
			probe.Close()
			dialer := &net.Dialer{LocalAddr: local, Control: func(_, _ string, c syscall.RawConn) error {
				var serr error
				c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1) })
				return serr
			}}
			h := &hostClients{settings: clientSettings{
				maxConns: 1, timeout: time.Second, answers: new(answerOf), starts: new(answerStarts),
				dial: func(addr string, d time.Duration) (net.Conn, error) { return dialer.Dial("tcp4", addr) },
			}}
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			h.settings.answers.add(req, resp)
			send := func(url string) (int, error) {
				req.Reset()
				req.SetRequestURI(url)
				err := h.do(req, resp, 300*time.Millisecond)
				return resp.StatusCode(), err
			}
			if code, err := send("http://" + a + "/i?event_id=1"); err != nil || code != 200 {
				t.Fatalf("host a, first postback: %d %v", code, err)
			}
			if _, err := send("http://" + b + "/i?event_id=2"); err != nil {
				t.Fatalf("host b: %v", err)
			}
			code, err := send("http://" + a + "/i?event_id=3")
			if err == nil {
				t.Fatalf("host a took the postback and never answered: judged %d, want a timeout (retried)", code)
			}
		})
	}
}

// serveRaw is a partner on 127.0.0.1 that answers the n-th request of each
// connection with answer(n) verbatim, or never ("").
func serveRaw(t *testing.T, answer func(n int) string) string {
	t.Helper()
	return newConnPartner(t, func(p *connPartner, c *net.TCPConn, br *bufio.Reader) {
		for n := 1; ; n++ {
			if _, ok := p.read(br); !ok {
				return
			}
			a := answer(n)
			if a == "" {
				<-p.done
				return
			}
			if _, err := c.Write([]byte(a)); err != nil {
				return
			}
		}
	}).addr
}
