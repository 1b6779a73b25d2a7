package loadtest

import (
	"math"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// The histogram's range: 1 µs to 1 min at 3 significant digits (values are
// kept to within 0.1%). Slower requests are clamped to a minute, which is
// already six times the default request timeout.
const (
	histLowestUS  = 1
	histHighestUS = int64(time.Minute / time.Microsecond)
	histDigits    = 3
)

// Percentiles are latencies in milliseconds.
type Percentiles struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// Histogram is a latency histogram safe for concurrent use. One mutex is
// enough: Record holds it for tens of nanoseconds, and a histogram per worker
// would cost ~140 KB each, which adds up at thousands of connections.
type Histogram struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
}

// NewHistogram returns an empty histogram covering 1 µs to 1 min.
func NewHistogram() *Histogram {
	return &Histogram{h: hdrhistogram.New(histLowestUS, histHighestUS, histDigits)}
}

// Record adds one latency, rounded to the microsecond and clamped to the
// histogram's range so that no sample is ever dropped.
func (h *Histogram) Record(d time.Duration) {
	us := int64((d + time.Microsecond/2) / time.Microsecond)
	us = min(max(us, 0), histHighestUS)
	h.mu.Lock()
	_ = h.h.RecordValue(us) // cannot fail: us is within range
	h.mu.Unlock()
}

// Merge adds every sample of o to h. o is copied under its own lock first so
// that two histograms merging into each other cannot deadlock.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o == h {
		return
	}
	o.mu.Lock()
	c := o.h.Clone()
	o.mu.Unlock()
	h.mu.Lock()
	h.h.Merge(c) // same geometry, so nothing is dropped
	h.mu.Unlock()
}

// Count is the number of samples recorded.
func (h *Histogram) Count() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.h.TotalCount()
}

// Percentiles returns p50, p90, p99, p99.9 and max in milliseconds; all zero
// when nothing was recorded.
func (h *Histogram) Percentiles() Percentiles {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.h.TotalCount() == 0 {
		return Percentiles{}
	}
	return Percentiles{
		P50:  usToMS(h.h.ValueAtQuantile(50)),
		P90:  usToMS(h.h.ValueAtQuantile(90)),
		P99:  usToMS(h.h.ValueAtQuantile(99)),
		P999: usToMS(h.h.ValueAtQuantile(99.9)),
		Max:  usToMS(h.h.Max()),
	}
}

// ValueAt returns the latency in milliseconds at percentile p (0..100); the
// report uses it to draw the whole percentile curve.
func (h *Histogram) ValueAt(p float64) float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.h.TotalCount() == 0 || math.IsNaN(p) {
		return 0
	}
	return usToMS(h.h.ValueAtQuantile(p))
}

// Min returns the smallest latency recorded, in milliseconds.
func (h *Histogram) Min() float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.h.TotalCount() == 0 {
		return 0
	}
	return usToMS(h.h.Min())
}

func usToMS(us int64) float64 { return float64(us) / 1000 }
