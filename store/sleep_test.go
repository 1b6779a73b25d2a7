package store

import (
	"testing"
	"time"
)

// The group timer waits at least as long as asked, every time (a one-shot
// timer re-armed per wait), and allocates nothing: the leader of every sync
// group waits on it. The zero timer (where timerfd_create fails) waits too.
func TestGroupTimerWaits(t *testing.T) {
	gt := newGroupTimer()
	defer gt.close()
	for _, tm := range []struct {
		name  string
		timer *groupTimer
	}{{"timer", gt}, {"fallback", &groupTimer{}}} {
		for _, d := range []time.Duration{300 * time.Microsecond, time.Microsecond, 2 * time.Millisecond} {
			for range 3 {
				began := time.Now()
				tm.timer.wait(d)
				if el := time.Since(began); el < d {
					t.Fatalf("%s: wait(%v) returned after %v", tm.name, d, el)
				}
			}
		}
	}
	if raceEnabled {
		return // the race detector's instrumentation allocates
	}
	if n := testing.AllocsPerRun(20, func() { gt.wait(time.Microsecond) }); n != 0 {
		t.Fatalf("wait allocates %v times", n)
	}
}
