package dispatch

import (
	"sync"

	"github.com/VictoriaMetrics/metrics"

	"github.com/clickedge/clickedge/internal/latest"
	"github.com/clickedge/clickedge/internal/promlabel"
)

var (
	postbacksDelivered = metrics.NewCounter(`clickedge_postbacks_total{outcome="delivered"}`)
	postbacksRetried   = metrics.NewCounter(`clickedge_postbacks_total{outcome="retried"}`)
	postbacksFailed    = metrics.NewCounter(`clickedge_postbacks_total{outcome="failed"}`)
	postbacksRedriven  = metrics.NewCounter(`clickedge_postbacks_total{outcome="redriven"}`)
)

// queueDepth is clickedge_postback_queue_depth: the pending postbacks of
// the last dispatcher started.
var queueDepth = latest.NewGauge(`clickedge_postback_queue_depth`)

// LatencyBuckets are the upper bounds, in seconds, of the edge's latency
// histograms (clicks, commits and conversions in tracker, deliveries
// here): 100 µs to 10 s. A click takes well under a millisecond, and so
// does a partner on the same network; Prometheus's default buckets start at
// 5 ms, so every click fell in the first and histogram_quantile could not
// tell 0.3 ms from 4 ms.
var LatencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

var deliveryHistograms sync.Map // partner name -> *metrics.PrometheusHistogram

// deliveryHistogram is the per-partner delivery latency histogram.
func deliveryHistogram(partner string) *metrics.PrometheusHistogram {
	if h, ok := deliveryHistograms.Load(partner); ok {
		return h.(*metrics.PrometheusHistogram)
	}
	h := metrics.GetOrCreatePrometheusHistogramExt(deliveryHistogramName(partner), LatencyBuckets)
	deliveryHistograms.Store(partner, h)
	return h
}

func deliveryHistogramName(partner string) string {
	return "clickedge_postback_delivery_seconds{partner=" + promlabel.Quote(partner) + "}"
}

// dropDeliveryHistogram stops exporting the histogram of a partner a
// reload removed.
func dropDeliveryHistogram(partner string) {
	deliveryHistograms.Delete(partner)
	metrics.UnregisterMetric(deliveryHistogramName(partner))
}
