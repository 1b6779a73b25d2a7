// Package deadline wraps connections so that their deadlines are armed
// lazily: fasthttp moves a keep-alive connection's deadlines several times a
// request, and each move costs a runtime timer reset. A wrapped socket is
// also read and written with raw system calls through the poller
// (rawio.go). Both the public listener's connections and the postback
// client's use it; the client's also hold each request until the read of
// its answer (held.go).
package deadline

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// A fasthttp server moves a keep-alive connection's deadlines three times a
// request: the idle timeout while it waits for the next one, the read
// timeout from its first byte, the write timeout before the answer; a
// fasthttp client with timeouts moves them twice. Each move resets a
// runtime timer (a lock and a heap update), about 2% of the edge's CPU per
// click under wrk. A Conn moves its timer only when the deadline asked for
// is earlier than the one armed; a later one is remembered, and when the
// armed timer fires before it, Read or Write arms the one asked for and
// carries on. So a busy connection re-arms about once per timeout (not
// several times per request), and every deadline fires exactly when it was
// asked for: never earlier, since an early expiry is retried, and never
// later, since an earlier deadline is armed at once.

// Listener wraps each accepted connection in a Conn.
type Listener struct{ net.Listener }

func (l Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return Wrap(c), nil
}

// Wrap returns c with its deadlines armed lazily, reading and writing with
// raw system calls when c is a socket (see rawio.go).
func Wrap(c net.Conn) *Conn { return &Conn{Conn: c, raw: newRawIO(c)} }

// WrapClient is Wrap for the client end of a request and answer protocol:
// a write is held and sent by the next read, which saves a system call
// per request (held.go).
func WrapClient(c net.Conn) *Conn {
	w := Wrap(c)
	if w.raw != nil {
		w.raw.holdWrites = true
	}
	return w
}

// Close sends a held write, if the socket takes it at once, and closes
// the connection. After LingerOnClose it closes lingering: see there.
func (c *Conn) Close() error {
	if c.raw != nil && c.raw.holdWrites {
		c.raw.sendHeldNow()
	}
	c.mu.Lock()
	linger := c.linger
	c.linger = false
	c.mu.Unlock()
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok && linger && cw.CloseWrite() == nil {
		go lingerClose(c.Conn)
		return nil
	}
	return c.Conn.Close()
}

// Lingering close (RFC 9112 §9.6): how long, and how many bytes, a
// connection closed with a request body unread is drained for.
const (
	lingerTime = 2 * time.Second
	// More than the largest body the edge refuses from its head (a batch
	// of 16 MiB and a byte) takes on the wire: over TLS, with its record
	// framing, 16 MiB of drain ran out before a slow client had sent it,
	// and the client read a broken pipe instead of the 400.
	lingerBytes = 17 << 20
)

// LingerOnClose makes Close a lingering close: it sends its FIN after the
// answer, then reads and drops what the peer still sends (up to lingerTime
// or lingerBytes, or until the peer's own FIN) before it closes. A server
// that answers a request without reading its body (one refused from its
// head) and closes at once leaves unread data in its socket, which the
// kernel answers with a reset: the client's write of the rest of the body
// fails, and most clients report that instead of the answer.
func (c *Conn) LingerOnClose() {
	c.mu.Lock()
	c.linger = true
	c.mu.Unlock()
}

func lingerClose(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(lingerTime))
	io.Copy(io.Discard, io.LimitReader(c, lingerBytes))
	c.Close()
}

// Conn is a net.Conn whose deadlines are armed lazily.
type Conn struct {
	net.Conn
	mu          sync.Mutex
	read, write lazyDeadline
	raw         *rawIO // nil: Conn's own Read and Write
	linger      bool   // Close lingers (LingerOnClose)
}

func (c *Conn) readOnce(b []byte) (int, error) {
	if c.raw != nil {
		return c.raw.Read(b)
	}
	return c.Conn.Read(b)
}

func (c *Conn) writeOnce(b []byte) (int, error) {
	if c.raw != nil {
		return c.raw.Write(b)
	}
	return c.Conn.Write(b)
}

type lazyDeadline struct {
	want  time.Time // the deadline asked for; zero: none
	armed time.Time // the deadline set on the connection; zero: none
}

func (c *Conn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

func (c *Conn) SetReadDeadline(t time.Time) error  { return c.set(&c.read, true, t) }
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.set(&c.write, false, t) }

// set records t as the deadline asked for and arms it when it is earlier
// than the armed one (or none is armed). A later deadline, or none, is left
// to expiredEarly.
func (c *Conn) set(d *lazyDeadline, read bool, t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d.want = t
	if t.IsZero() || (!d.armed.IsZero() && !t.Before(d.armed)) {
		return nil
	}
	d.armed = t
	return c.arm(read, t)
}

func (c *Conn) arm(read bool, t time.Time) error {
	if read {
		return c.Conn.SetReadDeadline(t)
	}
	return c.Conn.SetWriteDeadline(t)
}

// expiredEarly reports whether err is the armed timer firing before the
// deadline asked for, and if so arms that deadline (or clears the timer
// when none is asked for) so that the operation can be retried.
func (c *Conn) expiredEarly(d *lazyDeadline, read bool, err error) bool {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !d.want.IsZero() && !time.Now().Before(d.want) {
		return false
	}
	d.armed = d.want
	return c.arm(read, d.want) == nil
}

func (c *Conn) Read(b []byte) (int, error) {
	for {
		n, err := c.readOnce(b)
		if err == errHeldStalled {
			if err := c.flushHeld(); err != nil {
				return 0, err
			}
			continue
		}
		if err != nil && c.expiredEarly(&c.read, true, err) {
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

// flushHeld sends the rest of a held write the socket took only part of,
// as Write sends: an early expiry of the write deadline is retried, and
// what was not sent stays held for the retry.
func (c *Conn) flushHeld() error {
	for {
		err := c.raw.flushHeld()
		if err == nil || !c.expiredEarly(&c.write, false, err) {
			return err
		}
	}
}

// Write retries the rest of b after an early expiry: a write that times out
// may have sent part of it.
func (c *Conn) Write(b []byte) (int, error) {
	written := 0
	for {
		n, err := c.writeOnce(b[written:])
		written += n
		if err == nil || !c.expiredEarly(&c.write, false, err) {
			return written, err
		}
	}
}
