package dispatch

import (
	"bytes"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// scriptConn is a net.Conn whose reads return the next chunk of an answer
// stream; writes are counted, not sent.
type scriptConn struct {
	net.Conn
	data []byte
}

func (c *scriptConn) Read(b []byte) (int, error) {
	n := copy(b, c.data)
	c.data = c.data[n:]
	return n, nil
}
func (c *scriptConn) Write(b []byte) (int, error) { return len(b), nil }
func (c *scriptConn) LocalAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
}
func (c *scriptConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
}
func (c *scriptConn) Close() error { return nil }

var statusLineOracle = regexp.MustCompile(`(?s)^HTTP/1\.. ([0-9]{3})[ \r\n]`)

// FuzzAnswerStatus: however an answer's bytes are split into reads, and
// whatever requests come between, status is the code that the bytes read
// since the last request began with ("HTTP/1.d NNN" and a space or line
// end, NNN >= 200), and 0 when a request was written and nothing read since.
func FuzzAnswerStatus(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\n\r\n"), []byte{5, 3, 0xff}, uint8(1))
	f.Add([]byte("HTTP/1.1 503\r\nContent-Length: 2, 2\r\n\r\nok"), []byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 40}, uint8(0))
	f.Add([]byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"), []byte{25, 0, 20}, uint8(2))
	f.Add([]byte("HTTP/1.0 204\nX: y\n\n"), []byte{13}, uint8(0))
	f.Fuzz(func(t *testing.T, stream, ops []byte, writeAt uint8) {
		sc := &scriptConn{data: stream}
		a := new(answerStarts)
		c := a.wrap(sc).(*answerConn)
		defer c.Close()
		var since []byte // bytes read since the last request
		asked := false
		c.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
		asked, since = true, nil
		for i, op := range ops {
			if i == int(writeAt) || op == 0 {
				c.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
				asked, since = true, nil
				continue
			}
			buf := make([]byte, int(op))
			n, _ := c.Read(buf)
			if n > 0 {
				asked = false
				since = append(since, buf[:n]...)
			}
		}
		want := 0
		if m := statusLineOracle.FindSubmatch(since); !asked && m != nil {
			want, _ = strconv.Atoi(string(m[1]))
			if want < 200 {
				want = 0
			}
		}
		if got := a.status(c.LocalAddr(), c.RemoteAddr()); got != want {
			t.Fatalf("after reading %q (asked %v): status %d, want %d", since, asked, got, want)
		}
	})
}

// FuzzRetryAfter: the wait is never negative nor past maxRetryAfter; delay
// seconds give that many seconds; a date net/http reads (IMF-fixdate, RFC
// 850, asctime) gives the time until it, whole seconds, or 0 when past.
func FuzzRetryAfter(f *testing.F) {
	now := time.Date(2025, 11, 26, 0, 0, 0, 0, time.UTC)
	for _, s := range []string{"120", " 7 ", "0", "99999999999999999999", "-1", "1.5",
		"Wed, 26 Nov 2025 00:01:00 GMT", "Wednesday, 26-Nov-25 00:01:00 GMT", "Wed Nov 26 00:01:00 2025",
		"Wed, 26 Nov 2025 00:01:00 UTC", "Wed, 26 Nov 2025 00:01:00 EST", "Wed, 26 Nov 2025 00:01:00 +0100",
		"Tue, 25 Nov 2025 23:59:00 GMT"} {
		f.Add(s)
	}
	digits := regexp.MustCompile(`^[0-9]+$`)
	f.Fuzz(func(t *testing.T, h string) {
		got := retryAfter([]byte(h), now)
		if got < 0 || got > maxRetryAfter {
			t.Fatalf("retryAfter(%q) = %v: out of [0, %v]", h, got, maxRetryAfter)
		}
		trim := string(bytes.TrimSpace([]byte(h)))
		if digits.MatchString(trim) {
			want := maxRetryAfter
			if n, err := strconv.ParseUint(trim, 10, 64); err == nil && n < uint64(maxRetryAfter/time.Second) {
				want = time.Duration(n) * time.Second
			}
			if got != want {
				t.Fatalf("retryAfter(%q) = %v, want %v", h, got, want)
			}
			return
		}
		if ht, err := http.ParseTime(trim); err == nil {
			want := time.Duration(0)
			if ht.After(now) {
				want = min(ht.Sub(now), maxRetryAfter)
			}
			if got != want {
				t.Fatalf("retryAfter(%q) = %v; net/http reads %v, so want %v", h, got, ht, want)
			}
		}
	})
}
