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

var deliveryHistograms sync.Map // partner name -> *metrics.PrometheusHistogram

// deliveryHistogram is the per-partner delivery latency histogram.
func deliveryHistogram(partner string) *metrics.PrometheusHistogram {
	if h, ok := deliveryHistograms.Load(partner); ok {
		return h.(*metrics.PrometheusHistogram)
	}
	h := metrics.GetOrCreatePrometheusHistogram("clickedge_postback_delivery_seconds{partner=" + promlabel.Quote(partner) + "}")
	deliveryHistograms.Store(partner, h)
	return h
}
