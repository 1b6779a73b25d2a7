package dispatch

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/store"
)

func TestDeliverOnce(t *testing.T) {
	st := openStore(t, store.Sync)
	snk := newSink(t)
	clk := newClock()
	d := start(t, st, parseConfig(t, true, partnerYAML("net", snk.addr, "")), clk)
	j := newJob(st, "net", "event", clk.Now())
	enqueue(t, st, j)
	d.Notify(1)

	waitCount(t, st, store.StatusDelivered, 1)
	if n := snk.count(j.EventID); n != 1 {
		t.Fatalf("sink got the postback %d times; want 1", n)
	}
	r := snk.requests()[0]
	if want := "/net?event=purchase&click_id=clk%20" + strings.TrimPrefix(j.ClickID, "clk ") + "&event_id=" + j.EventID + "&rev=9.99&cur=USD"; r.URI != want {
		t.Errorf("URI %q; want %q", r.URI, want)
	}
	if r.UA != "clickedge/test" {
		t.Errorf("User-Agent %q; want clickedge/test", r.UA)
	}
	v := viewOf(t, list(t, d, store.StatusDelivered), j.ID)
	if len(v.Attempts) != 1 || v.Attempts[0].StatusCode != 200 || v.Status != "delivered" {
		t.Errorf("view %+v; want delivered with one 200 attempt", v)
	}
	if n := count(t, st, store.StatusPending); n != 0 {
		t.Errorf("%d pending; want 0", n)
	}
}

// TestStatusPolicyEndToEnd drives one postback through answers of the sink,
// moving the clock past each backoff, and checks where it ends.
func TestStatusPolicyEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name     string
		codes    []int
		status   store.Status
		attempts int
		errText  string
	}{
		{"503 twice then 200", []int{503, 503}, store.StatusDelivered, 3, ""},
		{"500 408 429 then 204", []int{500, 408, 429, 204}, store.StatusDelivered, 4, ""},
		{"404 fails at once", []int{404}, store.StatusFailed, 1, ""},
		{"400 fails at once", []int{400}, store.StatusFailed, 1, ""},
		{"401 fails at once", []int{401}, store.StatusFailed, 1, ""},
		{"301 fails at once", []int{301}, store.StatusFailed, 1, "redirect not followed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t, store.Async)
			snk := newSink(t)
			snk.statuses(tc.codes...)
			clk := newClock()
			d := start(t, st, parseConfig(t, true, partnerYAML("net", snk.addr, "")), clk)
			j := newJob(st, "net", "install", clk.Now())
			enqueue(t, st, j)
			d.Notify(1)
			waitFor(t, "a final status", func() bool {
				if count(t, st, tc.status) == 1 {
					return true
				}
				// A retry waits its backoff on the fake clock: skip it.
				clk.Add(10 * time.Second)
				d.Notify(0)
				time.Sleep(2 * time.Millisecond)
				return false
			})
			v := viewOf(t, list(t, d, tc.status), j.ID)
			if len(v.Attempts) != tc.attempts {
				t.Fatalf("%d attempts %+v; want %d", len(v.Attempts), v.Attempts, tc.attempts)
			}
			for i, a := range v.Attempts {
				want := 200
				if i < len(tc.codes) {
					want = tc.codes[i]
				}
				if a.StatusCode != want {
					t.Errorf("attempt %d: status %d; want %d", i, a.StatusCode, want)
				}
			}
			if last := v.Attempts[len(v.Attempts)-1]; !strings.Contains(last.Error, tc.errText) {
				t.Errorf("last attempt error %q; want it to mention %q", last.Error, tc.errText)
			}
			if n := snk.n.Load(); n != int64(tc.attempts) {
				t.Errorf("sink got %d requests; want %d", n, tc.attempts)
			}
		})
	}
}

func TestFailedThenRedrive(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	snk.statuses(404)
	clk := newClock()
	d := start(t, st, parseConfig(t, true, partnerYAML("net", snk.addr, "")), clk)
	j := newJob(st, "net", "install", clk.Now())
	enqueue(t, st, j)
	d.Notify(1)
	waitCount(t, st, store.StatusFailed, 1)
	if v := viewOf(t, list(t, d, store.StatusFailed), j.ID); len(v.Attempts) != 1 || v.Attempts[0].StatusCode != 404 {
		t.Fatalf("failed view %+v; want one 404 attempt", v)
	}
	if n := count(t, st, store.StatusPending); n != 0 {
		t.Fatalf("%d pending after a 404; want 0", n)
	}

	// Stop delivery long enough to see the redriven postback pending.
	snk.setHandler(func(ctx *fasthttp.RequestCtx, _ *sinkReq) { ctx.SetStatusCode(503) })
	clk.Add(time.Hour) // the operator fixed the partner's side
	n, err := d.Redrive("")
	if err != nil || n != 1 {
		t.Fatalf("Redrive = %d, %v; want 1", n, err)
	}
	waitFor(t, "the redriven postback to be tried", func() bool { return snk.n.Load() >= 2 })
	v := waitRetried(t, d, clk, 2)
	// Backoff starts over with the redrive: the first retry waits base
	// (1s, jittered), not what a second retry would.
	if next, _ := time.Parse(time.RFC3339Nano, v[0].NextAt); next.Sub(clk.Now()) > time.Second {
		t.Errorf("redriven postback's first retry in %v; want at most the base of 1s", next.Sub(clk.Now()))
	}
	snk.setHandler(nil)
	clk.Add(time.Minute)
	d.Notify(0)
	waitCount(t, st, store.StatusDelivered, 1)
	dv := viewOf(t, list(t, d, store.StatusDelivered), j.ID)
	if len(dv.Attempts) != 3 || dv.Attempts[2].StatusCode != 200 {
		t.Fatalf("delivered view %+v; want attempts 404, 503, 200", dv.Attempts)
	}
	if n := count(t, st, store.StatusFailed) + count(t, st, store.StatusPending); n != 0 {
		t.Errorf("%d failed or pending left; want 0", n)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	snk.setHandler(func(ctx *fasthttp.RequestCtx, r *sinkReq) {
		if r.Path == "/moved" {
			ctx.SetStatusCode(200)
			return
		}
		ctx.Response.Header.Set("Location", "http://"+snk.addr+"/moved")
		ctx.SetStatusCode(302)
	})
	clk := newClock()
	d := start(t, st, parseConfig(t, true, partnerYAML("net", snk.addr, "")), clk)
	j := newJob(st, "net", "install", clk.Now())
	enqueue(t, st, j)
	d.Notify(1)
	waitCount(t, st, store.StatusFailed, 1)
	v := viewOf(t, list(t, d, store.StatusFailed), j.ID)
	if len(v.Attempts) != 1 || v.Attempts[0].StatusCode != 302 || !strings.Contains(v.Attempts[0].Error, "redirect") {
		t.Fatalf("attempts %+v; want one 302 saying the redirect was not followed", v.Attempts)
	}
	for _, r := range snk.requests() {
		if r.Path == "/moved" {
			t.Fatal("the redirect was followed")
		}
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header func(now time.Time) string
		code   int
		wait   time.Duration // at least
	}{
		{"seconds on 503", func(time.Time) string { return "120" }, 503, 120 * time.Second},
		{"seconds on 429", func(time.Time) string { return "300" }, 429, 300 * time.Second},
		{"http date", func(now time.Time) string { return now.Add(10 * time.Minute).UTC().Format(http.TimeFormat) }, 503, 10*time.Minute - time.Second},
		{"rfc1123 utc", func(now time.Time) string { return now.Add(10 * time.Minute).UTC().Format(time.RFC1123) }, 503, 10*time.Minute - time.Second},
		{"on 500 too", func(time.Time) string { return "600" }, 500, 600 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t, store.Async)
			snk := newSink(t)
			clk := newClock()
			snk.setHandler(func(ctx *fasthttp.RequestCtx, _ *sinkReq) {
				ctx.Response.Header.Set("Retry-After", tc.header(clk.Now()))
				ctx.SetStatusCode(tc.code)
			})
			d := start(t, st, parseConfig(t, true, partnerYAML("net", snk.addr, "")), clk)
			j := newJob(st, "net", "install", clk.Now())
			enqueue(t, st, j)
			d.Notify(1)
			var v []View
			v = waitRetried(t, d, clk, 1)
			next, err := time.Parse(time.RFC3339Nano, v[0].NextAt)
			if err != nil {
				t.Fatal(err)
			}
			if got := next.Sub(clk.Now()); got < tc.wait {
				t.Fatalf("next attempt in %v; want at least %v", got, tc.wait)
			}
			// Not before then, even when woken.
			clk.Add(tc.wait - 2*time.Second)
			d.Notify(0)
			time.Sleep(20 * time.Millisecond)
			if n := snk.n.Load(); n != 1 {
				t.Fatalf("sent %d times before Retry-After elapsed; want 1", n)
			}
		})
	}
}

// TestHangingPartnerDoesNotDelayOthers queues a backlog for a partner that
// never answers ahead of another partner's postbacks, and checks that the
// healthy partner's arrive while the hanging one still hangs.
func TestHangingPartnerDoesNotDelayOthers(t *testing.T) {
	st := openStore(t, store.Async)
	hang, ok := newSink(t), newSink(t)
	release := make(chan struct{})
	var hanging atomic.Int64
	hang.setHandler(func(ctx *fasthttp.RequestCtx, _ *sinkReq) {
		hanging.Add(1)
		<-release
		hanging.Add(-1)
	})
	defer close(release)
	clk := newClock()
	cfg := parseConfig(t, true,
		partnerYAML("hang", hang.addr, ""),
		partnerYAML("ok", ok.addr, ""))
	cfg.Partners["hang"].Timeout = 30 * time.Second
	// A backlog larger than any batch the scheduler reads, all due before
	// the healthy partner's postbacks.
	var backlog []*Job
	for range 5000 {
		backlog = append(backlog, newJob(st, "hang", "install", clk.Now()))
	}
	enqueue(t, st, backlog...)
	d := start(t, st, cfg, clk)
	d.Notify(len(backlog))
	waitFor(t, "the hanging partner to hold every connection", func() bool { return hanging.Load() == 8 })

	clk.Add(time.Millisecond)
	var good []*Job
	for range 50 {
		good = append(good, newJob(st, "ok", "install", clk.Now()))
	}
	enqueue(t, st, good...)
	d.Notify(len(good))
	began := time.Now()
	waitFor(t, "the healthy partner's postbacks", func() bool { return ok.n.Load() == 50 })
	if h := hanging.Load(); h != 8 {
		t.Fatalf("%d requests hanging; want all 8 still hanging", h)
	}
	t.Logf("healthy partner's 50 postbacks arrived in %v while the other hung", time.Since(began))
	waitCount(t, st, store.StatusDelivered, 50)
}

// breakerRig starts a dispatcher with one partner (one connection) whose
// sink answers with h, and n of its postbacks due.
func breakerRig(t *testing.T, n int, h func(*fasthttp.RequestCtx, *sinkReq)) (*store.Store, *sink, *fakeClock, *Dispatcher) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	snk.setHandler(h)
	clk := newClock()
	cfg := parseConfig(t, true, partnerYAML("net", snk.addr, ""))
	cfg.Partners["net"].MaxConns = 1
	var jobs []*Job
	for range n {
		jobs = append(jobs, newJob(st, "net", "install", clk.Now()))
	}
	enqueue(t, st, jobs...)
	d := start(t, st, cfg, clk)
	d.Notify(len(jobs))
	return st, snk, clk, d
}

// waitAllDeferred waits until each of the n pending postbacks was tried or
// held back: due later than now.
func waitAllDeferred(t *testing.T, d *Dispatcher, clk *fakeClock, n int) {
	waitFor(t, "every postback to be tried or held back", func() bool {
		deferred := 0
		for _, v := range list(t, d, store.StatusPending) {
			next, _ := time.Parse(time.RFC3339Nano, v.NextAt)
			if len(v.Attempts) > 0 || next.After(clk.Now()) {
				deferred++
			}
		}
		return deferred == n
	})
}

// passTimeUntilDelivered moves the clock on 10 s at a time until n
// postbacks are delivered.
func passTimeUntilDelivered(t *testing.T, st *store.Store, d *Dispatcher, clk *fakeClock, n int64) {
	for range 200 {
		if count(t, st, store.StatusDelivered) == n {
			break
		}
		clk.Add(10 * time.Second)
		d.Notify(0)
		time.Sleep(5 * time.Millisecond)
	}
	waitCount(t, st, store.StatusDelivered, n)
}

func TestBreakerOpensAndReschedulesWithoutSending(t *testing.T) {
	st, snk, clk, d := breakerRig(t, 20, func(ctx *fasthttp.RequestCtx, _ *sinkReq) { ctx.SetStatusCode(503) })
	waitAllDeferred(t, d, clk, 20)
	if n := snk.n.Load(); n != breakerThreshold {
		t.Fatalf("sink got %d requests; want the breaker to stop sending after %d", n, breakerThreshold)
	}
	// The breaker's period passes: the partner is tried again.
	snk.setHandler(nil)
	passTimeUntilDelivered(t, st, d, clk, 20)
}

// TestBreakerHonoursRetryAfter: a partner that answers 503 or 429 with a
// Retry-After is asking for nothing until then, not for that postback
// alone: its other postbacks are held back too (up to its max_interval),
// and go out once the time has passed.
func TestBreakerHonoursRetryAfter(t *testing.T) {
	var first atomic.Bool
	st, snk, clk, d := breakerRig(t, 10, func(ctx *fasthttp.RequestCtx, _ *sinkReq) {
		if first.CompareAndSwap(false, true) {
			ctx.Response.Header.Set("Retry-After", "120")
			ctx.SetStatusCode(429)
		}
	})
	waitAllDeferred(t, d, clk, 10)
	if n := snk.n.Load(); n != 1 {
		t.Fatalf("the partner got %d requests after asking for none for 120 s; want 1", n)
	}
	passTimeUntilDelivered(t, st, d, clk, 10)
}

// TestBreakerIgnoresPermanentFailures: a partner answering 404 is up; its
// other postbacks must not wait on a breaker.
func TestBreakerIgnoresPermanentFailures(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	snk.setHandler(func(ctx *fasthttp.RequestCtx, r *sinkReq) {
		if r.Query["event"] == "install" {
			ctx.SetStatusCode(404)
		}
	})
	clk := newClock()
	cfg := parseConfig(t, true, partnerYAML("net", snk.addr, ""))
	cfg.Partners["net"].MaxConns = 1
	var jobs []*Job
	for range 2 * breakerThreshold {
		jobs = append(jobs, newJob(st, "net", "install", clk.Now()))
	}
	jobs = append(jobs, newJob(st, "net", "event", clk.Now()))
	enqueue(t, st, jobs...)
	d := start(t, st, cfg, clk)
	d.Notify(len(jobs))
	waitCount(t, st, store.StatusFailed, int64(len(jobs)-1))
	waitCount(t, st, store.StatusDelivered, 1)
}

// verifyingSink is a sink that checks each request's signature with
// secret and answers 401 to a bad one; the last check's error is kept.
func verifyingSink(t *testing.T, secret string, clk *fakeClock) (*sink, *atomic.Pointer[error]) {
	snk := newSink(t)
	verr := new(atomic.Pointer[error])
	snk.setHandler(func(ctx *fasthttp.RequestCtx, r *sinkReq) {
		err := VerifySignature(r.Signature, []byte(secret), []byte(r.Method), []byte(r.URI), r.Body, clk.Now(), time.Minute)
		verr.Store(&err)
		if err != nil {
			ctx.SetStatusCode(401)
		}
	})
	return snk, verr
}

func TestPostBodyAndSignature(t *testing.T) {
	st := openStore(t, store.Async)
	clk := newClock()
	snk, verr := verifyingSink(t, "whsec_x", clk)
	extra := fmt.Sprintf(`  post:
    install: "http://%s/pb?src=clickedge&c={click_id}"
    method: POST
    body: '{"click_id":"{click_id}","event":"{event_name}","campaign":"{campaign_name}"}'
    secret: "whsec_x"
`, snk.addr)
	d := start(t, st, parseConfig(t, true, extra), clk)
	j := newJob(st, "post", "install", clk.Now())
	j.CampaignName = "say \"hi\"\n\\ <ü>"
	enqueue(t, st, j)
	d.Notify(1)
	waitCount(t, st, store.StatusDelivered, 1)
	if err := *verr.Load(); err != nil {
		t.Fatalf("sink: VerifySignature: %v", err)
	}
	r := snk.requests()[0]
	want := `{"click_id":"` + j.ClickID + `","event":"install","campaign":"say \"hi\"\n\\ <ü>"}`
	if r.Method != "POST" || string(r.Body) != want {
		t.Fatalf("%s body %s; want POST %s", r.Method, r.Body, want)
	}
	if !strings.HasPrefix(r.Signature, fmt.Sprintf("t=%d,v1=", clk.Now().Unix())) {
		t.Errorf("signature %q", r.Signature)
	}
}

// The signature covers the path and query exactly as they are sent, which
// is exactly as the template renders them: a path that normalising would
// change ("//", "..") is neither normalised on the wire nor in what is
// signed.
func TestSignatureOverPathAsSent(t *testing.T) {
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			st := openStore(t, store.Async)
			clk := newClock()
			snk, verr := verifyingSink(t, "whsec_x", clk)
			d := start(t, st, parseConfig(t, true, fmt.Sprintf(`  net:
    install: "http://%s/a//b/../pb/%%2e%%2e/?c={click_id}"
    method: %s
    secret: "whsec_x"
`, snk.addr, method)), clk)
			j := newJob(st, "net", "install", clk.Now())
			enqueue(t, st, j)
			d.Notify(1)
			waitFor(t, "the postback", func() bool { return verr.Load() != nil })
			if want := "/a//b/../pb/%2e%2e/?c=clk%20" + strings.TrimPrefix(j.ClickID, "clk "); snk.requests()[0].URI != want {
				t.Fatalf("sent %q, want %q", snk.requests()[0].URI, want)
			}
			if err := *verr.Load(); err != nil {
				t.Fatalf("sink: VerifySignature: %v", err)
			}
			waitCount(t, st, store.StatusDelivered, 1)
		})
	}
}

func TestPrivateTargetRefused(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	clk := newClock()
	d := start(t, st, parseConfig(t, false, partnerYAML("net", snk.addr, "")), clk)
	j := newJob(st, "net", "install", clk.Now())
	enqueue(t, st, j)
	d.Notify(1)
	waitCount(t, st, store.StatusFailed, 1)
	v := viewOf(t, list(t, d, store.StatusFailed), j.ID)
	if len(v.Attempts) != 1 || !strings.Contains(v.Attempts[0].Error, "refused") || !strings.Contains(v.Attempts[0].Error, "loopback") {
		t.Fatalf("attempts %+v; want one saying the loopback target was refused", v.Attempts)
	}
	if n := snk.n.Load(); n != 0 {
		t.Fatalf("the sink got %d requests", n)
	}
}

// TestStopDrainsInFlight: Stop waits for the attempt on the wire and
// records it; postbacks queued behind it are not sent and stay pending.
func TestStopDrainsInFlight(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	entered := make(chan struct{}, 100)
	snk.setHandler(func(ctx *fasthttp.RequestCtx, _ *sinkReq) {
		entered <- struct{}{}
		time.Sleep(200 * time.Millisecond)
	})
	clk := newClock()
	cfg := parseConfig(t, true, partnerYAML("net", snk.addr, ""))
	cfg.Partners["net"].MaxConns = 1
	var jobs []*Job
	for range 5 {
		jobs = append(jobs, newJob(st, "net", "install", clk.Now()))
	}
	enqueue(t, st, jobs...)
	d := New(Options{Store: st, Config: cfg, Logger: quietLogger(), Now: clk.Now, Version: "test"})
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	d.Notify(len(jobs))
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	began := time.Now()
	if err := d.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("Stop took %v; want it to wait for one attempt only", took)
	}
	if n := snk.n.Load(); n != 1 {
		t.Errorf("%d requests sent; want only the one in flight", n)
	}
	if n := count(t, st, store.StatusDelivered); n != 1 {
		t.Fatalf("%d delivered after Stop; want the in-flight attempt recorded", n)
	}
	if n := count(t, st, store.StatusPending); n != 4 {
		t.Fatalf("%d pending after Stop; want 4", n)
	}
	if err := d.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestRestartResumesPending(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	snk.setHandler(func(ctx *fasthttp.RequestCtx, _ *sinkReq) { ctx.SetStatusCode(503) })
	clk := newClock()
	cfg := parseConfig(t, true, partnerYAML("net", snk.addr, ""))
	var jobs []*Job
	for range 3 {
		jobs = append(jobs, newJob(st, "net", "install", clk.Now()))
	}
	enqueue(t, st, jobs...)
	d := New(Options{Store: st, Config: cfg, Logger: quietLogger(), Now: clk.Now})
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	d.Notify(3)
	waitFor(t, "three retries recorded", func() bool {
		n := 0
		for _, v := range list(t, d, store.StatusPending) {
			n += len(v.Attempts)
		}
		return n == 3
	})
	if err := d.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	snk.setHandler(nil)
	clk.Add(time.Minute)
	d2 := start(t, st, cfg, clk)
	waitCount(t, st, store.StatusDelivered, 3)
	for _, j := range jobs {
		if v := viewOf(t, list(t, d2, store.StatusDelivered), j.ID); len(v.Attempts) != 2 {
			t.Errorf("%d: attempts %+v; want 503 then 200", j.ID, v.Attempts)
		}
	}
}

func TestListMasksSecrets(t *testing.T) {
	st := openStore(t, store.Async)
	clk := newClock()
	// Nothing listens on port 9: the postback stays pending.
	cfg := parseConfig(t, true, `  net:
    install: "http://127.0.0.1:9/pb?token=abc&c={click_id}&auth_key=xyz&sig=s3cret-value&v=s3cret-value"
    secret: "s3cret-value"
`)
	d := New(Options{Store: st, Config: cfg, Logger: quietLogger(), Now: clk.Now})
	j := newJob(st, "net", "install", clk.Now())
	enqueue(t, st, j)
	d.SetConfig(cfg)
	v := list(t, d, store.StatusPending)
	if len(v) != 1 {
		t.Fatalf("%d listed; want 1", len(v))
	}
	u := v[0].URL
	for _, secret := range []string{"abc", "xyz", "s3cret"} {
		if strings.Contains(u, secret) {
			t.Errorf("URL %q shows %q", u, secret)
		}
	}
	if want := "http://127.0.0.1:9/pb?token=****&c=clk%20"; !strings.HasPrefix(u, want) {
		t.Errorf("URL %q; want prefix %q", u, want)
	}
	if v[0].Partner != "net" || v[0].EventID != j.EventID || v[0].Status != "pending" || v[0].NextAt == "" {
		t.Errorf("view %+v", v[0])
	}
}

// TestListShowsURLAsSent: a tried postback is listed with the URL of its
// last attempt, {timestamp} included, so that an operator can check it
// against what the partner received (and its signature). It used to be
// rendered again at listing time, with the listing's clock.
func TestListShowsURLAsSent(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	clk := newClock()
	cfg := parseConfig(t, true, fmt.Sprintf("  net:\n    install: \"http://%s/pb?e={event_id}&ts={timestamp}\"\n", snk.addr))
	d := start(t, st, cfg, clk)
	j := newJob(st, "net", "install", clk.Now())
	enqueue(t, st, j)
	d.Notify(1)
	waitCount(t, st, store.StatusDelivered, 1)
	sent := snk.requests()[0].URI
	clk.Add(time.Hour)
	v := viewOf(t, list(t, d, store.StatusDelivered), j.ID)
	if want := "http://" + snk.addr + sent; v.URL != want {
		t.Fatalf("listed %q; sent %q", v.URL, want)
	}
}

func TestSetConfigRerendersPending(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	snk.setHandler(func(ctx *fasthttp.RequestCtx, r *sinkReq) {
		if r.Path != "/v2" {
			ctx.SetStatusCode(503)
		}
	})
	clk := newClock()
	tmpl := func(path string) string {
		return fmt.Sprintf("  net:\n    install: \"http://%s%s?event_id={event_id}\"\n    max_conns: 4\n", snk.addr, path)
	}
	d := start(t, st, parseConfig(t, true, tmpl("/v1")), clk)
	j := newJob(st, "net", "install", clk.Now())
	enqueue(t, st, j)
	d.Notify(1)
	waitRetried(t, d, clk, 1)
	d.SetConfig(parseConfig(t, true, tmpl("/v2")))
	if v := list(t, d, store.StatusPending); !strings.Contains(v[0].URL, "/v2?") {
		t.Errorf("listed URL %q; want the new template's", v[0].URL)
	}
	clk.Add(time.Minute)
	d.Notify(0)
	waitCount(t, st, store.StatusDelivered, 1)
	if r := snk.requests(); r[len(r)-1].Path != "/v2" {
		t.Fatalf("delivered to %q; want /v2", r[len(r)-1].Path)
	}
}

// TestSetConfigWhileDelivering swaps configs that replace the partner's
// sender while postbacks stream through it: none is lost or sent twice.
func TestSetConfigWhileDelivering(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	clk := newClock()
	cfgs := [2]string{partnerYAML("net", snk.addr, ""), strings.Replace(partnerYAML("net", snk.addr, ""), "max_conns: 8", "max_conns: 3", 1)}
	d := start(t, st, parseConfig(t, true, cfgs[0]), clk)
	n := 2000
	if raceEnabled {
		n = 500
	}
	began := time.Now()
	for i := range n / 100 {
		var jobs []*Job
		for range 100 {
			jobs = append(jobs, newJob(st, "net", "install", clk.Now()))
		}
		enqueue(t, st, jobs...)
		d.Notify(len(jobs))
		d.SetConfig(parseConfig(t, true, cfgs[i%2]))
	}
	waitCount(t, st, store.StatusDelivered, int64(n))
	t.Logf("%d postbacks over %d configs in %v", n, n/100, time.Since(began))
	checkExactlyOnce(t, snk, n)
}

func TestQueueDepthGauge(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	snk.statuses(404, 404) // two fail, the rest are delivered or stay pending
	clk := newClock()
	cfg := parseConfig(t, true, partnerYAML("net", snk.addr, ""))
	cfg.Partners["net"].MaxConns = 1
	var jobs []*Job
	for range 10 {
		jobs = append(jobs, newJob(st, "net", "install", clk.Now()))
	}
	enqueue(t, st, jobs[:4]...)
	d := start(t, st, cfg, clk)
	checkGauge := func() {
		t.Helper()
		waitFor(t, "the gauge to equal the pending count", func() bool {
			return gauge(t, "clickedge_postback_queue_depth") == float64(count(t, st, store.StatusPending))
		})
	}
	waitCount(t, st, store.StatusPending, 0)
	checkGauge()
	// Later ones are due in the future and stay pending.
	for _, j := range jobs[4:] {
		j.FirstDue = clk.UnixMilli() + 3600_000
	}
	enqueue(t, st, jobs[4:]...)
	d.Notify(6)
	if g := gauge(t, "clickedge_postback_queue_depth"); g != 6 {
		t.Fatalf("gauge %v; want 6", g)
	}
	checkGauge()
	clk.Add(2 * time.Hour)
	d.Notify(0)
	waitCount(t, st, store.StatusPending, 0)
	checkGauge()
	if n := count(t, st, store.StatusFailed); n != 2 {
		t.Fatalf("%d failed; want 2", n)
	}
	if _, err := d.Redrive(""); err != nil {
		t.Fatal(err)
	}
	waitCount(t, st, store.StatusDelivered, 10)
	checkGauge()
}

// gauge reads a metric from the process's Prometheus output.
func gauge(t testing.TB, name string) float64 {
	t.Helper()
	var b strings.Builder
	metrics.WritePrometheus(&b, false)
	for line := range strings.SplitSeq(b.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func TestMaxAgeFailsInsteadOfRetrying(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	snk.setHandler(func(ctx *fasthttp.RequestCtx, _ *sinkReq) { ctx.SetStatusCode(500) })
	clk := newClock()
	// Pending since the last run, first due almost an hour ago: max_age is
	// 1h, so 0.5s is left, less than any retry.
	j := newJob(st, "net", "install", clk.Now())
	j.FirstDue -= time.Hour.Milliseconds() - 500
	enqueue(t, st, j)
	d := start(t, st, parseConfig(t, true, partnerYAML("net", snk.addr, "")), clk)
	waitCount(t, st, store.StatusFailed, 1)
	v := viewOf(t, list(t, d, store.StatusFailed), j.ID)
	if len(v.Attempts) != 1 || !strings.Contains(v.Attempts[0].Error, "max_age") {
		t.Fatalf("attempts %+v; want one mentioning max_age", v.Attempts)
	}
}

// TestEntryBehindWindowFound: a postback put far behind the scheduler's
// window (no writer does that, but a restored backup or a tool might) is
// found by the periodic full scan.
func TestEntryBehindWindowFound(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	clk := newClock()
	d := start(t, st, parseConfig(t, true, partnerYAML("net", snk.addr, "")), clk)
	first := newJob(st, "net", "install", clk.Now())
	enqueue(t, st, first)
	d.Notify(1)
	waitCount(t, st, store.StatusDelivered, 1) // passes have run
	j := newJob(st, "net", "install", clk.Now())
	j.FirstDue -= time.Hour.Milliseconds()
	enqueue(t, st, j)
	d.Notify(1)
	clk.Add(fullScanEvery)
	d.Notify(0)
	waitCount(t, st, store.StatusDelivered, 2)
}

func TestUnknownPartnerAndCorruptEntriesFail(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	clk := newClock()
	d := start(t, st, parseConfig(t, true, partnerYAML("net", snk.addr, "")), clk)
	gone := newJob(st, "gone", "install", clk.Now())
	good := newJob(st, "net", "install", clk.Now())
	enqueue(t, st, gone, good)
	if err := st.Update(func(w *store.Writer) error {
		w.OutboxPut(store.QueuePostback, st.NewID(), store.StatusPending, clk.UnixMilli()-1, []byte{9, 9, 9})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	d.Notify(3)
	waitCount(t, st, store.StatusDelivered, 1)
	waitCount(t, st, store.StatusFailed, 2)
	v := viewOf(t, list(t, d, store.StatusFailed), gone.ID)
	if len(v.Attempts) != 1 || !strings.Contains(v.Attempts[0].Error, "not configured") {
		t.Errorf("attempts %+v; want one saying the partner is not configured", v.Attempts)
	}
	waitFor(t, "the gauge to equal the pending count", func() bool {
		return gauge(t, "clickedge_postback_queue_depth") == 0
	})
}

// TestManyPartnersExactlyOnce streams thousands of postbacks to several
// partners whose sinks answer at varied speeds and sometimes fail, while
// the recorder and scheduler race: no postback is ever on the wire twice at
// once, each is answered 200 exactly once, and every index holds each entry
// once.
func TestManyPartnersExactlyOnce(t *testing.T) {
	st := openStore(t, store.Async)
	clk := newClock()
	var partners []string
	var onWire sync.Map // event_id -> *atomic.Int32
	var overlaps atomic.Int64
	var mu sync.Mutex
	ok := map[string]int{} // event_id -> 200 answers
	for i := range 4 {
		name := fmt.Sprintf("p%d", i)
		snk := newSink(t)
		var k atomic.Int64
		snk.setHandler(func(ctx *fasthttp.RequestCtx, r *sinkReq) {
			ev := r.Query["event_id"]
			c, _ := onWire.LoadOrStore(ev, new(atomic.Int32))
			if c.(*atomic.Int32).Add(1) > 1 {
				overlaps.Add(1)
			}
			defer c.(*atomic.Int32).Add(-1)
			n := k.Add(1)
			if n%13 == 0 {
				time.Sleep(time.Millisecond)
			}
			if n%97 == 0 {
				ctx.SetStatusCode(503)
				return
			}
			mu.Lock()
			ok[ev]++
			mu.Unlock()
		})
		partners = append(partners, partnerYAML(name, snk.addr, ""))
	}
	cfg := parseConfig(t, true, partners...)
	cfg.Partners["p0"].MaxConns = 2
	cfg.Partners["p1"].MaxConns = 64
	d := start(t, st, cfg, clk)

	n := 4000
	if raceEnabled {
		n = 1000
	}
	for b := range n / 200 {
		var jobs []*Job
		for i := range 200 {
			jobs = append(jobs, newJob(st, fmt.Sprintf("p%d", (b+i)%4), "install", clk.Now()))
		}
		enqueue(t, st, jobs...)
		d.Notify(len(jobs))
		clk.Add(time.Millisecond)
	}
	delivered := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(ok)
	}
	began := time.Now()
	waitFor(t, "every postback delivered", func() bool {
		if delivered() >= n {
			return true
		}
		clk.Add(100 * time.Millisecond) // retries of the 503s come due
		d.Notify(0)
		time.Sleep(time.Millisecond)
		return false
	})
	t.Logf("%d postbacks delivered in %v", n, time.Since(began))
	waitCount(t, st, store.StatusDelivered, int64(n))
	time.Sleep(50 * time.Millisecond) // anything scheduled twice would show now
	if o := overlaps.Load(); o != 0 {
		t.Errorf("%d times a postback was on the wire twice at once", o)
	}
	mu.Lock()
	if len(ok) != n {
		t.Errorf("%d distinct postbacks answered 200; want %d", len(ok), n)
	}
	twice := 0
	for _, c := range ok {
		if c != 1 {
			twice++
		}
	}
	mu.Unlock()
	if twice > 0 {
		t.Errorf("%d postbacks delivered more than once", twice)
	}
	if p := count(t, st, store.StatusPending); p != 0 {
		t.Errorf("%d pending index entries left (an entry moved twice is indexed twice)", p)
	}
	if dl := count(t, st, store.StatusDelivered); dl != int64(n) {
		t.Errorf("%d delivered index entries; want %d", dl, n)
	}
	for _, v := range list(t, d, store.StatusDelivered) {
		for i, a := range v.Attempts {
			if want := 503; i == len(v.Attempts)-1 {
				want = 200
				if a.StatusCode != want {
					t.Fatalf("%s: attempts %+v; want 503s then one 200", v.ID, v.Attempts)
				}
			} else if a.StatusCode != want {
				t.Fatalf("%s: attempts %+v; want 503s then one 200", v.ID, v.Attempts)
			}
		}
	}
}

// checkExactlyOnce fails unless snk received n distinct postbacks, each once.
func checkExactlyOnce(t testing.TB, snk *sink, n int) {
	t.Helper()
	snk.mu.Lock()
	defer snk.mu.Unlock()
	if len(snk.byEvent) != n {
		t.Errorf("%d distinct postbacks received; want %d", len(snk.byEvent), n)
	}
	for ev, c := range snk.byEvent {
		if c != 1 {
			t.Errorf("%s received %d times", ev, c)
		}
	}
}

// TestSameMillisecondBatch: a batch of conversions shares one millisecond,
// far more entries than a partner's queue holds. Passes stop inside it and
// resume at the exact entry they stopped at; every postback goes out
// exactly once.
func TestSameMillisecondBatch(t *testing.T) {
	for _, batchSize := range []int{8, 512} {
		t.Run(fmt.Sprint("batch size ", batchSize), func(t *testing.T) {
			st := openStore(t, store.Async)
			snk := newSink(t)
			clk := newClock()
			cfg := parseConfig(t, true, partnerYAML("net", snk.addr, ""))
			cfg.Partners["net"].MaxConns = 2
			d := New(Options{Store: st, Config: cfg, Logger: quietLogger(), Now: clk.Now, BatchSize: batchSize})
			if err := d.Start(); err != nil {
				t.Fatal(err)
			}
			defer d.Stop(context.Background())
			const n = 1500
			var jobs []*Job
			for range n {
				jobs = append(jobs, newJob(st, "net", "install", clk.Now()))
			}
			enqueue(t, st, jobs...)
			d.Notify(n)
			waitCount(t, st, store.StatusDelivered, n)
			checkExactlyOnce(t, snk, n)
			if p := count(t, st, store.StatusPending); p != 0 {
				t.Errorf("%d pending left", p)
			}
		})
	}
}

// TestTransportErrorsRetry: a timeout and a refused connection are retried,
// with the error recorded; a conversion the partner has no template for
// fails at once.
func TestTransportErrorsRetry(t *testing.T) {
	st := openStore(t, store.Async)
	slow := newSink(t)
	slow.setHandler(func(ctx *fasthttp.RequestCtx, _ *sinkReq) { time.Sleep(300 * time.Millisecond) })
	closed, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	clk := newClock()
	cfg := parseConfig(t, true, partnerYAML("slow", slow.addr, ""), partnerYAML("gone", closedAddr, ""))
	cfg.Partners["slow"].Timeout = 50 * time.Millisecond
	d := start(t, st, cfg, clk)
	timeout, refused := newJob(st, "slow", "install", clk.Now()), newJob(st, "gone", "install", clk.Now())
	noTemplate := newJob(st, "slow", "event", clk.Now())
	noTemplate.EventName = "refund"
	enqueue(t, st, timeout, refused, noTemplate)
	d.Notify(3)
	var pending []View
	waitFor(t, "both retries recorded", func() bool {
		pending = list(t, d, store.StatusPending)
		n := 0
		for _, v := range pending {
			if next, _ := time.Parse(time.RFC3339Nano, v.NextAt); len(v.Attempts) == 1 && next.After(clk.Now()) {
				n++
			}
		}
		return n == 2
	})
	if a := viewOf(t, pending, timeout.ID).Attempts[0]; a.Error != "timeout" || a.StatusCode != 0 {
		t.Errorf("timed out attempt %+v; want error \"timeout\"", a)
	}
	if a := viewOf(t, pending, refused.ID).Attempts[0]; !strings.Contains(a.Error, "refused") || a.StatusCode != 0 {
		t.Errorf("refused attempt %+v; want a connection refused error", a)
	}
	waitCount(t, st, store.StatusFailed, 1)
	if a := viewOf(t, list(t, d, store.StatusFailed), noTemplate.ID).Attempts; len(a) != 1 || !strings.Contains(a[0].Error, "no template") {
		t.Errorf("attempts %+v; want one saying there is no template", a)
	}
}

// TestPrune: delivered postbacks stay listable for DeliveredRetention, and
// failed ones are kept for redrive for FailedRetention after they failed;
// then both go. (The failed list had no end: a partner that refused every
// postback, a template gone wrong for a day, grew it, and the disk, for the
// life of the store.)
func TestPrune(t *testing.T) {
	for _, tc := range []struct {
		status    store.Status
		answer    int
		retention Options
		first     time.Duration // the second postback's age when the first is past retention
		past      time.Duration
	}{
		{store.StatusDelivered, 200, Options{DeliveredRetention: 24 * time.Hour}, 20 * time.Hour, 5 * time.Hour},
		{store.StatusFailed, 404, Options{FailedRetention: 48 * time.Hour}, 40 * time.Hour, 10 * time.Hour},
	} {
		t.Run(tc.status.String(), func(t *testing.T) {
			st := openStore(t, store.Async)
			snk := newSink(t)
			snk.setHandler(func(ctx *fasthttp.RequestCtx, _ *sinkReq) { ctx.SetStatusCode(tc.answer) })
			clk := newClock()
			o := tc.retention
			o.Store, o.Config, o.Logger, o.Now = st, parseConfig(t, true, partnerYAML("net", snk.addr, "")), quietLogger(), clk.Now
			d := New(o)
			if err := d.Start(); err != nil {
				t.Fatal(err)
			}
			defer d.Stop(context.Background())
			old := newJob(st, "net", "install", clk.Now())
			enqueue(t, st, old)
			d.Notify(1)
			waitCount(t, st, tc.status, 1)
			clk.Add(tc.first)
			recent := newJob(st, "net", "install", clk.Now())
			enqueue(t, st, recent)
			d.Notify(1)
			waitCount(t, st, tc.status, 2)
			clk.Add(tc.past) // the first is past its retention, the second not
			d.Notify(0)
			waitCount(t, st, tc.status, 1)
			viewOf(t, list(t, d, tc.status), recent.ID)
			if _, err := st.OutboxGet(store.QueuePostback, old.ID); err != store.ErrNotFound {
				t.Errorf("pruned postback's payload: %v; want ErrNotFound", err)
			}
			if tc.status != store.StatusFailed {
				return
			}
			// What is left is redriven as ever.
			snk.setHandler(nil)
			if n, err := d.Redrive("net"); err != nil || n != 1 {
				t.Fatalf("redrive: %d, %v; want 1", n, err)
			}
			waitCount(t, st, store.StatusDelivered, 1)
		})
	}
}

// TestRedriveConcurrent: two redrives at once move each failed postback
// once (a postback moved twice is indexed twice); an undecodable one stays
// failed and does not stop the rest.
func TestRedriveConcurrent(t *testing.T) {
	st := openStore(t, store.Async)
	var ms atomic.Int64
	ms.Store(t0.UnixMilli())
	tick := func() time.Time { return time.UnixMilli(ms.Add(1)) } // every reading a millisecond on
	cfg := parseConfig(t, true, partnerYAML("net", "127.0.0.1:9", ""))
	d := New(Options{Store: st, Config: cfg, Logger: quietLogger(), Now: tick})
	const n = 2500
	err := st.Update(func(w *store.Writer) error {
		for i := range n {
			j := newJob(st, "net", "install", t0)
			j.Attempts = []Attempt{{Time: t0.UnixMilli(), StatusCode: 404}}
			w.OutboxPut(store.QueuePostback, j.ID, store.StatusFailed, t0.UnixMilli()+int64(i%7), AppendJob(nil, j))
		}
		w.OutboxPut(store.QueuePostback, st.NewID(), store.StatusFailed, t0.UnixMilli(), []byte("not a job"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var moved atomic.Int64
	for range 2 {
		wg.Go(func() {
			k, err := d.Redrive("")
			if err != nil {
				t.Error(err)
			}
			moved.Add(int64(k))
		})
	}
	wg.Wait()
	if m := moved.Load(); m != n {
		t.Errorf("redrives moved %d; want %d", m, n)
	}
	if p := count(t, st, store.StatusPending); p != n {
		t.Errorf("%d pending index entries; want %d", p, n)
	}
	if f := count(t, st, store.StatusFailed); f != 1 {
		t.Errorf("%d failed left; want the undecodable one", f)
	}
}

// TestRedrivePartner: a redrive for one partner moves only its failed
// postbacks, across more than one batch and many in one millisecond, and
// leaves the others failed for a later redrive; the listing filters by
// partner too.
func TestRedrivePartner(t *testing.T) {
	st := openStore(t, store.Async)
	cfg := parseConfig(t, true, partnerYAML("a", "127.0.0.1:9", ""), partnerYAML("b", "127.0.0.1:9", ""))
	d := New(Options{Store: st, Config: cfg, Logger: quietLogger(), Now: newClock().Now})
	const n = 3000 // a third for a, in batches of redriveBatch
	err := st.Update(func(w *store.Writer) error {
		for i := range n {
			partner := "b"
			if i%3 == 0 {
				partner = "a"
			}
			j := newJob(st, partner, "install", t0)
			j.Attempts = []Attempt{{Time: t0.UnixMilli(), StatusCode: 404}}
			w.OutboxPut(store.QueuePostback, j.ID, store.StatusFailed, t0.UnixMilli()+int64(i%3), AppendJob(nil, j))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := d.List(store.StatusFailed, 50, "b"); err != nil || len(v) != 50 {
		t.Fatalf("List(failed, 50, b) = %d views, %v; want 50", len(v), err)
	} else {
		for _, x := range v {
			if x.Partner != "b" {
				t.Fatalf("List for partner b returned one of %q's", x.Partner)
			}
		}
	}
	if k, err := d.Redrive("a"); err != nil || k != n/3 {
		t.Fatalf("Redrive(a) = %d, %v; want %d", k, err, n/3)
	}
	if p, f := count(t, st, store.StatusPending), count(t, st, store.StatusFailed); p != n/3 || f != n-n/3 {
		t.Fatalf("after Redrive(a): %d pending, %d failed; want %d and %d", p, f, n/3, n-n/3)
	}
	for _, v := range list(t, d, store.StatusPending) {
		if v.Partner != "a" {
			t.Fatalf("Redrive(a) moved a postback of %q", v.Partner)
		}
	}
	if k, err := d.Redrive("nobody"); err != nil || k != 0 {
		t.Fatalf("Redrive(nobody) = %d, %v; want 0", k, err)
	}
	if k, err := d.Redrive(""); err != nil || k != n-n/3 {
		t.Fatalf("Redrive(all) = %d, %v; want %d", k, err, n-n/3)
	}
}

// A partner's server that closes keep-alive connections left idle (Node's
// and Apache's do after 5 s, nginx's after 75) leaves the client one it
// will reuse: the next postback's first try finds it closed before any
// answer. That try is made again at once on a new connection, whatever the
// method (fasthttp retries only idempotent ones), rather than recorded as
// a failure and retried a backoff later. Postbacks are at least once, and
// partners dedupe by {event_id}.
func TestStaleKeepAliveRetriedAtOnce(t *testing.T) {
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			st := openStore(t, store.Async)
			// The server closes a connection left idle this long.
			snk := newSink(t, func(srv *fasthttp.Server) { srv.IdleTimeout = 50 * time.Millisecond })
			clk := newClock()
			extra := "    max_conns: 1\n"
			if method == "POST" {
				extra += "    method: POST\n    body: '{\"click_id\":\"{click_id}\"}'\n"
			}
			cfg := parseConfig(t, true, strings.Replace(partnerYAML("p", snk.addr, extra), "    max_conns: 8\n", "", 1))
			d := start(t, st, cfg, clk)
			first := newJob(st, "p", "install", clk.Now())
			enqueue(t, st, first)
			d.Notify(1)
			waitCount(t, st, store.StatusDelivered, 1)
			time.Sleep(300 * time.Millisecond) // the server closes the idle connection
			second := newJob(st, "p", "install", clk.Now())
			enqueue(t, st, second)
			d.Notify(1)
			waitCount(t, st, store.StatusDelivered, 2)
			if a := viewOf(t, list(t, d, store.StatusDelivered), second.ID).Attempts; len(a) != 1 || a[0].StatusCode != 200 {
				t.Errorf("attempts after an idle close: %+v; want one, delivered", a)
			}
		})
	}
}

// A partner that accepts a postback with a large page (some answer every
// request with their site's HTML) has accepted it: its status decides, and
// the body past the client's limit is not read. Judged by the body's size,
// the postback was retried, and posted again, until max_age.
func TestLargeAnswerJudgedByStatus(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	page := strings.Repeat("<p>welcome</p>", 20000) // 280 KB
	snk.setHandler(func(ctx *fasthttp.RequestCtx, _ *sinkReq) {
		ctx.SetContentType("text/html")
		ctx.SetBodyString(page)
	})
	clk := newClock()
	d := start(t, st, parseConfig(t, true, partnerYAML("p", snk.addr, "")), clk)
	j := newJob(st, "p", "install", clk.Now())
	enqueue(t, st, j)
	d.Notify(1)
	waitCount(t, st, store.StatusDelivered, 1)
	if a := viewOf(t, list(t, d, store.StatusDelivered), j.ID).Attempts; len(a) != 1 || a[0].StatusCode != 200 {
		t.Errorf("attempts %+v; want one, 200", a)
	}
	if n := snk.count(j.EventID); n != 1 {
		t.Errorf("the partner got the postback %d times, want once", n)
	}
}
