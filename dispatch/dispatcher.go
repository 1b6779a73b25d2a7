package dispatch

// The postback dispatcher.
//
// The obvious design — the conversion handler sends the postback itself, or
// hands it to a goroutine — loses postbacks: a partner that is down for an
// hour, or an edge restart, and they are gone. So a postback is an outbox
// entry written in the same Pebble batch as the conversion that caused it,
// and the dispatcher is the only thing that ever sends one. It is built from
// three parts that talk over channels:
//
//   - the scheduler walks the due part of the outbox's pending index, skips
//     entries already in flight, and hands each to its partner's queue. It
//     wakes when a conversion commits (Notify), when a full partner queue
//     has drained to half, when a retry is recorded, and otherwise when the
//     next entry is due, at most a second later.
//   - each partner has its own bounded queue, its own workers (max_conns of
//     them) and its own fasthttp client with keep-alive connections, so a
//     partner that hangs fills only its own queue and its own connections:
//     the others' postbacks go out as before. A breaker stops sending to a
//     partner after consecutive retryable failures and reschedules its due
//     postbacks instead, so a dead host is not hammered and its backlog
//     costs one write per postback per breaker period.
//   - the recorder collects the workers' results, lets them gather for a
//     few milliseconds, and writes them back in one batch (delivered,
//     rescheduled with backoff, or failed), so the cost of a commit and its
//     fsync is shared by every postback that finished meanwhile.
//
// A postback is deleted from the pending index only in the batch that
// records its success or final failure. A crash between sending and
// recording means it is sent again after restart: delivery is at least
// once, and partners dedupe by {event_id}.
//
// The scheduler's first version read the index from time 0 in batches of a
// few thousand on every wake-up. Three things broke it, and the fix for
// the third needed a fourth:
//
//   - Staleness. A Pebble iterator is a snapshot. When the recorder moved a
//     postback (delivered, or retried later) and dropped it from the
//     in-flight set while a scan that began before the move was still
//     running, the scan met the old index entry, found it idle and sent it
//     again; recording that second attempt "moved" an entry that was no
//     longer there and left it indexed twice. So the recorder no longer
//     frees what it recorded: it lists the ids, and the scheduler frees them
//     at the start of its next pass, before it opens the iterator that can
//     no longer see the old entries.
//   - Head-of-line blocking. A hanging partner's postbacks sit at the front
//     of the index, in flight or refused by its full queue; a batch-limited
//     scan from 0 saw only those, and other partners' postbacks waited. Now
//     a pass walks every due entry, skipping a full partner's after peeking
//     at the partner name (no decode), and stops early only when every
//     partner's queue is full.
//   - Tombstones. A delivered postback leaves a deletion in the pending
//     index until compaction; scanning from 0 walked every deletion of the
//     last minutes on every wake-up, quadratic in the delivery rate. A pass
//     now starts where the last one ended, lowered by anything put behind
//     it since: conversions (after a Notify, lateMargin back: they take
//     their due time before their batch commits), a queue that was full, an
//     attempt recorded late, a redrive, a released task. Every
//     fullScanEvery a pass starts from 0 as a backstop.
//   - Late windows. Reading lateMargin back on every Notify walked a
//     quarter second of deletions and entries in flight (thousands at a
//     high delivery rate) before the pass reached the new conversions, and
//     a busy edge notifies dozens of times a second. Now a pass reads
//     forwards from where the last one ended first, and reads the late
//     window behind that (one window for every Notify since) only when the
//     queues still have room; a window that has waited lateDeferPasses
//     passes is read first, as a carry.
//
// A pass that stops before the end — every queue full, or BatchSize handed
// out — remembers the exact entry (time and id) it stopped at, and the next
// one resumes there with a seek (store.OutboxScanFrom): a batch of
// conversions shares one millisecond, thousands of entries mostly in flight
// or already deleted, and re-reading that millisecond from its start on
// every pass walked them all again. (An earlier version read the
// millisecond's tail backwards down to the entry into a buffer, copying
// every payload, and forwards from its start when the tail was too long.)
//
// A full partner's skipped entries are its own sender's to resume
// (sender.resume), not the pass's: a pass that resumed at the first of them
// read the partner's whole remaining backlog again each time its queue
// drained to half, whenever another partner's queue had room, which an
// idle partner's always has. Draining n postbacks read about n²/16 entries
// (a redrive of 160k took 38 s of a core instead of 5). Now a pass first
// lets each sender with room read on from its own first skipped entry
// until its queue is full again (resumeSender), then reads forwards from
// where the last pass ended.
//
// Senders are made and retired by the scheduler alone, so a queue is never
// closed under a send; SetConfig only publishes the compiled partners, which
// workers read at each attempt, so a changed template applies to every
// postback not yet sent.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/store"
)

// Options configure New.
type Options struct {
	Store   *store.Store
	Config  *config.Config
	Logger  *slog.Logger
	Version string // sent as User-Agent: clickedge/<version>
	// BatchSize is how many postbacks one scheduler pass hands out at most
	// before it yields, and how many results one store batch records at most.
	BatchSize int
	// DeliveredRetention is how long delivered postbacks stay listable.
	DeliveredRetention time.Duration
	// FailedRetention is how long failed postbacks are kept for redrive
	// after they failed.
	FailedRetention time.Duration
	Now             func() time.Time
}

const (
	// lateMargin is how far before the previous pass a pass starts: a
	// conversion takes its due time before its batch commits.
	lateMargin = 250 * time.Millisecond
	// fullScanEvery is how often a pass reads the pending index from 0,
	// catching entries put further back than anything tracks.
	fullScanEvery = 30 * time.Second
	// recordLinger is how long the recorder lets results gather (unless
	// every postback in flight is in the batch already). 1ms made ~3x the
	// commits, each with its fsync, for no gain; 3ms measured better, 6ms
	// no better than 3.
	recordLinger = 3 * time.Millisecond
	// lateDeferPasses is how many passes a late window waits at most for a
	// pass whose queues have room.
	lateDeferPasses = 64
)

// Dispatcher delivers the store's pending postbacks. Start it once; Stop
// waits for attempts in flight and records them.
type Dispatcher struct {
	st        *store.Store
	log       *slog.Logger
	now       func() time.Time
	wallClock bool // now is time.Now: see clock
	o         Options

	partners atomic.Pointer[partnerSet]

	wake      chan struct{}
	results   chan result
	stop      chan struct{}
	stopOnce  sync.Once
	started   atomic.Bool
	schedDone chan struct{}  // closed when the scheduler has returned
	wg        sync.WaitGroup // the scheduler and the recorder
	workers   sync.WaitGroup // every sender's workers, retired ones included

	// inFlight holds the ids handed to a worker or the recorder and not yet
	// freed; done, the recorded ones the scheduler frees at its next pass
	// (see the file comment).
	mu       sync.Mutex
	inFlight map[uint64]struct{}
	done     []uint64

	// rescanFrom is the lowest index position (unix ms) at which a due entry
	// may have appeared since the scheduler's last pass began; MaxInt64: none.
	rescanFrom atomic.Int64
	// notified is set by Notify: new entries may sit up to lateMargin
	// behind the last pass.
	notified atomic.Bool
	// notifiedFrom is the earliest due time NotifyDue was told of since
	// the last pass read it; MaxInt64: none.
	notifiedFrom atomic.Int64

	depth     atomic.Int64 // pending postbacks, for the queue-depth gauge
	redriveMu sync.Mutex

	// The scheduler goroutine's own state.
	senders    map[string]*sender
	sendersFor *partnerSet
	passNo     uint64
	lastPassAt int64  // unix ms
	lastFullAt int64  // unix ms; 0: never
	carry      pos    // lowest position left due by the last pass
	lateFrom   int64  // unix ms: a late window not yet read; MaxInt64: none
	lateSince  uint64 // the pass that opened it
	visits     uint64 // pending entries the passes have read (tests read it after Stop)
	out        []result

	recBuf []byte // the recorder's encoding buffer
}

// partnerSet is one config's partners, compiled.
type partnerSet struct {
	cfg    *config.Config
	byName map[string]*Partner
}

// result is one finished attempt (or a decision made without one), on its
// way to the recorder.
type result struct {
	id      uint64
	job     *Job   // nil for an entry that could not be decoded
	raw     []byte // that entry's payload, kept as it was
	dueAt   int64  // the index position the entry was read at
	outcome outcome
	next    int64 // unix ms of the next try, for retry
	attempt Attempt
	tried   bool       // attempt is set
	enc     encodedJob // job's payload as read, when kept
}

// New returns a dispatcher over o.Store; Start begins delivery.
func New(o Options) *Dispatcher {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	wallClock := o.Now == nil
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 512
	}
	if o.DeliveredRetention <= 0 {
		o.DeliveredRetention = 7 * 24 * time.Hour
	}
	if o.FailedRetention <= 0 {
		// The longest click_lookback: a partner takes a postback for its
		// click no later, so a redrive past it would be refused anyway.
		o.FailedRetention = 30 * 24 * time.Hour
	}
	d := &Dispatcher{
		st: o.Store, log: o.Logger, now: o.Now, wallClock: wallClock, o: o,
		wake:      make(chan struct{}, 1),
		results:   make(chan result, 4096),
		stop:      make(chan struct{}),
		schedDone: make(chan struct{}),
		inFlight:  make(map[uint64]struct{}),
		senders:   make(map[string]*sender),
		carry:     noPos,
		lateFrom:  math.MaxInt64,
	}
	d.rescanFrom.Store(math.MaxInt64)
	d.notifiedFrom.Store(math.MaxInt64)
	if o.Config != nil {
		d.partners.Store(compileSet(o.Config))
	} else {
		d.partners.Store(&partnerSet{cfg: &config.Config{}, byName: map[string]*Partner{}})
	}
	return d
}

// Start counts the pending postbacks and starts delivering them.
func (d *Dispatcher) Start() error {
	if d.started.Swap(true) {
		return errors.New("dispatch: start: already started")
	}
	n, err := d.st.OutboxCount(store.QueuePostback, store.StatusPending)
	if err != nil {
		return fmt.Errorf("dispatch: start: %w", err)
	}
	d.depth.Store(n)
	queueDepth.Report(d.depth.Load)
	d.wg.Add(2)
	go d.schedule()
	go d.record()
	return nil
}

// Stop stops scheduling, lets attempts on the wire finish (bounded by their
// partner's timeout), records them, and returns. Postbacks queued but not
// yet sent stay pending for the next start.
func (d *Dispatcher) Stop(ctx context.Context) error {
	d.stopOnce.Do(func() { close(d.stop) })
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("dispatch: stop: %w", ctx.Err())
	}
}

// clock returns the dispatcher's time at wall, a time.Now reading: wall
// itself unless Options.Now was given (tests), so that a worker that reads
// the wall clock for a latency need not read it again.
func (d *Dispatcher) clock(wall time.Time) time.Time {
	if d.wallClock {
		return wall
	}
	return d.now()
}

func (d *Dispatcher) stopping() bool {
	select {
	case <-d.stop:
		return true
	default:
		return false
	}
}

// Notify tells the dispatcher that n postbacks were just committed, due no
// earlier than lateMargin before its last pass.
func (d *Dispatcher) Notify(n int) {
	d.depth.Add(int64(n))
	d.notified.Store(true)
	d.wakeUp()
}

// NotifyDue is Notify for postbacks due at firstDue (unix ms) or later: a
// conversion takes its due time when its request begins, and may commit
// much later (behind a batch of thousands of lines, through a write stall).
// The pass reads its late window from there, not only lateMargin back,
// which left such a postback to the next full scan, up to fullScanEvery.
func (d *Dispatcher) NotifyDue(n int, firstDue int64) {
	for {
		cur := d.notifiedFrom.Load()
		if firstDue >= cur || d.notifiedFrom.CompareAndSwap(cur, firstDue) {
			break
		}
	}
	d.Notify(n)
}

func (d *Dispatcher) wakeUp() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// lowerRescan records that a due entry may sit at position at.
func (d *Dispatcher) lowerRescan(at int64) {
	for {
		cur := d.rescanFrom.Load()
		if at >= cur || d.rescanFrom.CompareAndSwap(cur, at) {
			return
		}
	}
}

// SetConfig swaps in a reloaded config. Templates apply at once, to every
// postback not yet sent; the scheduler keeps the sender (queue, workers,
// connections) of each partner whose timeout and max_conns are unchanged
// and replaces the others, whose queued postbacks it hands to the new ones.
func (d *Dispatcher) SetConfig(cfg *config.Config) {
	d.partners.Store(compileSet(cfg))
	d.wakeUp()
}

func compileSet(cfg *config.Config) *partnerSet {
	ps := &partnerSet{cfg: cfg, byName: make(map[string]*Partner, len(cfg.Partners))}
	for name, p := range cfg.Partners {
		ps.byName[name] = CompilePartner(p)
	}
	return ps
}

// partnerFor returns the compiled partner that renders j: the current
// config's, or, for a partner it no longer has, the one s was made for.
func (d *Dispatcher) partnerFor(s *sender, j *Job) *Partner {
	if p := d.partners.Load().byName[j.Partner]; p != nil {
		return p
	}
	return s.partner.Load()
}

// schedule is the scheduler loop; see the file comment.
func (d *Dispatcher) schedule() {
	defer d.wg.Done()
	defer close(d.schedDone)
	timer := time.NewTimer(0)
	defer timer.Stop()
	var lastPrune time.Time
	for {
		select {
		case <-d.stop:
			d.retireSenders(nil)
			return
		case <-d.wake:
		case <-timer.C:
		}
		d.syncSenders()
		wait := d.pass()
		if now := d.now(); now.Sub(lastPrune) > time.Hour {
			d.prune(now)
			lastPrune = now
		}
		timer.Reset(wait)
	}
}

// syncSenders makes the senders match the current partner set.
func (d *Dispatcher) syncSenders() {
	ps := d.partners.Load()
	if ps == d.sendersFor {
		return
	}
	for name, p := range ps.byName {
		s := d.senders[name]
		moved := s != nil && templateHosts(s.partner.Load().Config) != templateHosts(p.Config)
		if s != nil && s.sameConfig(p.Config, ps.cfg.AllowPrivateTargets) {
			if moved {
				s.resetBreaker() // the old host's health is not the new one's
			}
			s.partner.Store(p)
			continue
		}
		var pace *pacer
		if s != nil {
			s.retire()
			if s.pace != nil && s.maxRPS == p.Config.MaxRPS {
				pace = s.pace.successor() // the partner's pace goes on
			}
		}
		ns := newSender(d, name, p, ps.cfg.AllowPrivateTargets, pace)
		if s != nil {
			ns.resume = s.resume
		}
		if s != nil && !moved {
			// The partner's health goes on, as its pace does: a reload that
			// lowers max_conns for a struggling partner had reset its
			// breaker, Retry-After included, and sent to it at once.
			ns.inheritBreaker(s)
		}
		d.senders[name] = ns
	}
	d.retireSenders(ps.byName)
	d.sendersFor = ps
}

// retireSenders retires the senders of partners not in keep (nil: all).
func (d *Dispatcher) retireSenders(keep map[string]*Partner) {
	for name, s := range d.senders {
		if keep[name] == nil {
			d.carry = min2(d.carry, s.resume)
			s.retire()
			delete(d.senders, name)
			if keep != nil {
				// A reload removed the partner: its series go, or an
				// edge whose partners are renamed through reloads
				// exports every partner it ever had, frozen.
				dropDeliveryHistogram(name)
			}
		}
	}
}

// claim marks id in flight; false when it already is.
func (d *Dispatcher) claim(id uint64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, busy := d.inFlight[id]; busy {
		return false
	}
	d.inFlight[id] = struct{}{}
	return true
}

// release frees a task that was not attempted: nothing was written, so it
// is due again where it was.
func (d *Dispatcher) release(t task) {
	if now := d.now().UnixMilli(); t.dueAt > now {
		// The clock went back since the pass read it, and redate left it
		// to the recorder as in flight: have the recorder move it back to
		// now, or it waits out the step.
		d.results <- result{id: t.job.ID, job: t.job, dueAt: t.dueAt, outcome: retry, next: now}
		return
	}
	d.mu.Lock()
	delete(d.inFlight, t.job.ID)
	d.mu.Unlock()
	putJob(t.job)
	d.lowerRescan(t.dueAt)
	d.wakeUp()
}

// pos is a place in the pending index: its time, then its id.
type pos struct{ at, id int64 }

var noPos = pos{math.MaxInt64, math.MaxInt64}

func (p pos) less(q pos) bool { return p.at < q.at || p.at == q.at && p.id < q.id }

// passState is one pass's progress.
type passState struct {
	now    int64
	open   int // senders whose queue has room
	handed int
	more   bool  // stopped at BatchSize: go again at once
	full   bool  // stopped because every queue was full
	next   int64 // the first entry not yet due; 0: none seen
	done   bool  // stop scanning
}

// pass hands due postbacks to their partners' queues and returns how long
// the scheduler may sleep.
func (d *Dispatcher) pass() time.Duration {
	ps := passState{now: d.now().UnixMilli(), open: len(d.senders)}

	// Free what the recorder wrote: the iterator opened below sees it.
	d.mu.Lock()
	for _, id := range d.done {
		delete(d.inFlight, id)
	}
	d.done = d.done[:0]
	d.mu.Unlock()

	// The last pass saw everything due then. Since: conversions committed
	// (at most lateMargin behind it: see lateFrom), and what rescanFrom and
	// carry say.
	from := d.lastPassAt + 1
	if d.notified.Swap(false) {
		if d.lateFrom == math.MaxInt64 {
			d.lateSince = d.passNo
		}
		d.lateFrom = min(d.lateFrom, d.lastPassAt-lateMargin.Milliseconds(), d.notifiedFrom.Swap(math.MaxInt64))
	}
	from = min(from, d.rescanFrom.Swap(math.MaxInt64))
	if back := d.lastPassAt - ps.now; back > clockStepBack.Milliseconds() {
		d.redate(ps.now, back)
	}
	if d.lastFullAt == 0 || ps.now-d.lastFullAt >= fullScanEvery.Milliseconds() || ps.now < d.lastPassAt {
		// First, periodic, or the clock went back: from 0.
		from, d.lastFullAt, d.lateFrom = 0, ps.now, math.MaxInt64
	}
	carry := d.carry
	if d.lateFrom != math.MaxInt64 && d.passNo-d.lateSince >= lateDeferPasses {
		// Busy for too long: read the late window first, as a carry.
		carry = min2(carry, pos{d.lateFrom, 0})
		d.lateFrom = math.MaxInt64
	}
	d.lastPassAt, d.carry = ps.now, noPos
	d.passNo++

	// The last pass may have stopped inside a millisecond where a batch of
	// conversions put thousands, most of them now in flight: resume at the
	// exact entry it stopped at, so that those before it are not read
	// again.
	start := pos{from, 0}
	if carry.less(start) {
		start = carry
	}
	scan := func(from, to pos) error {
		return d.st.OutboxScanFrom(store.QueuePostback, store.StatusPending, from.at, uint64(from.id), to.at, uint64(to.id), func(e store.OutboxEntry) bool {
			d.visit(&ps, e)
			return !ps.done
		})
	}
	var err error
	for name, s := range d.senders {
		if ps.done || err != nil {
			break
		}
		if s.resume == noPos {
			continue
		}
		if !s.resume.less(start) {
			s.resume = noPos // the pass below reads it
			continue
		}
		if len(s.queue) < cap(s.queue) {
			err = d.resumeSender(&ps, s, name, start)
		} else {
			// Full, with a backlog behind start that no scan of this
			// pass tries to enqueue: ask to be woken when it has room
			// (its last fill may have stopped on BatchSize, not on a
			// refused enqueue, and not asked).
			s.markFull(d.passNo)
		}
	}
	if ps.more {
		// BatchSize handed out in a resumption: the next pass reads
		// from start.
		d.carry = min2(d.carry, start)
	} else if err == nil {
		ps.done = false
		err = scan(start, noPos)
	}
	if err == nil && d.lateFrom != math.MaxInt64 && !ps.full && !ps.more {
		// The queues have room: read the late window behind start too.
		// (When they are full it can wait for a pass that has room, or
		// lateDeferPasses, rather than be walked, deletions and entries
		// in flight, on every Notify.)
		late := pos{d.lateFrom, 0}
		d.lateFrom = math.MaxInt64
		if late.less(start) {
			ps.done = false
			err = scan(late, start)
		}
	}
	d.flush()
	if err != nil {
		d.log.Error("dispatch: scan failed", "err", err)
		d.lastFullAt = 0 // start over from 0
		return time.Second
	}
	switch {
	case ps.more:
		return 0
	case ps.next > 0:
		now := d.now().UnixMilli()
		return min(time.Second, time.Duration(max(ps.next-now, 1))*time.Millisecond)
	}
	return time.Second
}

// clockStepBack is how far the clock must go back between two passes for
// the pending postbacks' due times to be moved back with it.
const clockStepBack = time.Second

// redateBatch bounds one transaction of redate.
const redateBatch = 10000

// redate moves back by back (milliseconds) every pending postback due after
// now, but not before now: the clock was stepped back (NTP correcting a
// clock that ran ahead), and a retry put at its time plus a backoff would
// otherwise wait out the step, hours or days past max_interval, while
// postbacks queued after it went at once. What each had left to wait is
// kept. Those in flight are left to the recorder, which moves them.
func (d *Dispatcher) redate(now, back int64) {
	d.log.Warn("dispatch: the clock went back; pending postbacks are moved back with it", "by", time.Duration(back)*time.Millisecond)
	for _, s := range d.senders {
		s.redateBreaker(now, back)
	}
	type entry struct {
		at      int64
		id      uint64
		payload []byte
	}
	from, fromID := now+1, uint64(0)
	for {
		var batch []entry
		read := 0
		d.mu.Lock()
		err := d.st.OutboxScanFrom(store.QueuePostback, store.StatusPending, from, fromID, math.MaxInt64, 0, func(e store.OutboxEntry) bool {
			from, fromID = e.At, e.ID+1 // resume past it
			if _, busy := d.inFlight[e.ID]; !busy {
				batch = append(batch, entry{e.At, e.ID, append([]byte(nil), e.Payload...)})
			}
			read++
			return read < redateBatch
		})
		d.mu.Unlock()
		if err == nil && len(batch) > 0 {
			err = d.st.Update(func(w *store.Writer) error {
				for _, e := range batch {
					w.OutboxMove(store.QueuePostback, e.id, store.StatusPending, e.at, store.StatusPending, max(now, e.at-back), e.payload)
				}
				return nil
			})
		}
		if err != nil {
			d.log.Error("dispatch: moving pending postbacks back with the clock", "err", err)
			return
		}
		if read < redateBatch {
			return
		}
	}
}

// visit decides what to do with one pending entry met by a pass.
func (d *Dispatcher) visit(ps *passState, e store.OutboxEntry) {
	d.visits++
	p := pos{e.At, int64(e.ID)}
	if e.At > ps.now {
		ps.next, ps.done = e.At, true
		return
	}
	if d.stopping() {
		d.carry, ps.done = min2(d.carry, p), true
		return
	}
	name, ok := peekPartner(e.Payload)
	s := d.senders[string(name)]
	if ok && s != nil && s.fullPass == d.passNo {
		// Left to s's own resumption (resumeSender) once it has room: the
		// next pass need not read it, nor the rest of s's backlog, again.
		s.resume = min2(s.resume, p)
		return
	}
	if !d.claim(e.ID) {
		return
	}
	j := getJob()
	var enc encodedJob
	var err error
	if ok {
		enc, err = decodeJob(e.Payload, j)
	}
	if !ok || err != nil {
		putJob(j)
		d.log.Error("dispatch: undecodable postback moved to failed", "id", e.ID)
		d.emit(result{id: e.ID, raw: append([]byte(nil), e.Payload...), dueAt: e.At, outcome: fail})
		return
	}
	switch {
	case s == nil && d.partners.Load().byName[j.Partner] != nil:
		// A reload added the partner since this pass synced its senders:
		// the next pass, which will have one, takes it.
		d.mu.Lock()
		delete(d.inFlight, e.ID)
		d.mu.Unlock()
		putJob(j)
		d.carry = min2(d.carry, p)
		return
	case s == nil:
		// The partner left the config: nothing can render this.
		d.emit(result{id: j.ID, job: j, dueAt: e.At, outcome: fail, tried: true,
			attempt: Attempt{Time: ps.now, Error: "partner not configured"}})
		return
	case s.breakerOpenUntil(ps.now) > 0:
		d.emit(s.heldBack(j, e.At, ps.now))
		return
	}
	if !s.enqueue(task{job: j, dueAt: e.At, enc: enc}) {
		d.mu.Lock()
		delete(d.inFlight, e.ID)
		d.mu.Unlock()
		putJob(j)
		s.markFull(d.passNo)
		s.resume = min2(s.resume, p)
		if ps.open--; ps.open == 0 {
			d.carry = min2(d.carry, p)
			ps.done, ps.full = true, true // every queue is full: the rest can wait
		}
		return
	}
	if ps.handed++; ps.handed >= d.o.BatchSize {
		// Yield (Stop, prunes) and come back at once for the rest.
		d.carry = min2(d.carry, pos{e.At, int64(e.ID) + 1})
		ps.more, ps.done = true, true
	}
}

// resumeSender hands s the due entries it skipped while its queue was full,
// from the first of them, until its queue is full again or the scan reaches
// to, where the pass's own scan begins. Other partners' entries before to
// were handed out or are their own senders' to resume.
func (d *Dispatcher) resumeSender(ps *passState, s *sender, name string, to pos) error {
	from := s.resume
	s.resume = noPos
	carry := d.carry
	return d.st.OutboxScanFrom(store.QueuePostback, store.StatusPending, from.at, uint64(from.id), to.at, uint64(to.id), func(e store.OutboxEntry) bool {
		if n, ok := peekPartner(e.Payload); ok && string(n) != name {
			return true
		}
		d.visit(ps, e)
		if s.fullPass == d.passNo {
			return false // visit set s.resume
		}
		if ps.more {
			s.resume, d.carry = pos{e.At, int64(e.ID) + 1}, carry
			return false
		}
		if ps.done { // stopping, or not due
			if e.At <= ps.now {
				s.resume = min2(s.resume, pos{e.At, int64(e.ID)})
			}
			return false
		}
		return true
	})
}

func min2(a, b pos) pos {
	if b.less(a) {
		return b
	}
	return a
}

// emit queues a decision for the recorder; flush sends them.
func (d *Dispatcher) emit(r result) {
	d.out = append(d.out, r)
	if len(d.out) >= 256 {
		d.flush()
	}
}

func (d *Dispatcher) flush() {
	for _, r := range d.out {
		d.results <- r
	}
	clear(d.out)
	d.out = d.out[:0]
}

// record is the recorder loop: it writes finished attempts back in batches.
// After Stop it keeps going until every worker has finished.
func (d *Dispatcher) record() {
	defer d.wg.Done()
	batch := make([]result, 0, d.o.BatchSize)
	stop := d.stop
	var workersDone chan struct{}
	for {
		select {
		case r := <-d.results:
			batch = append(batch, r)
			d.collect(&batch)
			if len(batch) < cap(batch) && d.unrecorded() > len(batch) {
				// Let results gather: one commit for many, and workers
				// send without waking the recorder each time. Nothing
				// waits on a record but the in-flight set and the gauge.
				// (When the batch holds every postback in flight, none
				// will come meanwhile: it is written at once.)
				time.Sleep(recordLinger)
				d.collect(&batch)
			}
			d.write(batch)
			d.recycle(batch)
			batch = batch[:0]
		case <-stop:
			stop = nil
			workersDone = make(chan struct{})
			go func() {
				<-d.schedDone
				d.workers.Wait()
				close(workersDone)
			}()
		case <-workersDone:
			for {
				d.collect(&batch)
				if len(batch) == 0 {
					return
				}
				d.write(batch)
				d.recycle(batch)
				batch = batch[:0]
			}
		}
	}
}

// unrecorded counts the postbacks handed out whose result is not written.
func (d *Dispatcher) unrecorded() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.inFlight) - len(d.done)
}

// recycle returns a written batch's jobs to the pool.
func (d *Dispatcher) recycle(batch []result) {
	for i := range batch {
		if j := batch[i].job; j != nil {
			putJob(j)
		}
		batch[i] = result{}
	}
}

// collect adds the results already waiting, up to the batch's capacity.
func (d *Dispatcher) collect(batch *[]result) {
	for len(*batch) < cap(*batch) {
		select {
		case r := <-d.results:
			*batch = append(*batch, r)
		default:
			return
		}
	}
}

// write records results in one batch and updates the counters.
func (d *Dispatcher) write(batch []result) {
	nowMs := d.now().UnixMilli()
	buf := d.recBuf
	defer func() { d.recBuf = buf }()
	// Synced as the store's durability says, although a lost result would
	// only mean its postback is sent again: once the admin API lists a
	// postback as delivered, a crash must not send it again. (Unsynced,
	// a SIGKILL right after that could lose the result from the WAL's
	// buffer; TestConversionsReplayAfterSIGKILL caught it.)
	err := d.st.Update(func(w *store.Writer) error {
		for i := range batch {
			r := &batch[i]
			payload := r.raw
			if r.job != nil {
				// Append the attempt to the payload as read when the job
				// is unchanged otherwise (nothing changes it after its
				// decode); encode it whole when attempts must be dropped.
				ok := false
				if r.tried {
					buf, ok = r.enc.appendWithAttempt(buf[:0], len(r.job.Attempts), r.attempt)
				}
				if !ok {
					if r.tried {
						r.job.addAttempt(r.attempt)
					}
					buf = AppendJob(buf[:0], r.job)
				}
				payload = buf
			}
			switch r.outcome {
			case delivered:
				// Delivered postbacks are only listed and pruned from
				// here: the batch's share one key (store.OutboxArchive).
				w.OutboxArchive(store.QueuePostback, r.id, store.StatusPending, r.dueAt, store.StatusDelivered, nowMs, payload)
			case fail:
				w.OutboxMove(store.QueuePostback, r.id, store.StatusPending, r.dueAt, store.StatusFailed, nowMs, payload)
			case retry:
				w.OutboxMove(store.QueuePostback, r.id, store.StatusPending, r.dueAt, store.StatusPending, r.next, payload)
			}
		}
		return nil
	})
	retried := false
	d.mu.Lock()
	for _, r := range batch {
		if err != nil {
			// Nothing changed: free them at once, due where they were.
			delete(d.inFlight, r.id)
		} else {
			d.done = append(d.done, r.id)
		}
	}
	d.mu.Unlock()
	for _, r := range batch {
		if err != nil {
			d.lowerRescan(r.dueAt)
			retried = true
			continue
		}
		switch r.outcome {
		case delivered:
			postbacksDelivered.Inc()
			d.depth.Add(-1)
		case fail:
			postbacksFailed.Inc()
			d.depth.Add(-1)
		case retry:
			if r.tried {
				postbacksRetried.Inc()
			}
			d.lowerRescan(r.next)
			retried = true
		}
	}
	if err != nil {
		// At-least-once delivery allows trying them again.
		d.log.Error("dispatch: results not recorded", "n", len(batch), "err", err)
	}
	if retried {
		// The scheduler's timer may need to fire sooner.
		d.wakeUp()
	}
}

// prune deletes delivered postbacks older than DeliveredRetention and
// failed ones that failed longer than FailedRetention ago, with one range
// deletion each: without it a partner that refuses every postback (a
// template gone wrong for a day) grew the failed list, and the disk, for
// the life of the store. A redrive that read a failed entry just before
// its deletion still moves it: its SingleDelete then meets nothing, which
// Pebble allows.
func (d *Dispatcher) prune(now time.Time) {
	err := d.st.Update(func(w *store.Writer) error {
		w.OutboxDeleteBefore(store.QueuePostback, store.StatusDelivered, now.Add(-d.o.DeliveredRetention).UnixMilli())
		w.OutboxDeleteBefore(store.QueuePostback, store.StatusFailed, now.Add(-d.o.FailedRetention).UnixMilli())
		return nil
	})
	if err != nil {
		d.log.Error("dispatch: pruning delivered and failed postbacks failed", "err", err)
	}
}
