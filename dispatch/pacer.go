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
	after    atomic.Int64 // one interval after the latest slot sent in (0: none)
	epoch    time.Time    // monotonic
}

// successor returns a pacer for p's rate whose first slot is one interval
// after p's latest send: a reload that replaces a partner's sender keeps
// its pace, without the turns p's waiting workers gave up.
func (p *pacer) successor() *pacer {
	q := &pacer{interval: p.interval, epoch: p.epoch}
	q.next.Store(p.after.Load())
	return q
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
	now := int64(time.Since(p.epoch))
	d := p.reserve(now)
	if d > 0 {
		timer.Reset(d)
		select {
		case <-timer.C:
		case <-retired:
			timer.Stop()
			return false
		}
	}
	for end := now + int64(max(d, 0)) + p.interval; ; {
		if a := p.after.Load(); a >= end || p.after.CompareAndSwap(a, end) {
			return true
		}
	}
}
