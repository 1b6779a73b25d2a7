package tracker

import (
	"bytes"
	"strings"
	"testing"

	"github.com/VictoriaMetrics/metrics"
)

// TestLatencyHistogramResolution: a click takes well under a millisecond,
// so the latency histograms have buckets below one: with Prometheus's
// default buckets (the first at 5 ms) every click fell in the first, and
// histogram_quantile put p50 at 2.5 ms and p99 at 4.95 ms whatever the
// real latency, so an alert on p99 could not tell 0.3 ms from 4 ms.
func TestLatencyHistogramResolution(t *testing.T) {
	for _, name := range []string{
		"clickedge_click_duration_seconds",
		"clickedge_click_commit_duration_seconds",
		"clickedge_conversion_duration_seconds",
	} {
		var b bytes.Buffer
		metrics.WritePrometheus(&b, false)
		for _, le := range []string{"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "10"} {
			if !strings.Contains(b.String(), name+`_bucket{le="`+le+`"}`) {
				t.Errorf("%s has no bucket le=%s", name, le)
			}
		}
	}
}
