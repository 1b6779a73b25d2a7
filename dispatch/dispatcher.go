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
//   - the scheduler reads due entries from the outbox's pending index in
//     batches, skips those already in flight, and hands each to its
//     partner's queue. It wakes when a conversion commits (Notify) and
//     otherwise when the next entry is due, at most a second later.
//   - each partner has its own bounded queue and its own workers (max_conns
//     of them) and its own fasthttp client with keep-alive connections, so a
//     partner that hangs fills only its own queue and its own connections:
//     the others' postbacks go out as before. A breaker stops sending to a
//     partner after consecutive failures and reschedules its due postbacks
//     instead, so a dead host is not hammered and its backlog costs one
//     write per postback per breaker period.
//   - the recorder collects the workers' results and writes them back in one
//     batch (delivered, rescheduled with backoff, or failed), so the cost of
//     an fsync is shared by every postback that finished meanwhile.
//
// A postback is deleted from the pending index only in the batch that
// records its success or final failure. A crash between sending and
// recording means it is sent again after restart: delivery is at least
// once, and partners dedupe by {event_id}.

import (
	"context"
	"fmt"
	"log/slog"
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
	// BatchSize is how many due postbacks the scheduler reads at once.
	BatchSize int
	// DeliveredRetention is how long delivered postbacks stay listable.
	DeliveredRetention time.Duration
	Now                func() time.Time
}

// Dispatcher delivers the store's pending postbacks. Start it once; Stop
// waits for attempts in flight and records them.
type Dispatcher struct {
	st  *store.Store
	log *slog.Logger
	now func() time.Time
	o   Options

	partners atomic.Pointer[partnerSet]

	wake    chan struct{}
	results chan result
	stop    chan struct{}
	wg      sync.WaitGroup

	mu       sync.Mutex
	inFlight map[uint64]struct{}

	depth atomic.Int64 // pending postbacks, for the queue-depth gauge
}

// partnerSet is one config's partners with their senders.
type partnerSet struct {
	cfg      *config.Config
	partners map[string]*sender
}

// result is one finished attempt, on its way to the recorder.
type result struct {
	job     *Job
	dueAt   int64 // the index position the job was read at
	outcome outcome
	next    int64 // unix ms of the next try, for retry
	attempt *Attempt
}

// New returns a dispatcher over st; Start begins delivery.
func New(o Options) *Dispatcher {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 512
	}
	if o.DeliveredRetention <= 0 {
		o.DeliveredRetention = 7 * 24 * time.Hour
	}
	d := &Dispatcher{
		st: o.Store, log: o.Logger, now: o.Now, o: o,
		wake:     make(chan struct{}, 1),
		results:  make(chan result, 4096),
		stop:     make(chan struct{}),
		inFlight: make(map[uint64]struct{}),
	}
	return d
}

// Start counts the pending postbacks and starts delivering them.
func (d *Dispatcher) Start() error {
	n, err := d.st.OutboxCount(store.QueuePostback, store.StatusPending)
	if err != nil {
		return fmt.Errorf("dispatch: start: %w", err)
	}
	d.depth.Store(n)
	registerDepth(d)
	d.SetConfig(d.o.Config)
	d.wg.Add(2)
	go d.schedule()
	go d.record()
	return nil
}

// Stop stops scheduling, lets attempts in flight finish (bounded by their
// partner's timeout), records them, and returns. Entries not yet sent stay
// pending for the next start.
func (d *Dispatcher) Stop(ctx context.Context) error {
	close(d.stop)
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("dispatch: stop: %w", ctx.Err())
	}
}

// Notify tells the dispatcher that n postbacks were just committed.
func (d *Dispatcher) Notify(n int) {
	d.depth.Add(int64(n))
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// SetConfig swaps in a reloaded config. Partners whose settings did not
// change keep their sender, queue and connections; others get new ones, and
// the old senders drain what they hold.
func (d *Dispatcher) SetConfig(cfg *config.Config) {
	old := d.partners.Load()
	ps := &partnerSet{cfg: cfg, partners: make(map[string]*sender, len(cfg.Partners))}
	for name, p := range cfg.Partners {
		if old != nil {
			if s := old.partners[name]; s != nil && s.sameConfig(p, cfg.AllowPrivateTargets) {
				s.setPartner(CompilePartner(p))
				ps.partners[name] = s
				continue
			}
		}
		s := newSender(d, CompilePartner(p), cfg.AllowPrivateTargets)
		ps.partners[name] = s
	}
	d.partners.Store(ps)
	if old != nil {
		for name, s := range old.partners {
			if ps.partners[name] != s {
				s.close()
			}
		}
	}
	d.Notify(0)
}

// schedule is the scheduler loop; see the file comment.
func (d *Dispatcher) schedule() {
	defer d.wg.Done()
	timer := time.NewTimer(0)
	defer timer.Stop()
	lastPrune := time.Time{}
	for {
		select {
		case <-d.stop:
			d.closeSenders()
			return
		case <-d.wake:
		case <-timer.C:
		}
		next := d.dispatchDue()
		now := d.now()
		if now.Sub(lastPrune) > time.Hour {
			d.pruneDelivered(now)
			lastPrune = now
		}
		wait := time.Second
		if next > 0 {
			wait = min(wait, max(time.Until(time.UnixMilli(next)), time.Millisecond))
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
	}
}

// dispatchDue hands every due, idle pending postback to its partner's queue
// and returns when the next not-yet-due one is due (unix ms; 0: none seen).
func (d *Dispatcher) dispatchDue() (next int64) {
	ps := d.partners.Load()
	now := d.now().UnixMilli()
	var reschedule []result
	for {
		handed, seen := 0, 0
		err := d.st.OutboxScan(store.QueuePostback, store.StatusPending, 0, 1<<62, false, d.o.BatchSize*4, func(e store.OutboxEntry) bool {
			if e.At > now {
				next = e.At
				return false
			}
			seen++
			d.mu.Lock()
			_, busy := d.inFlight[e.ID]
			d.mu.Unlock()
			if busy {
				return true
			}
			j := new(Job)
			if err := DecodeJob(e.Payload, j); err != nil {
				d.log.Error("dispatch: undecodable postback left pending", "id", e.ID, "err", err)
				return true
			}
			d.mu.Lock()
			d.inFlight[e.ID] = struct{}{}
			d.mu.Unlock()
			s := ps.partners[j.Partner]
			if s == nil {
				// The partner left the config: nothing can render this.
				reschedule = append(reschedule, d.finalFailure(j, e.At, "partner not configured", now))
				return true
			}
			if until := s.breakerOpenUntil(now); until > 0 {
				reschedule = append(reschedule, result{job: j, dueAt: e.At, outcome: retry, next: until})
				return true
			}
			if !s.enqueue(task{job: j, dueAt: e.At}) {
				d.mu.Lock()
				delete(d.inFlight, e.ID)
				d.mu.Unlock()
				return true // its queue is full: it stays due
			}
			handed++
			return handed < d.o.BatchSize
		})
		if err != nil {
			d.log.Error("dispatch: scan failed", "err", err)
			return 0
		}
		for _, r := range reschedule {
			d.results <- r
		}
		reschedule = reschedule[:0]
		if handed < d.o.BatchSize || seen == 0 {
			return next
		}
	}
}

func (d *Dispatcher) finalFailure(j *Job, dueAt int64, msg string, now int64) result {
	return result{job: j, dueAt: dueAt, outcome: fail, attempt: &Attempt{Time: now, Error: msg}}
}

// record is the recorder loop: it writes finished attempts back in batches.
func (d *Dispatcher) record() {
	defer d.wg.Done()
	batch := make([]result, 0, 256)
	for {
		select {
		case r := <-d.results:
			batch = append(batch[:0], r)
		case <-d.stop:
			// Senders are closed by the scheduler; drain what they report.
			d.drainResults()
			return
		}
	collect:
		for len(batch) < cap(batch) {
			select {
			case r := <-d.results:
				batch = append(batch, r)
			default:
				break collect
			}
		}
		d.write(batch)
	}
}

func (d *Dispatcher) drainResults() {
	ps := d.partners.Load()
	if ps != nil {
		for _, s := range ps.partners {
			s.wait()
		}
	}
	var batch []result
	for {
		select {
		case r := <-d.results:
			batch = append(batch, r)
		default:
			if len(batch) > 0 {
				d.write(batch)
			}
			return
		}
	}
}

// write records results in one batch and updates the counters.
func (d *Dispatcher) write(batch []result) {
	nowMs := d.now().UnixMilli()
	var buf []byte
	err := d.st.Update(func(w *store.Writer) error {
		for _, r := range batch {
			j := r.job
			if r.attempt != nil {
				j.addAttempt(*r.attempt)
			}
			buf = AppendJob(buf[:0], j)
			switch r.outcome {
			case delivered:
				w.OutboxMove(store.QueuePostback, j.ID, store.StatusPending, r.dueAt, store.StatusDelivered, nowMs, buf)
			case fail:
				w.OutboxMove(store.QueuePostback, j.ID, store.StatusPending, r.dueAt, store.StatusFailed, nowMs, buf)
			case retry:
				w.OutboxMove(store.QueuePostback, j.ID, store.StatusPending, r.dueAt, store.StatusPending, r.next, buf)
			}
		}
		return nil
	})
	if err != nil {
		// Nothing was recorded: the postbacks stay pending where they were
		// and are tried again, which at-least-once delivery allows.
		d.log.Error("dispatch: results not recorded", "n", len(batch), "err", err)
	}
	d.mu.Lock()
	for _, r := range batch {
		delete(d.inFlight, r.job.ID)
	}
	d.mu.Unlock()
	if err != nil {
		return
	}
	for _, r := range batch {
		switch r.outcome {
		case delivered:
			postbacksDelivered.Inc()
			d.depth.Add(-1)
		case fail:
			postbacksFailed.Inc()
			d.depth.Add(-1)
		case retry:
			if r.attempt != nil {
				postbacksRetried.Inc()
			}
		}
	}
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *Dispatcher) closeSenders() {
	if ps := d.partners.Load(); ps != nil {
		for _, s := range ps.partners {
			s.close()
		}
	}
}

// pruneDelivered deletes delivered postbacks older than DeliveredRetention.
func (d *Dispatcher) pruneDelivered(now time.Time) {
	cutoff := now.Add(-d.o.DeliveredRetention).UnixMilli()
	for {
		var ids []store.OutboxEntry
		err := d.st.OutboxScan(store.QueuePostback, store.StatusDelivered, 0, cutoff, false, 4096, func(e store.OutboxEntry) bool {
			ids = append(ids, store.OutboxEntry{ID: e.ID, At: e.At})
			return true
		})
		if err == nil && len(ids) > 0 {
			err = d.st.Update(func(w *store.Writer) error {
				for _, e := range ids {
					w.OutboxDelete(store.QueuePostback, e.ID, store.StatusDelivered, e.At)
				}
				return nil
			})
		}
		if err != nil {
			d.log.Error("dispatch: pruning delivered postbacks failed", "err", err)
			return
		}
		if len(ids) < 4096 {
			return
		}
	}
}
