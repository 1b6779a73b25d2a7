package tracker_test

import (
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/internal/deadline"
	"github.com/clickedge/clickedge/internal/testcert"
	"github.com/clickedge/clickedge/store"
)

// A request whose head is still incomplete at ReadTimeout is answered 408
// over plain HTTP. Over TLS (the listener the edge builds: deadline.Listener
// under tls.NewListener) the 408 must arrive too, not a TLS error: fasthttp
// arms WriteTimeout when the handshake starts and never moves it before an
// error answer, so by the time the read times out the write deadline is
// gone. Timeouts are scaled down from the edge's 30 s / 30 s.
func TestUnreadTimeoutAnsweredOverTLS(t *testing.T) {
	e := clickNewEnv(t, store.Sync)
	cert, key := testcert.Write(t, t.TempDir(), "edge")
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, useTLS := range []bool{false, true} {
		srv := e.tr.NewServer(nil)
		srv.ReadTimeout, srv.WriteTimeout = time.Second, time.Second
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var l net.Listener = deadline.Listener{Listener: ln}
		if useTLS {
			l = tls.NewListener(l, &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}})
		}
		go srv.Serve(l)
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if useTLS {
			c = tls.Client(c, &tls.Config{InsecureSkipVerify: true})
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "GET /?c="+clickCampaign+" HTTP/1.1\r\nHost: x\r\n") // the head's end never comes
		b, err := io.ReadAll(c)
		c.Close()
		srv.Shutdown()
		if !strings.HasPrefix(string(b), "HTTP/1.1 408") {
			t.Errorf("tls=%v: a request head cut by ReadTimeout got %q, %v; want a 408", useTLS, b, err)
		}
	}
}
