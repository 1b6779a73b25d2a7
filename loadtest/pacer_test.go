package loadtest

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeSender answers after a delay chosen per slot, in the bubble's fake time.
type fakeSender struct{ delay func(i int64) time.Duration }

func (f fakeSender) send(i int64, _ time.Time) (kind, errKind) {
	time.Sleep(f.delay(i))
	return kind(i % int64(numKinds)), errNone
}

func (fakeSender) describe() string { return "" }

type slotTimes struct{ due, began, end time.Time }

// runFake runs a schedule against a fake sender inside a synctest bubble and
// returns what happened to every slot.
func runFake(t *testing.T, rate float64, n int64, workers int, delay func(int64) time.Duration) (*engine, []slotTimes) {
	t.Helper()
	e := newEngine(schedule{rate: rate, n: n}, workers, 10*time.Second, func() sender { return fakeSender{delay} })
	slots := make([]slotTimes, n)
	var mu sync.Mutex
	e.onDone = func(i int64, due, began, end time.Time) {
		mu.Lock()
		slots[i] = slotTimes{due, began, end}
		mu.Unlock()
	}
	e.run(context.Background(), nil)
	return e, slots
}

func TestScheduleIsExact(t *testing.T) {
	s := schedule{rate: 3}
	for i, want := range []time.Duration{0, 333333333, 666666667, time.Second, 1333333333} {
		if got := s.at(int64(i)); got != want {
			t.Fatalf("at(%d) = %v, want %v", i, got, want)
		}
	}
	// Computed from i, so there is no drift however long the run.
	if got := (schedule{rate: 7}).at(7 * 3600); got != time.Hour {
		t.Fatalf("at(hour) = %v", got)
	}
}

func TestPacerSendsOnSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		e, slots := runFake(t, 100, 50, 4, func(int64) time.Duration { return time.Millisecond })
		for i, s := range slots {
			want := start.Add(time.Duration(i) * 10 * time.Millisecond)
			if !s.due.Equal(want) || !s.began.Equal(want) {
				t.Fatalf("slot %d: due %v began %v, want both %v", i, s.due.Sub(start), s.began.Sub(start), want.Sub(start))
			}
		}
		r := e.result(Options{Rate: 100}, false)
		if r.Requests != 50 || len(r.Errors) != 0 {
			t.Fatalf("requests %d errors %v", r.Requests, r.Errors)
		}
		if r.Latency.P50 != 1 || r.Latency.Max != 1 {
			t.Fatalf("latency %+v, want exactly 1 ms", r.Latency)
		}
		// 50 requests at 100/s fill 0.5 s: the last one's interval too.
		if r.DurationS != 0.5 || r.AchievedRate != 100 {
			t.Fatalf("duration %v, achieved rate %v; want 0.5 s and 100/s", r.DurationS, r.AchievedRate)
		}
	})
}

// A stall of the first requests must neither shift the schedule of the
// later ones nor hide: the slots queued behind it carry the wait.
func TestPacerStallShowsInLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const stall = 500 * time.Millisecond
		start := time.Now()
		e, slots := runFake(t, 100, 100, 2, func(i int64) time.Duration {
			if i < 2 {
				return stall // both workers stuck
			}
			return time.Millisecond
		})
		for i, s := range slots {
			if want := start.Add(time.Duration(i) * 10 * time.Millisecond); !s.due.Equal(want) {
				t.Fatalf("slot %d due at %v, want %v", i, s.due.Sub(start), want.Sub(start))
			}
		}
		// Slot 2 was due at 20 ms, waited for a worker until 500 ms and
		// took 1 ms: 481 ms, not the 1 ms a closed-loop tool would report.
		if got := slots[2].end.Sub(slots[2].due); got != 481*time.Millisecond {
			t.Fatalf("slot 2 latency %v, want 481ms", got)
		}
		// Once the backlog drains, slots start exactly on time again.
		for i := 60; i < 100; i++ {
			if s := slots[i]; !s.began.Equal(s.due) {
				t.Fatalf("slot %d began %v after its due time", i, s.began.Sub(s.due))
			}
		}
		r := e.result(Options{Rate: 100}, false)
		if r.DurationS != 1 {
			t.Fatalf("run took %vs: the stall stretched the schedule", r.DurationS)
		}
		if !near(r.Latency.Max, 500) || r.Latency.P99 < 400 || r.Latency.P90 < 100 {
			t.Fatalf("latency %+v: the stall does not show", r.Latency)
		}
	})
}

func TestPacerStopsOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		e := newEngine(schedule{rate: 10, n: 1000}, 4, time.Second, func() sender {
			return fakeSender{func(int64) time.Duration { return time.Millisecond }}
		})
		go func() {
			time.Sleep(time.Second + time.Millisecond/2)
			cancel()
		}()
		e.run(ctx, nil)
		r := e.result(Options{Rate: 10}, ctx.Err() != nil)
		if r.Requests != 11 || !r.Stopped || r.Errors[errNotSent] != 0 {
			t.Fatalf("requests %d stopped %v errors %v, want 11 (slots 0..1s), stopped, no not_sent", r.Requests, r.Stopped, r.Errors)
		}
	})
}

// A target that never catches up cannot stretch the run forever: slots not
// begun within the grace period after the last due time are not sent.
func TestPacerGivesUpWhenHopelesslyBehind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		e := newEngine(schedule{rate: 100, n: 100}, 1, time.Second, func() sender {
			return fakeSender{func(int64) time.Duration { return 100 * time.Millisecond }}
		})
		e.run(context.Background(), nil)
		r := e.result(Options{Rate: 100}, false)
		if took := time.Since(start); took > 2200*time.Millisecond {
			t.Fatalf("run took %v", took)
		}
		if r.Requests+r.Errors[errNotSent] != 100 || r.Errors[errNotSent] == 0 {
			t.Fatalf("requests %d, errors %v", r.Requests, r.Errors)
		}
	})
}

func TestProgressSnapshot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var got []snapshot
		e := newEngine(schedule{rate: 10, n: 25}, 1, time.Minute, func() sender {
			return fakeSender{func(int64) time.Duration { return 150 * time.Millisecond }}
		})
		e.run(context.Background(), func(s snapshot) { got = append(got, s) })
		if len(got) != 3 {
			t.Fatalf("%d ticks, want 3 (at 1s, 2s, 3s)", len(got))
		}
		// At 1s: 11 slots due, one worker taking 150 ms each has begun 7.
		if s := got[0]; s.completed != 6 || s.inFlight != 1 || s.behind != 4 {
			t.Fatalf("first tick %+v", s)
		}
	})
}

func TestPaceCallsOnSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var mu sync.Mutex
		got := map[int64][2]time.Time{}
		Pace(context.Background(), 50, 20, 1, func(i int64, due time.Time) {
			mu.Lock()
			got[i] = [2]time.Time{due, time.Now()}
			mu.Unlock()
			if i == 0 {
				time.Sleep(100 * time.Millisecond) // the only worker stalls
			}
		})
		if len(got) != 20 {
			t.Fatalf("%d calls, want 20", len(got))
		}
		for i, c := range got {
			if want := start.Add(time.Duration(i) * 20 * time.Millisecond); !c[0].Equal(want) {
				t.Fatalf("slot %d due %v, want %v", i, c[0].Sub(start), want.Sub(start))
			}
		}
		// Slots 1..5 came due during the stall and ran at once after it.
		if late := got[3][1].Sub(got[3][0]); late != 40*time.Millisecond {
			t.Fatalf("slot 3 started %v after its due time, want 40ms", late)
		}
		if !got[19][1].Equal(got[19][0]) {
			t.Fatal("slot 19 not on time")
		}
	})
	Pace(context.Background(), 0, 10, 1, func(int64, time.Time) { t.Fatal("called at rate 0") })
	Pace(context.Background(), 10, 10, 1, nil)
}
