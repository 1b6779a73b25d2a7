package tracker

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/internal/logthrottle"
	"github.com/clickedge/clickedge/store"
)

// Tracker answers the public listener. It is safe for concurrent use; its
// configuration is swapped whole on reload, so a request sees one version.
type Tracker struct {
	st  *store.Store
	cfg atomic.Pointer[config.Config]
	// viewThrough caches whether cfg's campaigns use view-through.
	viewThrough atomic.Pointer[viewThroughOf]
	ids         *ClickIDGen
	log         *slog.Logger
	now         func() time.Time
	// wallClock is set when now is time.Now: a click then takes its time
	// from the clock reading that starts its latency measurement.
	wallClock bool
	// started is when the tracker was made: a hold received before it has
	// its pending_window counted from it (held.go).
	started time.Time
	notify  func(queued int, firstDue int64) // wakes the postback dispatcher after a commit
	// draining is set when the edge is about to stop (SetDraining).
	draining atomic.Bool
	// storeFailed throttles the per-request "not stored" errors: a failing
	// disk would otherwise log one line per request (logthrottle).
	storeFailed storeFailureLogs

	clickReqs sync.Pool
	// batchReads holds a slot for each batch body over MaxConversionBody
	// being read into memory (see conversionBatch).
	batchReads chan struct{}
}

// storeFailureLogs throttle, one per request kind, the error logged when
// the store refuses a request's write. Every failure is still counted in
// the metrics.
type storeFailureLogs struct{ click, impression, conversion, batch *logthrottle.Throttle }

// storeFailureLogEvery is how often, at most, each kind is logged.
const storeFailureLogEvery = 5 * time.Second

func newStoreFailureLogs() storeFailureLogs {
	return storeFailureLogs{
		click:      logthrottle.New(storeFailureLogEvery),
		impression: logthrottle.New(storeFailureLogEvery),
		conversion: logthrottle.New(storeFailureLogEvery),
		batch:      logthrottle.New(storeFailureLogEvery),
	}
}

// Options configure New.
type Options struct {
	Store  *store.Store
	Config *config.Config
	Logger *slog.Logger
	// Notify, if set, is called after a commit that queued postbacks, with
	// how many and the earliest time they are due (unix ms): a conversion's
	// due time is when its request began, which may be long before its
	// commit (dispatch.Dispatcher.NotifyDue).
	Notify func(queued int, firstDue int64)
	// Now is the clock; tests inject one. Default time.Now.
	Now func() time.Time
}

// New returns a Tracker over an open store.
func New(o Options) *Tracker {
	t := &Tracker{
		st:          o.Store,
		ids:         NewClickIDGen(o.Config.Region),
		log:         o.Logger,
		now:         o.Now,
		notify:      o.Notify,
		storeFailed: newStoreFailureLogs(),
		batchReads:  make(chan struct{}, maxBatchReads),
	}
	if t.log == nil {
		t.log = slog.Default()
	}
	if t.now == nil {
		t.now, t.wallClock = time.Now, true
	}
	if t.notify == nil {
		t.notify = func(int, int64) {}
	}
	t.started = t.now()
	t.cfg.Store(o.Config)
	t.clickReqs.New = func() any { return new(clickRequest) }
	return t
}

// SetConfig swaps in a reloaded configuration (apps, partners, campaigns).
// Requests already running finish with the one they started with.
func (t *Tracker) SetConfig(c *config.Config) {
	t.cfg.Store(c)
	dropRemovedPartners(c)
}

// Config returns the configuration in force.
func (t *Tracker) Config() *config.Config { return t.cfg.Load() }

// SetDraining puts the public listener in (or out of) draining, the
// edge's last seconds before it stops: /healthz answers 503, so that a
// load balancer stops sending requests here, while every request is still
// served, each answer with Connection: close, so that keep-alive clients
// (a CDN's connection pool) open their next connection elsewhere.
func (t *Tracker) SetDraining(on bool) { t.draining.Store(on) }

// Draining reports whether SetDraining put the tracker in draining.
func (t *Tracker) Draining() bool { return t.draining.Load() }

// Handler routes the public listener.
func (t *Tracker) Handler(ctx *fasthttp.RequestCtx) {
	t.route(ctx)
	if t.draining.Load() {
		// After the handler: ctx.Error resets the response headers.
		ctx.SetConnectionClose()
	}
}

// WriteHealth answers a /healthz: 200 "ok", or 503 "draining" while the
// edge is about to stop.
func WriteHealth(ctx *fasthttp.RequestCtx, draining bool) {
	ctx.SetContentType("text/plain; charset=utf-8")
	if draining {
		ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
		ctx.SetBodyString("draining\n")
		return
	}
	ctx.SetBodyString("ok\n")
}

func (t *Tracker) route(ctx *fasthttp.RequestCtx) {
	path := ctx.Path()
	switch string(path) {
	case "/healthz":
		WriteHealth(ctx, t.draining.Load())
		return
	case "/v1/click":
		t.serverClick(ctx)
		// Every answer, as a tracking link's: a CDN in front must keep
		// none (a cached answer would give later clicks this one's id).
		noStore(ctx)
		return
	case "/v1/conversions":
		t.conversion(ctx)
		return
	case "/v1/conversions/batch":
		t.conversionBatch(ctx)
		return
	}
	if isImpressionPath(path) {
		t.impression(ctx)
		noStore(ctx)
		return
	}
	t.click(ctx)
}

// s2b views s as bytes without copying; the bytes must not be written.
func s2b(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// b2s views b as a string without copying; b must not change while it is used.
func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
