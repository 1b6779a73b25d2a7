package main

import (
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMWithClientMidHead: README: "SIGTERM drains requests in flight,
// records postback attempts in flight, closes the store and exits 0, within
// 25 s". A client that has sent part of a request head (a phone on a bad
// network, or anyone) holds the public listener's drain for the whole 25 s
// (its read timeout is 30 s); the dispatcher is then stopped on a spent
// context: the postback it was sending meanwhile is left unrecorded, sent
// again after the restart, and the exit is 1.
func TestSIGTERMWithClientMidHead(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	var mu sync.Mutex
	var got []string
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.RawQuery)
		n := len(got)
		mu.Unlock()
		switch n {
		case 1: // the partner asks to be left alone for 20 s
			w.Header().Set("Retry-After", "20")
			w.WriteHeader(503)
		case 2: // then takes its time to accept
			time.Sleep(8 * time.Second)
			w.WriteHeader(200)
		default:
			w.WriteHeader(200)
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()
	received := func() int { mu.Lock(); defer mu.Unlock(); return len(got) }

	dir := t.TempDir()
	public, admin := freeAddr(t), freeAddr(t)
	cfg := writeConfig(t, dir, public, admin, "allow_private_targets: true\n"+testApps+`
partners:
  acme:
    install: "http://`+ln.Addr().String()+`/i?e={event_id}"
    timeout: "15s"
    retry: { base: "1s", max_interval: "30s", max_age: "1h" }
campaigns:
  camp1: { app: com.test.app, partner: acme }
`)
	p := startEdge(t, cfg, public, admin)
	p.click(t, "c=camp1&click_id=ck1")
	if a := p.convert(t, `{"type":"install","install_id":"in1","click_id":"ck1","event_id":"ev1"}`); a.Postback != "queued" {
		t.Fatalf("install answered %+v", a)
	}
	waitFor(t, "the first attempt", 5*time.Second, func() bool { return received() == 1 })

	c, err := net.Dial("tcp", public)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /?c=camp1&click_id=slow HTTP/1.1\r\nHost: x\r\n") // the rest never comes
	time.Sleep(100 * time.Millisecond)
	began := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
	took := time.Since(began).Round(100 * time.Millisecond)
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("SIGTERM with a client mid-head: exit %d after %v, want 0", code, took)
	}
	// After the restart the postback must not go to the partner again if it
	// already accepted it.
	q := startEdge(t, cfg, public, admin)
	defer q.stop()
	time.Sleep(2 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	if accepted := len(got) - 1; accepted > 1 { // the first was the 503
		t.Errorf("the partner accepted ev1's postback %d times: the attempt on the wire at the shutdown was not recorded (requests: %q)", accepted, got)
	}
}
