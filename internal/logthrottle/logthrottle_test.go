package logthrottle

import (
	"testing"
	"time"
)

// TestThrottle: the first line goes out at once; those within the next
// interval are counted, not written; the first one after it says how many
// were left out. Each Throttle is its own.
func TestThrottle(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	stored, other := New(time.Second), New(time.Second)
	stored.now, other.now = clock, clock

	type call struct {
		advance    time.Duration
		th         *Throttle
		want       bool
		suppressed int
	}
	calls := []call{{0, stored, true, 0}}
	for range 998 {
		calls = append(calls, call{0, stored, false, 0})
	}
	calls = append(calls,
		call{0, other, true, 0},                        // its own interval
		call{999 * time.Millisecond, stored, false, 0}, // still within the second
		call{time.Millisecond, stored, true, 999},      // a second after the last line
		call{0, stored, false, 0},
	)
	for i, c := range calls {
		now = now.Add(c.advance)
		n, ok := c.th.Allow()
		if ok != c.want || (ok && n != c.suppressed) {
			t.Fatalf("call %d: Allow() = %d, %v; want %d, %v", i, n, ok, c.suppressed, c.want)
		}
	}
}

// Allow allocates nothing: it is on the request path of an edge whose disk
// is failing.
func TestAllowAllocates(t *testing.T) {
	th := New(time.Hour)
	if n := testing.AllocsPerRun(100, func() { th.Allow() }); n != 0 {
		t.Errorf("Allow allocates %v times", n)
	}
}
