package tracker_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/store"
)

// TestConversionBatchCutShort: a batch whose connection ends before the
// Content-Length it declared (a client that timed out mid-upload) is an
// incomplete request (RFC 9112 §6.3), and none of it is stored. It was
// stored up to the cut and answered 200: the client, which saw its request
// fail, sends the whole batch again, and every line that came without an
// event_id (one is made) was counted and posted twice. fasthttp's request
// stream reports such a body as a plain end of file. Found by an audit.
func TestConversionBatchCutShort(t *testing.T) {
	e := attrNewEnv(t, store.Sync, "")
	addr := serveTracker(t, e.tr)
	e.do("GET", "/?c=camp7d&click_id=k1", "", nil, "", "")
	e.clock.Add(time.Minute)
	if resp := e.do("POST", "/v1/conversions", attrJSON, []byte(`{"type":"install","install_id":"i1","click_id":"k1","app":"com.test.app"}`), "", ""); resp.StatusCode() != 200 {
		t.Fatalf("install: %d %s", resp.StatusCode(), resp.Body())
	}
	var body strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&body, `{"type":"event","install_id":"i1","event_name":"purchase","revenue":"%d.99","currency":"EUR"}`+"\n", i)
	}
	full := body.String() // about 95 KiB: over the 64 KiB read at once, so streamed
	sent := full[:len(full)/2]

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "POST /v1/conversions/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"+
		"Content-Length: "+strconv.Itoa(len(full))+"\r\n\r\n"+sent)
	conn.(*net.TCPConn).CloseWrite() // the client gives up
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !strings.Contains(string(b), "cut short") {
		t.Errorf("cut batch answered %d %.200s; want 400 naming the cut", resp.StatusCode, b)
	}
	if jobs := attrJobs(t, e.st); len(jobs) != 1 {
		t.Errorf("%d postbacks queued by a batch cut short, want only the install's", len(jobs)-1)
	}
}
