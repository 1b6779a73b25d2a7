// Package logthrottle keeps an error that repeats on every request from
// flooding the log: a failing disk under load would otherwise write a line
// per click, tens of thousands a second, onto the disk that is failing.
// The metrics count every occurrence; the log says that it happens, and
// how often.
package logthrottle

import (
	"sync"
	"time"
)

// Throttle lets one line through per interval, and counts the rest.
type Throttle struct {
	every time.Duration
	now   func() time.Time

	mu         sync.Mutex
	last       time.Time // when the last line went out; zero: never
	suppressed int
}

// New returns a Throttle that lets a line through at most once every
// interval.
func New(every time.Duration) *Throttle { return &Throttle{every: every, now: time.Now} }

// Allow reports whether a line may be written now and, if so, how many
// were left out since the last one (for the line to say so):
//
//	if n, ok := th.Allow(); ok {
//		log.Error("click not stored", "err", err, "suppressed", n)
//	}
func (t *Throttle) Allow() (suppressed int, ok bool) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.last.IsZero() && now.Sub(t.last) < t.every {
		t.suppressed++
		return 0, false
	}
	n := t.suppressed
	t.last, t.suppressed = now, 0
	return n, true
}
