package main

import (
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// sink is a partner endpoint for tests: it records every postback and
// answers what the test tells it to.
type sink struct {
	mu      sync.Mutex
	got     []received
	answer  func(r *http.Request, n int) int // status for the n-th request on this path (1-based)
	perPath map[string]int
	srv     *http.Server
	addr    string
}

type received struct {
	Method, URI string
	Header      http.Header
	Body        string
	At          time.Time
}

// startSink listens on addr ("127.0.0.1:0" for any port).
func startSink(t testing.TB, addr string, answer func(r *http.Request, n int) int) *sink {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{answer: answer, perPath: map[string]int{}, addr: ln.Addr().String()}
	s.srv = &http.Server{Handler: s}
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// startTLSSink is startSink over TLS with the certificate and key in
// these files.
func startTLSSink(t testing.TB, cert, key string, answer func(r *http.Request, n int) int) *sink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{answer: answer, perPath: map[string]int{}, addr: ln.Addr().String()}
	s.srv = &http.Server{Handler: s, ErrorLog: log.New(io.Discard, "", 0)}
	go s.srv.ServeTLS(ln, cert, key)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.perPath[r.URL.Path]++
	n := s.perPath[r.URL.Path]
	s.got = append(s.got, received{r.Method, r.RequestURI, r.Header.Clone(), string(body), time.Now()})
	s.mu.Unlock()
	status := 200
	if s.answer != nil {
		status = s.answer(r, n)
	}
	w.WriteHeader(status)
}

func (s *sink) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// count returns how many postbacks had a URI containing sub.
func (s *sink) count(sub string) int {
	n := 0
	for _, r := range s.received() {
		if contains(r.URI, sub) {
			n++
		}
	}
	return n
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
