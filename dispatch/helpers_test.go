package dispatch

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/store"
)

// The dispatcher tests run the real thing in process: a Pebble store in
// t.TempDir(), a fasthttp sink on 127.0.0.1, a config from config.Parse.
// Time-dependent behaviour runs on a fakeClock the test moves; Notify(0)
// then wakes the scheduler, so no test sleeps through a backoff.

// t0 is the fake clock's start: 2025-11-26T00:00:00Z.
var t0 = time.Unix(1764115200, 0)

type fakeClock struct{ ns atomic.Int64 }

func newClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(t0.UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Add(d time.Duration)     { c.ns.Add(int64(d)) }
func (c *fakeClock) UnixMilli() int64        { return c.Now().UnixMilli() }
func (c *fakeClock) Since(t time.Time) int64 { return c.Now().Sub(t).Milliseconds() }

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openStore(t testing.TB, dur store.Durability) *store.Store {
	t.Helper()
	st, err := store.Open(store.Options{Dir: t.TempDir(), Durability: dur, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// sinkReq is one request a sink received.
type sinkReq struct {
	Method, URI, Path string
	Query             map[string]string
	Body              []byte
	Signature, UA     string
	At                time.Time
}

// sink is a postback receiver. handle, when set, answers; the default is 200.
type sink struct {
	addr string
	srv  *fasthttp.Server
	ln   net.Listener

	mu      sync.Mutex
	reqs    []sinkReq
	byEvent map[string]int
	n       atomic.Int64

	handle atomic.Pointer[func(ctx *fasthttp.RequestCtx, r *sinkReq)]
}

// newSink starts a sink; opts adjust its server before it serves.
func newSink(t testing.TB, opts ...func(*fasthttp.Server)) *sink {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{addr: ln.Addr().String(), ln: ln, byEvent: map[string]int{}}
	s.srv = &fasthttp.Server{
		Handler:                       s.serve,
		DisableHeaderNamesNormalizing: true,
		ReadTimeout:                   10 * time.Second,
		Logger:                        discardLogger{},
	}
	for _, o := range opts {
		o(s.srv)
	}
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Shutdown() })
	return s
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

func (s *sink) serve(ctx *fasthttp.RequestCtx) {
	r := sinkReq{
		Method: string(ctx.Method()), URI: string(ctx.RequestURI()), Path: string(ctx.Path()),
		Query: map[string]string{}, Body: append([]byte(nil), ctx.PostBody()...),
		Signature: string(ctx.Request.Header.Peek(SignatureHeader)),
		UA:        string(ctx.UserAgent()), At: time.Now(),
	}
	for k, v := range ctx.QueryArgs().All() {
		r.Query[string(k)] = string(v)
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, r)
	s.byEvent[r.Query["event_id"]]++
	s.mu.Unlock()
	s.n.Add(1)
	if h := s.handle.Load(); h != nil {
		(*h)(ctx, &r)
		return
	}
	ctx.SetStatusCode(200)
}

// setHandler sets how s answers; nil: 200.
func (s *sink) setHandler(h func(ctx *fasthttp.RequestCtx, r *sinkReq)) {
	if h == nil {
		s.handle.Store(nil)
		return
	}
	s.handle.Store(&h)
}

// statuses answers the given codes in turn, then 200.
func (s *sink) statuses(codes ...int) {
	var i atomic.Int64
	s.setHandler(func(ctx *fasthttp.RequestCtx, _ *sinkReq) {
		n := int(i.Add(1)) - 1
		if n < len(codes) {
			ctx.SetStatusCode(codes[n])
			return
		}
		ctx.SetStatusCode(200)
	})
}

func (s *sink) requests() []sinkReq {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sinkReq(nil), s.reqs...)
}

func (s *sink) count(eventID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byEvent[eventID]
}

// partnerYAML is a partner posting every kind to http://addr/<name>.
func partnerYAML(name, addr, extra string) string {
	return fmt.Sprintf(`  %[1]s:
    install: "http://%[2]s/%[1]s?event={event_name}&click_id={click_id}&event_id={event_id}"
    signup: "http://%[2]s/%[1]s?event={event_name}&click_id={click_id}&event_id={event_id}"
    events:
      purchase: "http://%[2]s/%[1]s?event={event_name}&click_id={click_id}&event_id={event_id}&rev={revenue}&cur={currency}"
    timeout: "2s"
    max_conns: 8
    retry: { base: "1s", max_interval: "8s", max_age: "1h" }
%[3]s`, name, addr, extra)
}

func parseConfig(t testing.TB, allowPrivate bool, partners ...string) *config.Config {
	t.Helper()
	y := fmt.Sprintf("allow_private_targets: %v\npartners:\n%s", allowPrivate, strings.Join(partners, "\n"))
	c, err := config.Parse("test.yaml", []byte(y), nil)
	if err != nil {
		t.Fatalf("config: %v\n%s", err, y)
	}
	return c
}

var jobSeq atomic.Int64

// newJob is a purchase (or install, signup) postback for partner.
func newJob(st *store.Store, partner, kind string, now time.Time) *Job {
	i := jobSeq.Add(1)
	j := &Job{
		ID: st.NewID(), Partner: partner, Kind: kind, EventName: kind,
		Created: now.UnixMilli(), FirstDue: now.UnixMilli(),
		ClickID: fmt.Sprintf("clk %d", i), InstallID: fmt.Sprintf("in-%d", i), EventID: fmt.Sprintf("ev-%d", i),
		EventTime: now.Unix(), Platform: "android", GAID: "38400000-8cf0-11bd-b23e-10b96e40000d",
		Country: "IN", AppID: "com.example", CampaignID: "c1", MatchType: "click_id",
	}
	if kind == "event" {
		j.EventName = "purchase"
		j.Revenue, j.Currency = "9.99", "USD"
	}
	return j
}

// enqueue writes jobs as the tracker does: pending, due at FirstDue.
func enqueue(t testing.TB, st *store.Store, jobs ...*Job) {
	t.Helper()
	err := st.Update(func(w *store.Writer) error {
		for _, j := range jobs {
			w.OutboxPut(store.QueuePostback, j.ID, store.StatusPending, j.FirstDue, AppendJob(nil, j))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

type harness struct {
	t     testing.TB
	st    *store.Store
	clk   *fakeClock
	d     *Dispatcher
	sinks map[string]*sink
}

// start runs a dispatcher over st with cfg on clk; Cleanup stops it.
func start(t testing.TB, st *store.Store, cfg *config.Config, clk *fakeClock) *Dispatcher {
	t.Helper()
	o := Options{Store: st, Config: cfg, Logger: quietLogger(), Version: "test"}
	if clk != nil {
		o.Now = clk.Now
	}
	d := New(o)
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		d.Stop(ctx)
	})
	return d
}

// waitFor polls cond until it holds or 5s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func list(t testing.TB, d *Dispatcher, st store.Status) []View {
	t.Helper()
	v, err := d.List(st, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func count(t testing.TB, st *store.Store, status store.Status) int64 {
	t.Helper()
	n, err := st.OutboxCount(store.QueuePostback, status)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitCount waits until status holds n postbacks.
func waitCount(t testing.TB, st *store.Store, status store.Status, n int64) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d %s postbacks", n, status), func() bool { return count(t, st, status) == n })
}

// viewOf finds the view of job id.
func viewOf(t testing.TB, views []View, id uint64) View {
	t.Helper()
	for _, v := range views {
		if v.ID == fmt.Sprint(id) {
			return v
		}
	}
	t.Fatalf("postback %d not listed in %d views", id, len(views))
	return View{}
}

// waitRetried waits until the one pending postback has the given number of
// attempts and is due after now: rescheduled. (store.OutboxScan reads the
// index from an iterator's snapshot but the payload as it is now, so a List
// racing the recorder can show the new attempts at the old due time.)
func waitRetried(t testing.TB, d *Dispatcher, clk *fakeClock, attempts int) []View {
	t.Helper()
	var v []View
	waitFor(t, fmt.Sprintf("a retry after %d attempts", attempts), func() bool {
		v = list(t, d, store.StatusPending)
		if len(v) != 1 || len(v[0].Attempts) != attempts {
			return false
		}
		next, err := time.Parse(time.RFC3339Nano, v[0].NextAt)
		return err == nil && next.After(clk.Now())
	})
	return v
}
