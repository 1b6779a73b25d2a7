package dispatch

import (
	"fmt"
	"sync"

	"github.com/VictoriaMetrics/metrics"
)

var (
	postbacksDelivered = metrics.NewCounter(`clickedge_postbacks_total{outcome="delivered"}`)
	postbacksRetried   = metrics.NewCounter(`clickedge_postbacks_total{outcome="retried"}`)
	postbacksFailed    = metrics.NewCounter(`clickedge_postbacks_total{outcome="failed"}`)
	postbacksRedriven  = metrics.NewCounter(`clickedge_postbacks_total{outcome="redriven"}`)
)

var (
	depthOnce sync.Once
	depthOf   func() int64
	depthMu   sync.Mutex
)

// registerDepth makes clickedge_postback_queue_depth report d's pending
// count. The gauge is process-wide; the last dispatcher started reports.
func registerDepth(d *Dispatcher) {
	depthMu.Lock()
	depthOf = d.depth.Load
	depthMu.Unlock()
	depthOnce.Do(func() {
		metrics.NewGauge(`clickedge_postback_queue_depth`, func() float64 {
			depthMu.Lock()
			f := depthOf
			depthMu.Unlock()
			return float64(f())
		})
	})
}

var deliveryHistograms sync.Map // partner name -> *metrics.PrometheusHistogram

// deliveryHistogram is the per-partner delivery latency histogram.
func deliveryHistogram(partner string) *metrics.PrometheusHistogram {
	if h, ok := deliveryHistograms.Load(partner); ok {
		return h.(*metrics.PrometheusHistogram)
	}
	h := metrics.GetOrCreatePrometheusHistogram(fmt.Sprintf("clickedge_postback_delivery_seconds{partner=%q}", partner))
	deliveryHistograms.Store(partner, h)
	return h
}
