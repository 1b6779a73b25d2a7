package dispatch

import (
	"bufio"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestTLSHandshakeBounded: an https partner whose server accepts the TCP
// connection but never answers the TLS handshake (a broken or overloaded
// terminator) costs an attempt its timeout, no more. The handshake ran
// lazily inside the first write, with no read deadline, and held the
// worker for good: after max_conns postbacks the partner got nothing, no
// attempt was ever recorded, and Stop never finished. Found by an audit.
func TestTLSHandshakeBounded(t *testing.T) {
	const timeout = time.Second
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // accepted, never answered
			mu.Unlock()
		}
	}()
	h := &hostClients{settings: clientSettings{name: "x", maxConns: 1, timeout: timeout, dial: Dialer(true, timeout)}}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("https://" + ln.Addr().String() + "/p")
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- h.do(req, resp, timeout) }()
	select {
	case err := <-done:
		if took := time.Since(start); err == nil || took > timeout+300*time.Millisecond {
			t.Fatalf("attempt with timeout %v: %v after %v", timeout, err, took)
		}
	case <-time.After(5 * timeout):
		t.Fatalf("attempt with timeout %v still running after %v: stuck in the TLS handshake", timeout, 5*timeout)
	}
}

// listenBacklog0 returns a listener whose accept queue holds (almost)
// nothing, so that once it is full a dial waits for its timeout.
func listenBacklog0(t *testing.T) (net.Listener, string) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "ln")
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, ln.Addr().String()
}

// TestRetryDialWithinTimeout: the one immediate retry of a connection the
// partner closed without answering dials within what is left of the
// attempt's timeout. It dialled with the whole timeout again, so a partner
// that closed just before the timeout, with its accept queue full, held
// the worker nearly twice as long. Found by an audit.
func TestRetryDialWithinTimeout(t *testing.T) {
	const timeout = time.Second
	ln, addr := listenBacklog0(t)
	var mu sync.Mutex
	var fill []net.Conn
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range fill {
			c.Close()
		}
	})
	go func() {
		c, err := ln.Accept() // only the first connection is accepted
		if err != nil {
			return
		}
		br := bufio.NewReader(c)
		for {
			l, err := br.ReadString('\n')
			if err != nil || l == "\r\n" {
				break
			}
		}
		for range 8 { // fill the accept queue: later SYNs go unanswered
			fc, err := net.DialTimeout("tcp4", addr, 100*time.Millisecond)
			if err != nil {
				break
			}
			mu.Lock()
			fill = append(fill, fc)
			mu.Unlock()
		}
		time.Sleep(timeout * 8 / 10)
		c.Close() // no answer: a stale connection to the client
	}()
	h := &hostClients{settings: clientSettings{name: "x", maxConns: 1, timeout: timeout, dial: Dialer(true, timeout)}}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://" + addr + "/p")
	start := time.Now()
	err := h.do(req, resp, timeout)
	if took := time.Since(start); took > timeout+300*time.Millisecond {
		t.Fatalf("attempt with timeout %v held its worker %v (%v)", timeout, took, err)
	}
}
