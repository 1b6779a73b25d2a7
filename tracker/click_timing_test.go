package tracker_test

// Benchmarks of the whole click handler over a real store, each click with
// its own click_id, as fasthttp's server would call it (one recycled
// RequestCtx per connection). Run:
//
//	go test ./tracker/ -run '^$' -bench 'BenchmarkClickHandler' -benchmem
//
// clicks/s is per benchmark process; the Sync figures are bound by the
// disk's fsync and by how many clicks share one (the parallelism).

import (
	"net"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/store"
)

// clickBenchConn is one benchmark connection: a RequestCtx and a request
// URI whose click_id digits are rewritten in place for every click.
type clickBenchConn struct {
	ctx    fasthttp.RequestCtx
	uri    []byte
	digits int // where the click_id's 12 digits start in uri
	n      uint64
}

func newClickBenchConn(conn int, peer net.Addr) *clickBenchConn {
	c := &clickBenchConn{}
	c.uri = append(c.uri, "/?c="+clickCampaign+"&click_id=b"+strconv.Itoa(conn)+"-"...)
	c.digits = len(c.uri)
	c.uri = append(c.uri, "000000000000"...)
	c.uri = append(c.uri, clickLinkParams...)

	var req fasthttp.Request
	req.SetRequestURIBytes(c.uri)
	req.Header.SetUserAgent(clickAndroidUA)
	req.Header.Set("X-Forwarded-For", "203.0.113.9, 10.0.0.2")
	req.Header.Set("CF-IPCountry", "IN")
	c.ctx.Init(&req, peer, nil)
	return c
}

// clickBenchPeer is a trusted proxy's address.
var clickBenchPeer = &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 4444}

// click serves the connection's next click and reports whether it was
// redirected.
func (c *clickBenchConn) click(e *clickEnv) bool {
	n := c.n
	c.n++
	for i := c.digits + 11; i >= c.digits; i-- {
		c.uri[i] = byte('0' + n%10)
		n /= 10
	}
	c.ctx.Request.SetRequestURIBytes(c.uri)
	c.ctx.Response.Reset()
	e.tr.Handler(&c.ctx)
	return c.ctx.Response.StatusCode() == fasthttp.StatusFound
}

func clickReportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "clicks/s")
}

// BenchmarkClickHandler: one connection, async store (WAL fsynced every
// sync_interval in the background).
func BenchmarkClickHandler(b *testing.B) {
	e := clickNewEnv(b, store.Async)
	c := newClickBenchConn(0, clickBenchPeer)
	b.ReportAllocs()
	for b.Loop() {
		if !c.click(e) {
			b.Fatalf("answer:\n%s", c.ctx.Response.String())
		}
	}
	clickReportRate(b)
}

// BenchmarkClickHandlerHead is the tracker's own share of a click: HEAD
// runs the GET path (parse, campaign, client IP, Location) but stores
// nothing.
func BenchmarkClickHandlerHead(b *testing.B) {
	e := clickNewEnv(b, store.Async)
	c := newClickBenchConn(0, clickBenchPeer)
	c.ctx.Request.Header.SetMethod(fasthttp.MethodHead)
	b.ReportAllocs()
	for b.Loop() {
		if !c.click(e) {
			b.Fatalf("answer:\n%s", c.ctx.Response.String())
		}
	}
	clickReportRate(b)
}

// BenchmarkClickHandlerParallel: async store, GOMAXPROCS connections.
func BenchmarkClickHandlerParallel(b *testing.B) {
	clickBenchParallel(b, store.Async, 1)
}

// BenchmarkClickHandlerSync: one connection, sync store: each click waits
// for its own fsync, so this is the disk's fsync latency.
func BenchmarkClickHandlerSync(b *testing.B) {
	e := clickNewEnv(b, store.Sync)
	c := newClickBenchConn(0, clickBenchPeer)
	b.ReportAllocs()
	for b.Loop() {
		if !c.click(e) {
			b.Fatalf("answer:\n%s", c.ctx.Response.String())
		}
	}
	clickReportRate(b)
}

// BenchmarkClickHandlerSyncParallel: sync store, 32 connections per CPU:
// clicks that arrive during an fsync share the next one (Pebble's commit
// pipeline), so throughput scales with concurrency, not fsync latency.
func BenchmarkClickHandlerSyncParallel(b *testing.B) {
	clickBenchParallel(b, store.Sync, 32)
}

func clickBenchParallel(b *testing.B, d store.Durability, parallelism int) {
	e := clickNewEnv(b, d)
	var conns atomic.Int64
	var failed atomic.Pointer[string]
	b.SetParallelism(parallelism)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := newClickBenchConn(int(conns.Add(1)), clickBenchPeer)
		for pb.Next() {
			if !c.click(e) && failed.Load() == nil {
				s := c.ctx.Response.String()
				failed.Store(&s)
			}
		}
	})
	b.StopTimer()
	if s := failed.Load(); s != nil {
		b.Fatalf("answer:\n%s", *s)
	}
	clickReportRate(b)
}

// BenchmarkImpressionHandler: GET /v1/impression, one connection, async
// store; each impression with its own id and device. Impressions outnumber
// clicks, so this path is held to a click's standard.
func BenchmarkImpressionHandler(b *testing.B) {
	e := clickNewEnv(b, store.Async)
	c := &clickBenchConn{}
	c.uri = append(c.uri, "/v1/impression?c=videocamp&impression_id=i"...)
	c.digits = len(c.uri)
	c.uri = append(c.uri, "000000000000&gaid=38400000-8cf0-11bd-b23e-10b96e40000d&vt_lookback=12h&sub1=video_a&pub_id=site_209&user_agent="...)
	c.uri = append(c.uri, url.QueryEscape(clickAndroidUA)...)
	var req fasthttp.Request
	req.SetRequestURIBytes(c.uri)
	req.Header.SetUserAgent("ad-server/1.0")
	c.ctx.Init(&req, clickBenchPeer, nil)
	b.ReportAllocs()
	for b.Loop() {
		c.click(e)
		if c.ctx.Response.StatusCode() != fasthttp.StatusOK {
			b.Fatalf("answer:\n%s", c.ctx.Response.String())
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "impressions/s")
}
