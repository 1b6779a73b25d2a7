package dispatch

import (
	"net/http"
	"testing"
	"time"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/store"
)

func TestClassify(t *testing.T) {
	f := func(status int, want outcome) {
		t.Helper()
		if got := classify(status); got != want {
			t.Errorf("classify(%d) = %d; want %d", status, got, want)
		}
	}
	f(200, delivered)
	f(201, delivered)
	f(204, delivered)
	f(299, delivered)
	f(301, fail) // a redirect is not followed
	f(302, fail)
	f(307, fail)
	f(400, fail)
	f(401, fail)
	f(403, fail)
	f(404, fail)
	f(408, retry)
	f(410, fail)
	f(422, fail)
	f(429, retry)
	f(500, retry)
	f(502, retry)
	f(503, retry)
	f(504, retry)
	f(100, fail)
}

func TestBackoff(t *testing.T) {
	r := config.Retry{Base: time.Second, MaxInterval: 10 * time.Second, MaxAge: time.Hour}
	f := func(n int, full time.Duration) {
		t.Helper()
		lo, hi := full, time.Duration(0)
		for range 2000 {
			d := backoff(r, n)
			if d < full/2 || d > full {
				t.Fatalf("backoff(%d) = %v; want within [%v, %v]", n, d, full/2, full)
			}
			lo, hi = min(lo, d), max(hi, d)
		}
		// Equal jitter: the random half is used, not a constant.
		if lo > full/2+full/10 || hi < full-full/10 {
			t.Errorf("backoff(%d) spans [%v, %v] over 2000 tries; want most of [%v, %v]", n, lo, hi, full/2, full)
		}
	}
	f(1, time.Second) // doubling from base
	f(2, 2*time.Second)
	f(3, 4*time.Second)
	f(4, 8*time.Second)
	f(5, 10*time.Second) // capped at max_interval
	f(6, 10*time.Second)
	f(1000, 10*time.Second)

	// A base that does not divide max_interval still stops at it.
	r = config.Retry{Base: 3 * time.Second, MaxInterval: 10 * time.Second}
	f(3, 10*time.Second)
	// A 1ns interval has no room for jitter.
	if d := backoff(config.Retry{Base: 1, MaxInterval: 1}, 3); d != 1 {
		t.Errorf("backoff of 1ns = %v", d)
	}
	// A max_interval past what doubling can reach without overflowing
	// (config takes "100000d"): the interval keeps growing to it, never
	// wrapping to zero or below, which retried with no wait at all.
	r = config.Retry{Base: time.Second, MaxInterval: 100000 * 24 * time.Hour}
	prev := time.Duration(0)
	for n := 1; n <= 80; n++ {
		d := backoff(r, n)
		if d <= 0 || d > r.MaxInterval {
			t.Fatalf("backoff(%d) with max_interval 100000d = %v", n, d)
		}
		if n > 2 && d < prev/4 {
			t.Fatalf("backoff(%d) = %v after %v: it shrank", n, d, prev)
		}
		prev = d
	}
}

func TestRetryAfter(t *testing.T) {
	now := t0
	f := func(h string, want time.Duration) {
		t.Helper()
		if got := retryAfter([]byte(h), now); got != want {
			t.Errorf("retryAfter(%q) = %v; want %v", h, got, want)
		}
	}
	f("", 0)
	f("0", 0)
	f("120", 120*time.Second)
	f(" 7 ", 7*time.Second)
	f("-1", 0)
	f("1.5", 0)
	f("soon", 0)
	f("99999999999999999999999", maxRetryAfter)
	f("9999999999", maxRetryAfter)
	// HTTP-date in its three forms (RFC 9110 §5.6.7), and RFC 1123 with UTC.
	f(now.Add(90*time.Second).UTC().Format(http.TimeFormat), 90*time.Second)
	f(now.Add(time.Hour).UTC().Format(time.RFC850), time.Hour)
	f(now.Add(time.Minute).UTC().Format(time.ANSIC), time.Minute)
	f(now.Add(time.Minute).UTC().Format(time.RFC1123), time.Minute)
	f(now.Add(-time.Minute).UTC().Format(http.TimeFormat), 0) // past
	f("Wed, 32 Nov 2025 00:00:00 GMT", 0)
}

// TestHeldBackPastMaxAge: a postback the breaker would hold past its
// max_age fails instead of waiting.
func TestHeldBackPastMaxAge(t *testing.T) {
	st := openStore(t, store.Async)
	clk := newClock()
	cfg := parseConfig(t, true, partnerYAML("net", "127.0.0.1:9", ""))
	d := New(Options{Store: st, Config: cfg, Logger: quietLogger(), Now: clk.Now})
	s := &sender{d: d}
	s.partner.Store(d.partners.Load().byName["net"])
	now := clk.UnixMilli()
	s.openUntil.Store(now + 30_000)

	j := newJob(st, "net", "install", clk.Now())
	if r := s.heldBack(j, now, now); r.outcome != retry || r.next != now+30_000 || r.tried {
		t.Errorf("heldBack = %+v; want a retry when the breaker closes, without an attempt", r)
	}
	j.FirstDue = now - time.Hour.Milliseconds() + 10_000 // 10s of max_age left
	if r := s.heldBack(j, now, now); r.outcome != fail || !r.tried {
		t.Errorf("heldBack = %+v; want failed past max_age", r)
	}
}

// TestBreakerTrips: breakerThreshold consecutive retryable failures open
// the breaker; failures of attempts already on the wire do not trip it
// again; a success closes it.
func TestBreakerTrips(t *testing.T) {
	r := config.Retry{Base: time.Second, MaxInterval: time.Minute, MaxAge: time.Hour}
	s := &sender{}
	now := t0
	for range breakerThreshold - 1 {
		s.observe(false, now, r, 0)
	}
	if s.breakerOpenUntil(now.UnixMilli()) != 0 {
		t.Fatal("open before the threshold")
	}
	s.observe(false, now, r, 0)
	until := s.breakerOpenUntil(now.UnixMilli())
	if until < now.Add(r.Base/2).UnixMilli() || until > now.Add(r.Base).UnixMilli() {
		t.Fatalf("open until %v; want within base", time.UnixMilli(until).Sub(now))
	}
	for range 64 { // a whole pool of connections timing out
		s.observe(false, now, r, 0)
	}
	if s.trips != 1 || s.breakerOpenUntil(now.UnixMilli()) != until {
		t.Fatalf("trips %d, open until %v; want the first trip unchanged", s.trips, time.UnixMilli(s.openUntil.Load()).Sub(now))
	}
	now = now.Add(2 * time.Second) // closed again: the next trip waits longer
	for range breakerThreshold {
		s.observe(false, now, r, 0)
	}
	if s.trips != 2 || s.breakerOpenUntil(now.UnixMilli()) < now.Add(r.Base).UnixMilli() {
		t.Fatalf("second trip: trips %d, open for %v", s.trips, time.UnixMilli(s.openUntil.Load()).Sub(now))
	}
	s.observe(true, now, r, 0)
	if s.breakerOpenUntil(now.UnixMilli()) != 0 || s.trips != 0 {
		t.Fatal("a success did not close the breaker")
	}
}
