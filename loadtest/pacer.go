package loadtest

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// schedule is the open-loop arrival plan: slot i is due at start + i/rate.
type schedule struct {
	rate float64
	n    int64 // slots in the run
}

// at is slot i's offset from the start. It is computed from i, not by adding
// an interval again and again, so rounding never accumulates into drift.
func (s schedule) at(i int64) time.Duration {
	return time.Duration(math.Round(float64(i) * float64(time.Second) / s.rate))
}

// sender sends slot i and says what kind of request it was and how it went.
// Each worker owns one sender, so a sender needs no locking.
type sender interface {
	send(i int64, due time.Time) (kind, errKind)
	// describe says what went wrong with the last send; it is called only
	// for the first failure of each kind, so it may allocate.
	describe() string
}

// engine runs a schedule with a bounded pool of workers. Workers claim slots
// in order from one counter and sleep until a slot is due; when every worker
// is busy the next slot simply waits for one, and because its latency is
// measured from its due time the wait is counted, not hidden.
type engine struct {
	sched     schedule
	workers   int
	grace     time.Duration // how late after the last due time a slot may still start
	newSender func() sender
	onDone    func(i int64, due, began, end time.Time) // tests observe every slot

	start     time.Time
	next      atomic.Int64 // next slot to claim
	started   atomic.Int64 // slots whose request has begun
	completed atomic.Int64
	failed    atomic.Int64
	lastEnd   atomic.Int64 // latest completion, ns after start
	hist      [numKinds]*Histogram
	outcomes  [numKinds][numErrKinds]atomic.Int64
	samples   [numErrKinds]atomic.Pointer[string] // first failure of each kind, for the user
}

func newEngine(sched schedule, workers int, grace time.Duration, newSender func() sender) *engine {
	e := &engine{sched: sched, workers: workers, grace: grace, newSender: newSender}
	for k := range e.hist {
		e.hist[k] = NewHistogram()
	}
	return e
}

// run blocks until every slot has been sent and answered, ctx is cancelled
// (slots not yet begun are skipped, requests in flight finish), or the grace
// period after the last due time has passed. tick, if not nil, is called
// about once a second with the run's progress.
func (e *engine) run(ctx context.Context, tick func(snapshot)) {
	e.start = time.Now()
	stopAt := e.start.Add(e.sched.at(e.sched.n-1) + e.grace)
	workers := int(min(int64(e.workers), e.sched.n))
	var wg sync.WaitGroup
	for range workers {
		s := e.newSender()
		wg.Go(func() { e.work(ctx, s, stopAt) })
	}
	if tick == nil {
		wg.Wait()
		return
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			tick(e.snapshot())
		}
	}
}

func (e *engine) work(ctx context.Context, s sender, stopAt time.Time) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		i := e.next.Add(1) - 1
		if i >= e.sched.n {
			return
		}
		due := e.start.Add(e.sched.at(i))
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		} else if ctx.Err() != nil || time.Now().After(stopAt) {
			// Too far behind: the rest are reported as not sent rather
			// than letting a dead server stretch the run without end.
			return
		}
		began := time.Now()
		e.started.Add(1)
		k, ek := s.send(i, due)
		end := time.Now()
		e.hist[k].Record(end.Sub(due))
		e.outcomes[k][ek].Add(1)
		if ek != errNone {
			e.failed.Add(1)
			if e.samples[ek].Load() == nil {
				d := s.describe()
				e.samples[ek].CompareAndSwap(nil, &d)
			}
		}
		e.completed.Add(1)
		e.noteEnd(end.Sub(e.start))
		if e.onDone != nil {
			e.onDone(i, due, began, end)
		}
	}
}

// Pace calls fn for slots 0..n-1 on an open-loop schedule: slot i is due
// at start + i/rate, at most conns calls run at once, and a slot whose time
// comes while every call is busy runs as soon as one returns. fn gets the
// slot's due time so that it can measure latency from it, as Run does;
// the schedule never waits for fn. Pace returns once every call has
// returned, or once ctx is cancelled and the calls in flight have returned.
// Unlike Run it never gives up on a slot, however far behind it falls.
func Pace(ctx context.Context, rate float64, n int64, conns int, fn func(i int64, due time.Time)) {
	if fn == nil || n <= 0 || !(rate > 0) || math.IsInf(rate, 0) {
		return
	}
	e := newEngine(schedule{rate: rate, n: n}, max(conns, 1), 100*365*24*time.Hour,
		func() sender { return paceSender(fn) })
	e.run(ctx, nil)
}

// paceSender adapts Pace's callback to the engine.
type paceSender func(i int64, due time.Time)

func (f paceSender) send(i int64, due time.Time) (kind, errKind) {
	f(i, due)
	return kindClick, errNone
}

func (paceSender) describe() string { return "" }

func (e *engine) noteEnd(d time.Duration) {
	for {
		old := e.lastEnd.Load()
		if int64(d) <= old || e.lastEnd.CompareAndSwap(old, int64(d)) {
			return
		}
	}
}

// elapsed is the time from the start to the last completion.
func (e *engine) elapsed() time.Duration {
	if d := time.Duration(e.lastEnd.Load()); d > 0 {
		return d
	}
	return time.Since(e.start)
}

// duration is the run's length for its achieved rate: n requests sent on
// schedule fill n intervals of 1/rate (the last one too, or a perfect
// server would be reported faster than asked: 4 requests at 2/s answered
// within 1.5 s), or longer when the answers come later. A stopped run
// lasted as long as it ran.
func (e *engine) duration(stopped bool) time.Duration {
	el := e.elapsed()
	if stopped || e.sched.rate <= 0 {
		return el
	}
	return max(el, time.Duration(float64(e.sched.n)/e.sched.rate*float64(time.Second)))
}

// snapshot is what the progress line shows.
type snapshot struct {
	elapsed           time.Duration
	completed, failed int64
	inFlight, behind  int64
}

func (e *engine) snapshot() snapshot {
	el := time.Since(e.start)
	due := min(e.sched.n, int64(el.Seconds()*e.sched.rate)+1)
	started, completed := e.started.Load(), e.completed.Load()
	return snapshot{
		elapsed:   el,
		completed: completed,
		failed:    e.failed.Load(),
		inFlight:  started - completed,
		behind:    max(0, due-started),
	}
}
