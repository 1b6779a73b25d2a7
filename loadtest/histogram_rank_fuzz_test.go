package loadtest

import (
	"math"
	"math/big"
	"slices"
	"strconv"
	"testing"
	"time"
)

// FuzzValueAtNearestRank: ValueAt(p) is the ceil(p·n/100)-th smallest
// sample (p read as the decimal it prints as), to the histogram's bucket,
// never above the max: so at most (100-p)% of the samples lie above it.
func FuzzValueAtNearestRank(f *testing.F) {
	f.Add([]byte{1, 0, 2, 0, 3, 0}, uint8(0), 50.0)
	f.Add(make([]byte, 2000), uint8(0), 99.9)
	f.Add([]byte{1, 0, 100, 0}, uint8(7), 99.99)
	f.Fuzz(func(t *testing.T, data []byte, rep uint8, p float64) {
		if math.IsNaN(p) || math.IsInf(p, 0) || len(data) < 2 {
			return
		}
		p = min(max(p, 0), 100)
		h := NewHistogram()
		var samples []int64
		for i := 0; i+1 < len(data); i += 2 {
			us := int64(data[i]) | int64(data[i+1])<<8
			for range int(rep%8) + 1 {
				h.Record(time.Duration(us) * time.Microsecond)
				samples = append(samples, us)
			}
		}
		slices.Sort(samples)
		n := int64(len(samples))
		pr, ok := new(big.Rat).SetString(strconv.FormatFloat(p, 'g', -1, 64))
		if !ok {
			t.Fatalf("p %v", p)
		}
		x := new(big.Rat).Mul(pr, big.NewRat(n, 100))
		q, m := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
		rank := q.Int64()
		if m.Sign() != 0 {
			rank++
		}
		rank = min(max(rank, 1), n)
		ref := samples[rank-1]
		want := int64(-1)
		for _, b := range h.h.Distribution() {
			if b.Count > 0 && b.From <= ref && ref <= b.To {
				want = min(b.To, samples[n-1])
			}
		}
		if got := h.ValueAt(p); got != usToMS(want) {
			t.Fatalf("n=%d ValueAt(%v) = %v ms, want rank %d: %v ms", n, p, got, rank, usToMS(want))
		}
	})
}
