package loadtest

import (
	"testing"
	"time"
)

// TestValueAtNearestRankAnyPercentile: ValueAt(p) is the ceil(p·n/100)-th
// smallest sample for every p, not only those with four decimals (the
// report's curve asks for 100·(1-10^-x) at 251 points of x): so at most
// (100-p)% of the samples lie above it. With 999 samples at 1 ms and one at
// 100 ms, p99.90004 of the 1000 is rank ceil(999.0004) = 1000, the slow one;
// p rounded to millionths (99.9) gives rank 999, 1 ms, with 0.1% of the
// samples above it where 0.09996% may be. The same with 100,000 samples at
// the curve's own x = 11/50 (p = 39.744041…): rank 39,745.
func TestValueAtNearestRankAnyPercentile(t *testing.T) {
	for _, c := range []struct {
		n, fast int // n samples, the first `fast` at 1 ms, the rest at 100 ms
		p       float64
		want    float64
	}{
		{1000, 999, 99.9, 1},                    // rank 999
		{1000, 999, 99.90004, 100},              // rank 1000
		{1000, 999, 99.900049, 100},             // rank 1000
		{100000, 39744, 39.74404139256422, 100}, // rank 39745
		{100000, 39745, 39.74404139256422, 1},   // rank 39745
	} {
		h := NewHistogram()
		for i := range c.n {
			d := 100 * time.Millisecond
			if i < c.fast {
				d = time.Millisecond
			}
			h.Record(d)
		}
		if got := h.ValueAt(c.p); got != c.want {
			t.Errorf("n=%d with %d fast: ValueAt(%v) = %v ms, want %v ms", c.n, c.fast, c.p, got, c.want)
		}
	}
}
