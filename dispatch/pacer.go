package dispatch

import (
	"sync/atomic"
	"time"
)

// pacer spaces one partner's postbacks evenly, at most rate a second,
// across all of its workers (the partner's max_rps). Each send reserves the
// next free slot, one interval after the last reserved one, and waits for
// it. An idle partner's next send goes at once: no burst is saved up while
// it is idle, so the partner never sees more than rate in any second.
type pacer struct {
	interval int64        // nanoseconds between two sends
	next     atomic.Int64 // the next free slot, nanoseconds since epoch
	epoch    time.Time    // monotonic
}

// newPacer returns a pacer for rate sends a second, or nil for no limit.
func newPacer(rate int) *pacer {
	if rate <= 0 {
		return nil
	}
	return &pacer{interval: int64(time.Second) / int64(rate), epoch: time.Now()}
}

// reserve takes the first free slot at or after now (nanoseconds since the
// pacer's epoch) and returns how long to wait for it.
func (p *pacer) reserve(now int64) time.Duration {
	for {
		n := p.next.Load()
		slot := max(n, now)
		if p.next.CompareAndSwap(n, slot+p.interval) {
			return time.Duration(slot - now)
		}
	}
}

// wait reserves a slot and waits on timer (the worker's own, stopped)
// until it comes. It is false, with the slot given up, when retired (the
// sender's, closed also when the dispatcher stops) is closed first.
func (p *pacer) wait(timer *time.Timer, retired <-chan struct{}) bool {
	d := p.reserve(int64(time.Since(p.epoch)))
	if d <= 0 {
		return true
	}
	timer.Reset(d)
	select {
	case <-timer.C:
		return true
	case <-retired:
		timer.Stop()
		return false
	}
}
