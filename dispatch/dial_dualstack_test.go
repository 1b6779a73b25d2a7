package dispatch

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestDialerFallsBackFromUnansweredIPv6: a partner whose name resolves to
// an IPv6 and an IPv4 address (most CDNs, most partners' API hosts), where
// the IPv6 path drops the SYN (a firewall that filters IPv6, a broken
// route: what Happy Eyeballs, RFC 8305, exists for), must still get its
// postback over IPv4. Go's own dialer starts the IPv4 address 300 ms
// after the IPv6 one and splits the timeout across addresses; the
// postback dialer dials each checked address in turn with the whole
// attempt's timeout, so the first, unanswered IPv6 address took all of it,
// the IPv4 address was never tried, and every attempt failed as a timeout
// (retried until max_age, then failed). The IPv6 address here is a
// listener on ::1 whose accept queue is full, so SYNs to it go
// unanswered; the IPv4 one, on the same port, answers 200.
func TestDialerFallsBackFromUnansweredIPv6(t *testing.T) {
	const timeout = 2 * time.Second
	port := listenFullQueue6(t)

	ln4, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Skipf("no IPv4 listener on the IPv6 listener's port: %v", err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }}
	go srv.Serve(ln4)
	t.Cleanup(func() { srv.Shutdown() })

	for _, tc := range []struct {
		name    string
		answers []netip.Addr
	}{
		{"IPv6 first", addrs("::1", "127.0.0.1")},
		{"two IPv6 then IPv4", addrs("::1", "::1", "127.0.0.1")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &targetDialer{
				allowPrivate: true, // the test's addresses are loopback
				timeout:      timeout,
				lookup: func(ctx context.Context, network, host string) ([]netip.Addr, error) {
					return tc.answers, nil
				},
				dial: (&net.Dialer{}).DialContext,
			}
			h := &hostClients{settings: clientSettings{name: "x", maxConns: 1, timeout: timeout, dial: d.DialTimeout}}
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			req.SetRequestURI("http://pb.partner.test:" + strconv.Itoa(port) + "/p")
			start := time.Now()
			err := h.do(req, resp, timeout)
			took := time.Since(start)
			if err != nil {
				t.Fatalf("postback to a name with an unanswered IPv6 and a working IPv4 address: %v after %v; want 200 over IPv4",
					err, took.Round(time.Millisecond))
			}
			if resp.StatusCode() != 200 {
				t.Fatalf("status %d, want 200", resp.StatusCode())
			}
			if took > timeout/2 {
				t.Errorf("postback took %v of its %v timeout; want IPv4 tried within a fraction of it", took.Round(time.Millisecond), timeout)
			}
		})
	}
}

// listenFullQueue6 starts an IPv6-only listener on ::1 whose accept queue
// is full, so that further SYNs to it go unanswered, and returns its port.
func listenFullQueue6(t *testing.T) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET6, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Skipf("no IPv6: %v", err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 1); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet6{Addr: [16]byte{15: 1}}); err != nil {
		syscall.Close(fd)
		t.Skipf("no ::1: %v", err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "ln6")
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	var mu sync.Mutex
	var fill []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range fill {
			c.Close()
		}
	})
	for range 8 { // fill the accept queue: later SYNs go unanswered
		c, err := net.DialTimeout("tcp6", addr, 100*time.Millisecond)
		if err != nil {
			break
		}
		mu.Lock()
		fill = append(fill, c)
		mu.Unlock()
	}
	return ln.Addr().(*net.TCPAddr).Port
}
