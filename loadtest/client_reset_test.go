package loadtest

import (
	"bufio"
	"context"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A target that resets the connection of some requests instead of answering
// them (an edge restarting, a proxy dropping): each such request failed, and
// the run must say so under "read", not resend it behind the user's back.
// Clicks are GETs, which fasthttp's HostClient retries by default.
func TestResetRequestsAreCountedNotRetried(t *testing.T) {
	for _, c := range []struct {
		name  string
		mix   Mix
		reset int64 // the first `reset` requests the target receives are reset
	}{
		{"clicks", Mix{Click: 1}, 3},
		{"installs", Mix{Install: 1}, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			var seen atomic.Int64
			go func() {
				for {
					conn, err := ln.Accept()
					if err != nil {
						return
					}
					go func(conn net.Conn) {
						defer conn.Close()
						br := bufio.NewReader(conn)
						for {
							clen := 0
							for { // the request head
								line, err := br.ReadString('\n')
								if err != nil {
									return
								}
								if v, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(line)), "content-length:"); ok {
									clen, _ = strconv.Atoi(strings.TrimSpace(v))
								}
								if line == "\r\n" {
									break
								}
							}
							if _, err := br.Discard(clen); err != nil {
								return
							}
							if seen.Add(1) <= c.reset {
								conn.(*net.TCPConn).SetLinger(0) // RST
								return
							}
							resp := "HTTP/1.1 302 Found\r\nLocation: https://example.com/\r\nContent-Length: 0\r\n\r\n"
							if c.mix.Install > 0 {
								resp = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
							}
							if _, err := conn.Write([]byte(resp)); err != nil {
								return
							}
						}
					}(conn)
				}
			}()
			o := Options{Target: "http://" + ln.Addr().String(), Rate: 50, Duration: 400 * time.Millisecond,
				Mix: c.mix, Seed: 1, BotShare: -1, MalformedShare: -1, Conns: 4, Timeout: 2 * time.Second}
			r, err := Run(context.Background(), o, nil)
			if err != nil {
				t.Fatal(err)
			}
			var failed int64
			for _, n := range r.Errors {
				failed += n
			}
			if failed != c.reset || r.Errors["read"] != c.reset {
				t.Errorf("errors %v, want read %d: the target reset %d requests", r.Errors, c.reset, c.reset)
			}
			if got := seen.Load(); got != r.Requests {
				t.Errorf("the target received %d requests, the run reports %d", got, r.Requests)
			}
		})
	}
}
