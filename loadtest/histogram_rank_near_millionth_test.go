package loadtest

import (
	"testing"
	"time"
)

// TestValueAtNearMillionth: a p a hair above a millionth (as the decimal it
// prints as) ranks like any other p: ceil(p·n/100). The millionths shortcut
// in valuesAt rounds it down to the millionth and ranks one too low,
// against nearestRank and FuzzValueAtNearestRank's definition.
func TestValueAtNearMillionth(t *testing.T) {
	for _, c := range []struct {
		p    float64
		n    int
		want float64 // ms: the rank's sample
	}{
		{50.0000000000001, 2, 2},    // 1.000000000000002 -> rank 2
		{90.00000000000001, 10, 10}, // the report's 100·(1-10^-1): 9.000000000000001 -> rank 10
	} {
		h := NewHistogram()
		for i := 1; i <= c.n; i++ {
			h.Record(time.Duration(i) * time.Millisecond)
		}
		if got := h.ValueAt(c.p); got < c.want*0.99 || got > c.want*1.01 {
			t.Errorf("n=%d ValueAt(%v) = %v ms, want ~%v ms (rank %v)", c.n, c.p, got, c.want, c.want)
		}
	}
}
