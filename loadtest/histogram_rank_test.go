package loadtest

import (
	"testing"
	"time"
)

// Nearest rank at round sample counts: p99.9 of n samples is the
// ceil(0.999·n)-th smallest (README, Measurement). When n is a multiple of
// 1000, 0.999·n is a whole number, and exactly 0.1% of the samples may lie
// above p99.9. Samples far apart (1 ms and 100 ms) make an off-by-one rank
// visible through the histogram's 0.1% resolution.
func TestP999NearestRankAtRoundCounts(t *testing.T) {
	for _, c := range []struct {
		n, slow int // n samples, the slowest `slow` of them at 100 ms, the rest at 1 ms
		want    float64
	}{
		{1000, 1, 1},     // rank 999 is a 1 ms sample
		{1000, 2, 100},   // rank 999 is a slow one
		{5000, 5, 1},     // rank 4995
		{10000, 10, 1},   // rank 9990
		{10000, 11, 100}, // rank 9990 is slow
		{100000, 100, 1}, // rank 99900
		{600, 1, 100},    // rank 600 (the README's own example)
	} {
		h := NewHistogram()
		for i := range c.n {
			d := time.Millisecond
			if i >= c.n-c.slow {
				d = 100 * time.Millisecond
			}
			h.Record(d)
		}
		if got := h.Percentiles().P999; got != c.want {
			t.Errorf("n=%d with %d slow: p99.9 = %v ms, want %v ms", c.n, c.slow, got, c.want)
		}
		if got := h.ValueAt(99.9); got != c.want {
			t.Errorf("n=%d with %d slow: ValueAt(99.9) = %v ms, want %v ms", c.n, c.slow, got, c.want)
		}
	}
}
