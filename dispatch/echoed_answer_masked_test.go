package dispatch

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/clickedge/clickedge/store"
)

// TestEchoedRequestMasked: a partner endpoint (or a broken proxy in
// front of it) that answers with something other than an HTTP head, here
// the request line it received, makes fasthttp's error quote the answer's
// bytes, and the attempt's error in the admin listing shows the api_key
// the listing's url masks.
func TestEchoedRequestMasked(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				line, _ := bufio.NewReader(c).ReadString('\n')
				fmt.Fprintf(c, "%s\r\n\r\n", strings.TrimSpace(line))
			}(c)
		}
	}()
	st := openStore(t, store.Async)
	clk := newClock()
	const key = "KEY-5ecret-77"
	d := start(t, st, parseConfig(t, true, fmt.Sprintf(`  net:
    install: "http://%s/pb?api_key=%s&c={click_id}"
`, ln.Addr(), key)), clk)
	j := newJob(st, "net", "install", clk.Now())
	enqueue(t, st, j)
	d.Notify(1)
	var v View
	waitFor(t, "the first attempt", func() bool {
		v = viewOf(t, list(t, d, store.StatusPending), j.ID)
		return len(v.Attempts) > 0
	})
	t.Logf("url: %s", v.URL)
	for _, a := range v.Attempts {
		t.Logf("attempt error: %s", a.Error)
		if strings.Contains(a.Error, key) {
			t.Errorf("the attempt's error shows the api_key the url masks: %q", a.Error)
		}
	}
}
