package dispatch

import (
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/store"
)

// The dispatcher is measured against the ceiling of what it does: a bare
// fasthttp.HostClient loop, max_conns goroutines deep, against the same
// local keep-alive sink in the same run. The goal is dispatcher >= 0.8 ×
// bare. A dispatcher run includes the store's work for each postback: its
// commit to the outbox in batches of 1000 (as conversions would, alongside
// delivery), the scheduler reading it, the result written back, and the
// flushes and compactions those writes set off. (Until they were counted, a
// flush or compaction started by a dispatcher round ran on into the bare
// round after it, and made the bare loop slower by whatever the dispatcher
// saved.)
//
//	go test ./dispatch -run '^$' -bench DispatcherVsHostClient -benchtime 50000x -count 5

const benchConns = 64

// benchSink is a fasthttp sink that answers 200 and counts. When the count
// reaches goal it signals reached, so a dispatcher round waits for its last
// postback without polling: a poller would take CPU from the dispatcher
// that the bare loop, which waits on its goroutines, does not lose.
type benchSink struct {
	addr    string
	n       atomic.Int64
	goal    atomic.Int64
	reached chan struct{}
	srv     *fasthttp.Server
	hc      *fasthttp.HostClient // the bare loop's, kept across rounds
}

func newBenchSink(b *testing.B) *benchSink {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := &benchSink{addr: ln.Addr().String(), reached: make(chan struct{}, 1)}
	s.goal.Store(-1)
	s.hc = &fasthttp.HostClient{Addr: s.addr, MaxConns: benchConns, Name: "clickedge/bench"}
	s.srv = &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			if s.n.Add(1) == s.goal.Load() {
				s.reached <- struct{}{}
			}
		},
		Logger: discardLogger{},
	}
	go s.srv.Serve(ln)
	b.Cleanup(func() { s.srv.Shutdown() })
	return s
}

// benchURL is the rendered size and shape of a real postback.
func benchURL(addr string) string {
	return "http://" + addr + "/pb?event=purchase&click_id=clk%20123456&event_id=ev-123456-abcdef&rev=9.99&cur=USD&gaid=38400000-8cf0-11bd-b23e-10b96e40000d"
}

// cpuTime is the process's user and system CPU time so far: the sink's,
// the client's and the store's alike, as all run in this process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runBare sends n requests from benchConns goroutines and returns the
// elapsed time.
func runBare(b *testing.B, snk *benchSink, n int) time.Duration {
	hc := snk.hc
	url := benchURL(snk.addr)
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	began := time.Now()
	for range benchConns {
		wg.Go(func() {
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for left.Add(-1) >= 0 {
				req.SetRequestURI(url)
				if err := hc.Do(req, resp); err != nil || resp.StatusCode() != 200 {
					b.Errorf("bare: %v %d", err, resp.StatusCode())
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(began)
}

// dispatcherRig is a dispatcher over a fresh store posting to a sink.
type dispatcherRig struct {
	st  *store.Store
	snk *benchSink
	d   *Dispatcher
}

func newDispatcherRig(b *testing.B, dur store.Durability) *dispatcherRig {
	r := &dispatcherRig{st: openStore(b, dur), snk: newBenchSink(b)}
	cfg := parseConfig(b, true, fmt.Sprintf(`  net:
    events:
      purchase: "http://%s/pb?event={event_name}&click_id={click_id}&event_id={event_id}&rev={revenue}&cur={currency}&gaid={gaid}"
    max_conns: %d
`, r.snk.addr, benchConns))
	r.d = start(b, r.st, cfg, nil)
	return r
}

// run enqueues n postbacks in batches of 1000, as conversions commit them,
// and returns the time until the sink has them all and the store has
// recorded them all.
func (r *dispatcherRig) run(b *testing.B, n int) time.Duration {
	return r.runMode(b, n, false, nil)
}

// runMode is run; with prefill the postbacks are all committed before the
// clock starts, so only delivery is timed, as the bare loop times only
// sending. When cpu is not nil, the process's CPU time over the timed part
// is added to it.
func (r *dispatcherRig) runMode(b *testing.B, n int, prefill bool, cpu *time.Duration) time.Duration {
	const batch = 1000
	b.StopTimer() // the conversions' work, not the dispatcher's
	now := time.Now()
	payloads := make([][]byte, n)
	ids := make([]uint64, n)
	for i := range payloads {
		j := newJob(r.st, "net", "event", now)
		ids[i] = j.ID
		payloads[i] = AppendJob(nil, j)
	}
	base := r.snk.n.Load()
	r.snk.goal.Store(base + int64(n))
	if prefill {
		due := time.Now().UnixMilli()
		for i := 0; i < n; i += batch {
			end := min(i+batch, n)
			if err := r.st.Update(func(w *store.Writer) error {
				for k := i; k < end; k++ {
					w.OutboxPut(store.QueuePostback, ids[k], store.StatusPending, due, payloads[k])
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		b.StartTimer()
		c0, began := cpuTime(), time.Now()
		r.d.Notify(n)
		r.wait(base, n)
		el := time.Since(began)
		if cpu != nil {
			*cpu += cpuTime() - c0
		}
		return el
	}
	runtime.GC()
	b.StartTimer()
	c0, began := cpuTime(), time.Now()
	go func() {
		for i := 0; i < n; i += batch {
			end := min(i+batch, n)
			due := time.Now().UnixMilli()
			err := r.st.Update(func(w *store.Writer) error {
				for k := i; k < end; k++ {
					w.OutboxPut(store.QueuePostback, ids[k], store.StatusPending, due, payloads[k])
				}
				return nil
			})
			if err != nil {
				b.Error(err)
				return
			}
			r.d.Notify(end - i)
		}
	}()
	r.wait(base, n)
	el := time.Since(began)
	if cpu != nil {
		*cpu += cpuTime() - c0
	}
	return el
}

// wait returns when the sink has n postbacks more than base, the store has
// recorded them all, and the store's flushes and compactions have finished:
// a round pays for the background work its writes caused, rather than the
// bare round after it.
func (r *dispatcherRig) wait(base int64, n int) {
	<-r.snk.reached
	for r.d.depth.Load() > 0 { // the recorder's last write, a few ms at most
		time.Sleep(100 * time.Microsecond)
	}
	for {
		m := r.st.DB().Metrics()
		if m.Flush.NumInProgress == 0 && m.Compact.NumInProgress == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func perSecond(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }

func BenchmarkDispatcherVsHostClient(b *testing.B) {
	b.Run("bare", func(b *testing.B) {
		snk := newBenchSink(b)
		b.ReportAllocs()
		b.ResetTimer()
		el := runBare(b, snk, b.N)
		b.ReportMetric(perSecond(b.N, el), "postbacks/s")
	})
	for _, dur := range []struct {
		name string
		d    store.Durability
	}{{"async", store.Async}, {"sync", store.Sync}} {
		b.Run("dispatcher/"+dur.name, func(b *testing.B) {
			r := newDispatcherRig(b, dur.d)
			b.ReportAllocs()
			b.ResetTimer()
			el := r.run(b, b.N)
			b.ReportMetric(perSecond(b.N, el), "postbacks/s")
		})
	}
	// ratio runs both on b.N postbacks each, interleaved in rounds so that
	// the machine's drift (other tenants, CPU frequency) falls on both
	// alike, and reports dispatcher/bare.
	for _, dur := range []struct {
		name    string
		d       store.Durability
		prefill bool
	}{{"async", store.Async, false}, {"sync", store.Sync, false}, {"sync-prefilled", store.Sync, true}} {
		b.Run("ratio/"+dur.name, func(b *testing.B) {
			r := newDispatcherRig(b, dur.d)
			bareSnk := newBenchSink(b)
			const rounds = 5
			var bare, disp, bareCPU, dispCPU time.Duration
			b.ResetTimer()
			for i := range rounds {
				n := b.N/rounds + min(1, b.N%rounds-i)
				if n <= 0 {
					continue
				}
				c0 := cpuTime()
				bare += runBare(b, bareSnk, n)
				c1 := cpuTime()
				disp += r.runMode(b, n, dur.prefill, &dispCPU)
				bareCPU += c1 - c0
			}
			b.ReportMetric(perSecond(b.N, bare), "bare-postbacks/s")
			b.ReportMetric(perSecond(b.N, disp), "dispatcher-postbacks/s")
			b.ReportMetric(bare.Seconds()/disp.Seconds(), "ratio")
			// CPU time per postback (sink included) tells a dispatcher that
			// works more from one that waits more.
			b.ReportMetric(float64(bareCPU.Nanoseconds())/1e3/float64(b.N), "bare-cpu-us/op")
			b.ReportMetric(float64(dispCPU.Nanoseconds())/1e3/float64(b.N), "dispatcher-cpu-us/op")
		})
	}
}
