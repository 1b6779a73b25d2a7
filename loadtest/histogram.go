package loadtest

import (
	"math"
	"math/big"
	"strconv"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// The histogram's range: 1 µs to 2 h at 3 significant digits (values are
// kept to within 0.1%). Latency counts from a request's intended start, so
// a stalled server can put it far past the request timeout: up to the
// longest run (MaxDuration) and a timeout, which 2 h covers; anything
// slower is clamped.
const (
	histLowestUS  = 1
	histHighestUS = int64(2 * time.Hour / time.Microsecond)
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
	mu    sync.Mutex
	h     *hdrhistogram.Histogram
	maxUS int64 // the largest sample exactly (the histogram keeps its bucket)
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
	h.maxUS = max(h.maxUS, us)
	h.mu.Unlock()
}

// Merge adds every sample of o to h. o is copied under its own lock first so
// that two histograms merging into each other cannot deadlock.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o == h {
		return
	}
	o.mu.Lock()
	c, omax := o.h.Clone(), o.maxUS
	o.mu.Unlock()
	h.mu.Lock()
	h.h.Merge(c) // same geometry, so nothing is dropped
	h.maxUS = max(h.maxUS, omax)
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
	v := h.valuesAt(50, 90, 99, 99.9)
	return Percentiles{
		P50:  usToMS(v[0]),
		P90:  usToMS(v[1]),
		P99:  usToMS(v[2]),
		P999: usToMS(v[3]),
		Max:  usToMS(h.maxUS),
	}
}

// valuesAt returns the samples at percentiles ps (increasing), by nearest
// rank: the p-th percentile of n samples is the ceil(p/100·n)-th smallest,
// so that at most (100-p)% of them lie above it (p99.9 of 600 samples is
// the largest; hdrhistogram's own rounds the rank half up, one too low).
// A sample is its bucket's highest value, but never above the exact max.
// h.mu is held.
func (h *Histogram) valuesAt(ps ...float64) []int64 {
	n := h.h.TotalCount()
	out := make([]int64, len(ps))
	ranks := make([]int64, len(ps))
	for i, p := range ps {
		// Exact, for p read as the decimal it prints as: a shortcut for
		// p within a hair of a millionth (99.9) rounded such a p to the
		// millionth and ranked the report curve's 100·(1-10^-1) =
		// 90.00000000000001 one too low (TestValueAtNearMillionth).
		ranks[i] = nearestRank(p, n)
		out[i] = h.maxUS
	}
	i, seen := 0, int64(0)
	for _, b := range h.h.Distribution() {
		seen += b.Count
		for i < len(ps) && seen >= ranks[i] {
			out[i] = min(b.To, h.maxUS)
			i++
		}
		if i == len(ps) {
			break
		}
	}
	return out
}

// nearestRank is ⌈p·n/100⌉, at least 1 and at most n, for p read as the
// decimal it prints as, in exact arithmetic: in floating point
// 33.333333333333336/100·3 is 1, one rank too low, where the decimal's
// product is a little over 1 (FuzzValueAtNearestRank). The report's curve
// calls it once a point.
func nearestRank(p float64, n int64) int64 {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(p, 'g', -1, 64))
	if !ok { // not a finite number: valuesAt's callers clamp p to 0..100
		return min(max(int64(math.Ceil(p/100*float64(n))), 1), n)
	}
	r.Mul(r, big.NewRat(n, 100))
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	rank := q.Int64()
	if m.Sign() != 0 {
		rank++
	}
	return min(max(rank, 1), n)
}

// ValueAt returns the latency in milliseconds at percentile p (0..100); the
// report uses it to draw the whole percentile curve.
func (h *Histogram) ValueAt(p float64) float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.h.TotalCount() == 0 || math.IsNaN(p) {
		return 0
	}
	return usToMS(h.valuesAt(min(max(p, 0), 100))[0])
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
