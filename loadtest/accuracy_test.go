package loadtest

import (
	"testing"
	"testing/synctest"
	"time"
)

// A perfect server (1 ms answers, always on time) must not be reported as
// faster than the requested rate.
func TestAchievedRateNotAboveRequested(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// -rate 2 -duration 2s: 4 slots at 0, 0.5, 1, 1.5 s.
		o := Options{Rate: 2, Duration: 2 * time.Second}
		e, _ := runFake(t, o.Rate, o.scheduled(), 4, func(int64) time.Duration { return time.Millisecond })
		r := e.result(o, false)
		if r.AchievedRate > o.Rate*1.01 {
			t.Fatalf("achieved_rate %.3f req/s > requested %v (duration_s %.3f for a %v run)", r.AchievedRate, o.Rate, r.DurationS, o.Duration)
		}
	})
}

// p99.9 of 600 samples: 0.1% of 600 = 0.6 samples lie above it, so it can
// only be the largest sample (nearest rank ceil(0.999*600) = 600). Likewise
// p90 of 1..6 ms is the 6th value (ceil(5.4) = 6).
func TestPercentileNearestRank(t *testing.T) {
	h := NewHistogram()
	for ms := 1; ms <= 600; ms++ {
		h.Record(time.Duration(ms) * time.Millisecond)
	}
	if p := h.Percentiles(); !near(p.P999, 600) {
		t.Errorf("p99.9 of 1..600 ms = %v, want 600 (max %v)", p.P999, p.Max)
	}
	g := NewHistogram()
	for ms := 1; ms <= 6; ms++ {
		g.Record(time.Duration(ms) * time.Millisecond)
	}
	if p := g.Percentiles(); p.P90 != 6 {
		t.Errorf("p90 of 1..6 ms = %v, want 6: 1 of 6 samples (17%%) lies above it", p.P90)
	}
}

// A server that answers in 9 s (under the 10 s timeout) at 10 req/s with one
// connection falls minutes behind within a 10-minute run (runs up to 1 h are
// allowed); the latency from the intended start must show it.
func TestLatencyOverAMinuteNotClamped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, slots := runFake(t, 10, 6000, 1, func(int64) time.Duration { return 9 * time.Second })
		var worst time.Duration
		for _, s := range slots {
			if !s.end.IsZero() {
				worst = max(worst, s.end.Sub(s.due))
			}
		}
		r := e.result(Options{Rate: 10}, false)
		if r.Latency.Max < worst.Seconds()*1000*0.99 {
			t.Fatalf("reported max %v ms, but a request was answered %v after its intended start", r.Latency.Max, worst)
		}
	})
}

// withDefaults must refuse a negative impression weight as it refuses the
// other negative weights; otherwise a mix adding up to zero reaches kindOf.
func TestNegativeImpressionWeightRefused(t *testing.T) {
	o, err := Options{Target: "http://127.0.0.1:1", Rate: 1, Duration: time.Second,
		Mix: Mix{Click: 1, Impression: -1}}.withDefaults()
	if err != nil {
		return // refused: fine
	}
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("Mix %+v accepted by withDefaults, then kindOf panics: %v", o.Mix, p)
		}
	}()
	newTraffic(o, 1, "h", "").kindOf(0)
}
