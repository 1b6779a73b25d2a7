package loadtest

import (
	"math"
	"sync"
	"testing"
	"time"
)

// near allows the histogram's 3-significant-digit resolution.
func near(got, want float64) bool { return math.Abs(got-want) <= want*0.001+0.001 }

func TestHistogramPercentiles(t *testing.T) {
	h := NewHistogram()
	if got := h.Percentiles(); got != (Percentiles{}) || h.Count() != 0 {
		t.Fatalf("empty histogram: %+v, count %d", got, h.Count())
	}
	for ms := 1; ms <= 1000; ms++ {
		h.Record(time.Duration(ms) * time.Millisecond)
	}
	p := h.Percentiles()
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"p50", p.P50, 500}, {"p90", p.P90, 900}, {"p99", p.P99, 990}, {"p999", p.P999, 999}, {"max", p.Max, 1000}} {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v ms, want %v", c.name, c.got, c.want)
		}
	}
	if h.Count() != 1000 {
		t.Errorf("count = %d", h.Count())
	}
	if got := h.ValueAt(50); !near(got, 500) {
		t.Errorf("ValueAt(50) = %v", got)
	}
	if got := h.Min(); !near(got, 1) {
		t.Errorf("Min = %v", got)
	}
}

func TestHistogramClampsAndRounds(t *testing.T) {
	h := NewHistogram()
	h.Record(-time.Second) // a clock step must not lose the sample
	h.Record(400 * time.Nanosecond)
	h.Record(3 * time.Hour) // beyond range: kept as two hours
	if h.Count() != 3 {
		t.Fatalf("count = %d, want 3", h.Count())
	}
	if got := h.Percentiles().Max; !near(got, 7.2e6) {
		t.Fatalf("max = %v ms, want 7,200,000", got)
	}
	small := NewHistogram()
	small.Record(1500 * time.Nanosecond) // rounds to 2 µs
	if got := small.Percentiles().P50; got != 0.002 {
		t.Fatalf("p50 = %v ms, want 0.002", got)
	}
}

func TestHistogramMerge(t *testing.T) {
	a, b := NewHistogram(), NewHistogram()
	for range 90 {
		a.Record(time.Millisecond)
	}
	for range 10 {
		b.Record(100 * time.Millisecond)
	}
	a.Merge(b)
	a.Merge(a)   // merging into itself is a no-op, not a deadlock
	a.Merge(nil) // nor a panic
	if a.Count() != 100 || b.Count() != 10 {
		t.Fatalf("counts %d, %d", a.Count(), b.Count())
	}
	p := a.Percentiles()
	if !near(p.P50, 1) || !near(p.P90, 1) || !near(p.P99, 100) || !near(p.Max, 100) {
		t.Fatalf("merged percentiles %+v", p)
	}
}

func TestHistogramConcurrent(t *testing.T) {
	h, o := NewHistogram(), NewHistogram()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				h.Record(time.Duration(w*1000+i) * time.Microsecond)
				if i%100 == 0 {
					o.Merge(h) // merges race with records without harm
				}
			}
		})
	}
	wg.Wait()
	if h.Count() != 8000 {
		t.Fatalf("count = %d", h.Count())
	}
}
