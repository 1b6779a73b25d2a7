package dispatch

import (
	"net"
	"sync"
	"time"
)

// Answers judged by their status line.
//
// An answer is judged by its status alone (README, Postbacks), and some
// partners' heads are ones fasthttp refuses to parse: the same
// Content-Length twice (a framework and a proxy each adding it), the two
// as a list ("Content-Length: 2, 2"; RFC 9112 §6.3 names both), lines
// ended by a bare LF (RFC 9112 §2.2: a recipient MAY accept them). A
// refused head resets the response, status included, and the attempt was
// taken for a transport error: an accepted postback was posted again
// every backoff until max_age, and twice at once when the partner then
// closed (TestRefusedHeadOf2xxJudgedByStatus). So each partner connection
// remembers how its last answer began, and an attempt whose head was
// refused is judged by that status line.

// answerStarts are a sender's open partner connections by their local and
// remote addresses, which a response names (fasthttp.Response.LocalAddr,
// RemoteAddr).
type answerStarts struct{ m sync.Map }

// answerKeep is how long a closed connection stays known: fasthttp closes
// a connection whose answer it could not read before it returns the error.
const answerKeep = 10 * time.Second

// wrap returns c, remembering how each answer on it begins.
func (a *answerStarts) wrap(c net.Conn) net.Conn {
	ac := &answerConn{Conn: c, starts: a, key: connKey(c.LocalAddr(), c.RemoteAddr())}
	a.m.Store(ac.key, ac)
	return ac
}

// status is the status code that the last answer on the connection
// between these addresses began with, 0 when unknown.
func (a *answerStarts) status(laddr, raddr net.Addr) int {
	if a == nil || laddr == nil || raddr == nil {
		return 0
	}
	c, ok := a.m.Load(connKey(laddr, raddr))
	if !ok {
		return 0
	}
	return c.(*answerConn).status()
}

// connKey names a live TCP connection. Its local address alone does not:
// Linux gives connections to different destinations the same one, and a
// sender keeps connections to each host its templates name and to each
// address of a host behind DNS round robin
// (TestAnswerStatusNotTakenFromAnotherHostsConn: a timeout was judged by
// another host's 200, and its postback deleted as delivered).
func connKey(laddr, raddr net.Addr) string { return laddr.String() + " " + raddr.String() }

// answerConn is a partner connection (TLS already made, if any) that
// remembers the first bytes of each answer: those read after a request.
type answerConn struct {
	net.Conn
	starts *answerStarts
	key    string
	mu     sync.Mutex
	asked  bool     // a request was written since the answer began
	start  [13]byte // "HTTP/1.1 200 "
	n      int
	closed bool
}

func (c *answerConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.asked = true
	c.mu.Unlock()
	return c.Conn.Write(b)
}

func (c *answerConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.mu.Lock()
		if c.asked {
			c.asked, c.n = false, 0
		}
		if c.n < len(c.start) {
			c.n += copy(c.start[c.n:], b[:n])
		}
		c.mu.Unlock()
	}
	return n, err
}

// Handshake says the TLS handshake, if any, is made: fasthttp wraps a
// connection with no Handshake method in TLS for an https host.
func (c *answerConn) Handshake() error { return nil }

func (c *answerConn) Close() error {
	c.mu.Lock()
	first := !c.closed
	c.closed = true
	c.mu.Unlock()
	if first {
		time.AfterFunc(answerKeep, func() { c.starts.m.CompareAndDelete(c.key, c) })
	}
	return c.Conn.Close()
}

// status parses the status line the last answer began with: "HTTP/1.x"
// and a code of three digits, followed by a space or the line's end.
func (c *answerConn) status() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.start[:c.n]
	if c.asked || len(s) < 13 || string(s[:7]) != "HTTP/1." || s[8] != ' ' ||
		(s[12] != ' ' && s[12] != '\r' && s[12] != '\n') {
		return 0
	}
	code := 0
	for _, d := range s[9:12] {
		if d < '0' || d > '9' {
			return 0
		}
		code = code*10 + int(d-'0')
	}
	if code < 200 {
		return 0
	}
	return code
}
