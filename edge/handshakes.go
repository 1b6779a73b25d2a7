package edge

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// handshakes is the public TLS listener, keeping the connections still in
// their handshake. fasthttp makes the handshake before it counts a
// connection among those its Shutdown closes when idle, so a client that
// opened one and has not sent its ClientHello (a phone on a bad network, a
// scanner) held Shutdown for the handshake's 30 s read timeout, past the
// 25 s a SIGTERM gives it: the edge exited 1, and the dispatcher was
// stopped with its time already spent. Shutdown closes them first.
type handshakes struct {
	net.Listener // a tls.NewListener
	mu           sync.Mutex
	conns        map[*tls.Conn]struct{}
	closed       bool
}

func newHandshakes(ln net.Listener) *handshakes {
	return &handshakes{Listener: ln, conns: map[*tls.Conn]struct{}{}}
}

// handshakingConn leaves its listener's set when its handshake ends
// (fasthttp calls Handshake on every TLS connection before it reads), or
// when it is closed.
type handshakingConn struct {
	*tls.Conn
	h *handshakes
}

func (c handshakingConn) Handshake() error {
	err := c.Conn.Handshake()
	c.h.forget(c.Conn)
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) && rh.Conn != nil && looksLikeHTTP(rh.RecordHeader) {
		// Plain HTTP to the TLS port (a CDN's origin protocol set to
		// http, curl http://): say so, as Go's net/http does, rather
		// than close without a word. fasthttp closes the connection.
		rh.Conn.SetWriteDeadline(time.Now().Add(time.Second))
		io.WriteString(rh.Conn, plainHTTPAnswer)
	}
	return err
}

const plainHTTPAnswer = "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n" +
	"Client sent an HTTP request to an HTTPS server.\n"

// looksLikeHTTP reports whether the first five bytes a client sent, read
// as a TLS record header, are the start of an HTTP request instead.
func looksLikeHTTP(hdr [5]byte) bool {
	switch string(hdr[:]) {
	case "GET /", "HEAD ", "POST ", "PUT /", "OPTIO", "DELET", "PATCH", "GET h":
		return true
	}
	return false
}

func (c handshakingConn) Close() error {
	c.h.forget(c.Conn)
	return c.Conn.Close()
}

func (h *handshakes) forget(c *tls.Conn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
}

func (h *handshakes) Accept() (net.Conn, error) {
	c, err := h.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := c.(*tls.Conn)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		tc.NetConn().Close() // its handshake fails at once
	} else {
		h.conns[tc] = struct{}{}
	}
	return handshakingConn{tc, h}, nil
}

// closeHandshakes closes the connections still in their handshake, and
// those accepted from now on.
func (h *handshakes) closeHandshakes() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for c := range h.conns {
		c.NetConn().Close()
		delete(h.conns, c)
	}
}
