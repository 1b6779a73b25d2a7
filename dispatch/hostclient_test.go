package dispatch

import (
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// A sender keeps one keep-alive client per host its templates name, made
// on first use and shared after; the scheme picks plain or TLS, in any
// case, and any other scheme is an error, not a request.
func TestHostClients(t *testing.T) {
	a, b := newSink(t), newSink(t)
	h := &hostClients{settings: clientSettings{maxConns: 2, timeout: 2 * time.Second, dial: fasthttp.DialTimeout}}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	send := func(url string) error {
		req.Reset()
		req.SetRequestURI(url)
		return h.do(req, resp, 2*time.Second)
	}
	for _, url := range []string{
		"http://" + a.addr + "/one",
		"http://" + b.addr + "/two",
		"HTTP://" + a.addr + "/three",
		"http://" + a.addr + "/a//b/../four",
	} {
		if err := send(url); err != nil || resp.StatusCode() != 200 {
			t.Fatalf("%s: %v, status %d", url, err, resp.StatusCode())
		}
	}
	if len(a.requests()) != 3 || len(b.requests()) != 1 {
		t.Fatalf("sink a got %d requests, b %d; want 3 and 1", len(a.requests()), len(b.requests()))
	}
	if got := a.requests()[2].URI; got != "/a//b/../four" {
		t.Errorf("sent %q: the path was normalised", got)
	}
	hm := h.m.Load()
	if len(hm.http) != 2 || len(hm.https) != 0 {
		t.Fatalf("clients: %d http, %d https; want 2 and 0", len(hm.http), len(hm.https))
	}
	first := hm.http[a.addr]
	if err := send("http://" + a.addr + "/again"); err != nil || h.m.Load().http[a.addr] != first {
		t.Fatalf("a second request to a host made a new client (%v)", err)
	}
	if err := send("ftp://" + a.addr + "/x"); err == nil || !strings.Contains(err.Error(), "unsupported scheme") {
		t.Fatalf("ftp: err = %v", err)
	}
	h.closeIdle()
}

// Making a host's client allocates; sending to it again does not.
func TestHostClientsLookupAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	h := &hostClients{settings: clientSettings{maxConns: 1, dial: fasthttp.DialTimeout}}
	h.add("partner.example:80", false)
	h.add("partner.example:443", true)
	host := []byte("partner.example:80")
	allocs := testing.AllocsPerRun(1000, func() {
		if h.m.Load().of(false)[string(host)] == nil {
			t.Fatal("no client")
		}
	})
	if allocs != 0 {
		t.Fatalf("lookup: %.1f allocations", allocs)
	}
}
