package tracker_test

// Conversion throughput with durability sync, through the handler over a
// real store preloaded with the clicks the installs match:
//
//	go test ./tracker -run '^$' -bench 'Conversion(BatchSync|Single)' -benchtime 5s
//
// The batch endpoint decides a whole request in one transaction and commits
// it with one fsync; the floor is 20,000 conversions per second on
// a 2-core machine.

import (
	"bytes"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/store"
)

const (
	attrBenchClicks = 100_000 // clicks in the store, over the last ~6 days
	attrBenchBatch  = 500     // installs per batch request
)

// attrBenchEnv returns a Sync store holding attrBenchClicks clicks made
// through the handler (stored Async, then reopened), on a clock stopped at
// attrStart. Click i has click_id ck%06d and gaid attrBenchGAID(i).
func attrBenchEnv(b *testing.B) *attrEnv {
	b.Helper()
	cfg, err := config.Parse("bench.yaml", []byte(attrBaseConfig), nil)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	clock := new(attrClock)
	e := attrOpenEnv(b, dir, store.Async, cfg, clock)
	var req fasthttp.Request
	var ctx fasthttp.RequestCtx
	peer := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 40000}
	req.Header.SetMethod("GET")
	req.Header.SetUserAgent(attrUserAgents["android14"])
	for i := range attrBenchClicks {
		clock.Set(attrStart.Add(-time.Duration(attrBenchClicks-i) * 5 * time.Second))
		req.SetRequestURI(fmt.Sprintf("/?c=camp7d&click_id=ck%06d&gaid=%s&sub1=s%d&ip=10.%d.%d.%d",
			i, attrBenchGAID(i), i, i>>16&255, i>>8&255, i&255))
		ctx.Init(&req, peer, nil)
		e.tr.Handler(&ctx)
		if ctx.Response.StatusCode() != 302 {
			b.Fatalf("click %d: %d", i, ctx.Response.StatusCode())
		}
	}
	// Settle the preload into sstables, so that its flushes and
	// compactions are not charged to the conversions measured.
	if err := e.st.Compact(); err != nil {
		b.Fatal(err)
	}
	if err := e.st.Close(); err != nil {
		b.Fatal(err)
	}
	clock.Set(attrStart)
	e = attrOpenEnv(b, dir, store.Sync, cfg, clock)
	b.Cleanup(func() {
		if err := e.st.Close(); err != nil {
			b.Error(err)
		}
	})
	return e
}

func attrBenchGAID(i int) string { return fmt.Sprintf("38400000-8cf0-11bd-b23e-%012d", i) }

// attrBatchBody is a batch of installs whose ids and clicks are patched in
// place for each request: even lines name a click by click_id, odd lines by
// gaid, as SDK-less and SDK integrations do.
type attrBatchBody struct {
	body  []byte
	iids  []int // offsets of the 12-digit install numbers
	cids  []int // offsets of the 6-digit click numbers (click_id lines)
	gaids []int // offsets of the 12-digit click numbers (gaid lines)
}

func attrNewBatchBody(lines int) *attrBatchBody {
	bb := new(attrBatchBody)
	for k := range lines {
		bb.body = append(bb.body, `{"type":"install","install_id":"bench-`...)
		bb.iids = append(bb.iids, len(bb.body))
		bb.body = append(bb.body, `000000000000","app":"com.test.app","platform":"android",`...)
		if k%2 == 0 {
			bb.body = append(bb.body, `"click_id":"ck`...)
			bb.cids = append(bb.cids, len(bb.body))
			bb.body = append(bb.body, `000000"`...)
		} else {
			bb.body = append(bb.body, `"gaid":"38400000-8cf0-11bd-b23e-`...)
			bb.gaids = append(bb.gaids, len(bb.body))
			bb.body = append(bb.body, `000000000000"`...)
		}
		bb.body = append(bb.body, `,"ip":"203.0.113.7","user_agent":"Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A.240305.019)"}`+"\n"...)
	}
	return bb
}

// fill numbers the installs from first and points them at clicks.
func (bb *attrBatchBody) fill(first int) {
	c, g := 0, 0
	for k, off := range bb.iids {
		n := first + k
		attrPutDigits(bb.body[off:off+12], n)
		click := n % attrBenchClicks
		if k%2 == 0 {
			attrPutDigits(bb.body[bb.cids[c]:bb.cids[c]+6], click)
			c++
		} else {
			attrPutDigits(bb.body[bb.gaids[g]:bb.gaids[g]+12], click)
			g++
		}
	}
}

func attrPutDigits(dst []byte, n int) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + n%10)
		n /= 10
	}
}

// attrPost runs one POST through the handler on a reused context.
func attrPost(e *attrEnv, ctx *fasthttp.RequestCtx, req *fasthttp.Request, path string, body []byte) {
	req.Header.SetMethod("POST")
	req.SetRequestURI(path)
	req.Header.SetContentType("application/json")
	if path == "/v1/conversions/batch" {
		req.Header.SetContentType("application/x-ndjson")
	}
	req.SetBodyRaw(body)
	ctx.Init(req, &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 40000}, nil)
	e.tr.Handler(ctx)
}

// attrCheckBatch fails unless every answer line is an attributed install.
func attrCheckBatch(b *testing.B, ctx *fasthttp.RequestCtx, lines int) {
	if ctx.Response.StatusCode() != 200 {
		b.Fatalf("status %d: %.300s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	body := ctx.Response.Body()
	if n := bytes.Count(body, []byte(`"attributed":true`)); n != lines {
		b.Fatalf("%d of %d attributed: %.300s", n, lines, body)
	}
	if n := bytes.Count(body, []byte(`"match":"device_id"`)); n != lines/2 {
		b.Fatalf("%d of %d by device id: %.300s", n, lines, body)
	}
}

// attrMark is where a measurement starts: allocations and the process's
// CPU time (background flushes and compactions, GC included), which on a
// shared machine says more than the wall clock.
type attrMark struct {
	mem runtime.MemStats
	cpu time.Duration
}

func attrStartMark() *attrMark {
	m := new(attrMark)
	runtime.ReadMemStats(&m.mem)
	m.cpu = attrCPUTime()
	return m
}

func attrCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// attrReport adds conversions per second, allocations and CPU time per
// conversion.
func attrReport(b *testing.B, conversions int64, m0 *attrMark) {
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	cpu := attrCPUTime() - m0.cpu
	b.ReportMetric(float64(conversions)/b.Elapsed().Seconds(), "conv/s")
	b.ReportMetric(float64(m1.Mallocs-m0.mem.Mallocs)/float64(conversions), "allocs/conv")
	b.ReportMetric(float64(cpu.Microseconds())/float64(conversions), "cpu-us/conv")
}

func BenchmarkConversionBatchSync(b *testing.B) {
	e := attrBenchEnv(b)
	var seq atomic.Int64 // install numbers, unique across sub-benchmarks
	for _, par := range []int{1, 4} {
		// RunParallel runs par × GOMAXPROCS clients.
		b.Run("clients="+strconv.Itoa(par*runtime.GOMAXPROCS(0)), func(b *testing.B) {
			// A first batch checks that the installs are attributed as meant.
			{
				bb := attrNewBatchBody(attrBenchBatch)
				bb.fill(int(seq.Add(attrBenchBatch)))
				var req fasthttp.Request
				var ctx fasthttp.RequestCtx
				attrPost(e, &ctx, &req, "/v1/conversions/batch", bb.body)
				attrCheckBatch(b, &ctx, attrBenchBatch)
			}
			b.ReportAllocs()
			b.SetParallelism(par)
			var conversions atomic.Int64
			m0 := attrStartMark()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				bb := attrNewBatchBody(attrBenchBatch)
				var req fasthttp.Request
				var ctx fasthttp.RequestCtx
				for pb.Next() {
					bb.fill(int(seq.Add(attrBenchBatch)))
					attrPost(e, &ctx, &req, "/v1/conversions/batch", bb.body)
					if ctx.Response.StatusCode() != 200 {
						b.Errorf("status %d: %.300s", ctx.Response.StatusCode(), ctx.Response.Body())
						return
					}
					conversions.Add(attrBenchBatch)
				}
			})
			b.StopTimer()
			attrReport(b, conversions.Load(), m0)
		})
	}
}

func BenchmarkConversionSingle(b *testing.B) {
	e := attrBenchEnv(b)
	var seq atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(8) // 8 × GOMAXPROCS concurrent clients share each fsync
	m0 := attrStartMark()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		bb := attrNewBatchBody(2) // one line of each kind; a request sends one
		var req fasthttp.Request
		var ctx fasthttp.RequestCtx
		line := bytes.IndexByte(bb.body, '\n') + 1
		for pb.Next() {
			n := int(seq.Add(2))
			bb.fill(n)
			body := bb.body[:line] // by click_id
			if n%4 == 0 {
				body = bb.body[line:] // by gaid
			}
			attrPost(e, &ctx, &req, "/v1/conversions", body)
			if ctx.Response.StatusCode() != 200 || !bytes.Contains(ctx.Response.Body(), []byte(`"attributed":true`)) {
				b.Errorf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
				return
			}
		}
	})
	b.StopTimer()
	attrReport(b, int64(b.N), m0)
}
