package edge

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestPostbackOfDelayedConversionSentPromptly: a conversion that waited
// for the conversion lock (here held 1.5 s, as a long batch ahead of it
// would) has its postback sent at once after it commits. It waited for the
// dispatcher's periodic full scan, up to 30 s. Found by an audit.
func TestPostbackOfDelayedConversionSentPromptly(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Int64 // unix ns of the first postback
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.CompareAndSwap(0, time.Now().UnixNano())
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	e := startLocalEdge(t, `allow_private_targets: true
apps:
  com.example.app: {web: "https://example.com/"}
partners:
  net: {install: "http://`+ln.Addr().String()+`/i?c={click_id}"}
campaigns:
  camp: {app: com.example.app, partner: net}
`)
	public := "http://" + e.PublicAddr()
	now := time.Now().Unix()
	if code, body := request(t, "GET", public, "/v1/click?c=camp&click_id=k1&click_time="+strconv.FormatInt(now-100, 10), ""); code != 200 {
		t.Fatalf("click: %d %s", code, body)
	}
	time.Sleep(1200 * time.Millisecond) // the dispatcher is past its first (full) scan

	tx := e.Store().BeginConversions() // what a long batch ahead of it holds
	answered := make(chan int, 1)
	go func() {
		resp, err := http.Post(public+"/v1/conversions", "application/json",
			strings.NewReader(`{"type":"install","install_id":"i1","click_id":"k1","event_time":`+strconv.FormatInt(now-50, 10)+`}`))
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	time.Sleep(1500 * time.Millisecond)
	tx.Abort()
	if code := <-answered; code != 200 {
		t.Fatalf("conversion: %d", code)
	}
	committed := time.Now()
	deadline := committed.Add(5 * time.Second)
	for got.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("postback of a conversion answered 200 not sent %v later", time.Since(committed).Round(time.Millisecond))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
