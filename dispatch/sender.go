package dispatch

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/config"
)

// task is one postback handed to a partner's workers.
type task struct {
	job   *Job
	dueAt int64
	enc   encodedJob // job's payload as read
}

// sender delivers one partner's postbacks: its own queue, workers and
// keep-alive connections, so that it cannot slow another partner down. The
// scheduler makes, feeds and retires it; nothing else sends on its queue.
type sender struct {
	d            *Dispatcher
	partner      atomic.Pointer[Partner] // as of the last config with this sender
	allowPrivate bool
	timeout      time.Duration
	maxConns     int
	hosts        hostClients
	hist         *metrics.PrometheusHistogram // delivery latency
	queue        chan task
	maxRPS       int
	pace         *pacer // nil: the partner has no max_rps
	retired      atomic.Bool
	retiredCh    chan struct{} // closed by retire: paced workers stop waiting
	working      atomic.Int32  // workers not yet returned

	// fullPass is the scheduler pass that found the queue full (scheduler
	// only); wantRoom asks the workers to wake the scheduler once the queue
	// has drained to half.
	fullPass uint64
	wantRoom atomic.Bool
	// resume is the first due entry skipped while the queue was full
	// (scheduler only; noPos: none).
	resume pos

	// The breaker: after breakerThreshold consecutive retryable failures
	// the partner is not sent to until openUntil, which doubles each time it
	// trips again, from retry.base up to retry.max_interval. Every attempt
	// reads it, so a healthy partner's is read without the lock: openUntil
	// is atomic, and failing says whether mu guards anything to reset.
	mu        sync.Mutex
	failures  int
	trips     int
	openUntil atomic.Int64 // unix ms
	failing   atomic.Bool  // failures or trips is not 0
	// askedUntil is the pause a Retry-After asked for (unix ms): answers
	// that come during it were sent before it began, and do not lift it.
	askedUntil int64
}

const breakerThreshold = 5

func newSender(d *Dispatcher, name string, p *Partner, allowPrivate bool, pace *pacer) *sender {
	pc := p.Config
	if pace == nil {
		pace = newPacer(pc.MaxRPS)
	}
	s := &sender{
		d:            d,
		hist:         deliveryHistogram(name),
		allowPrivate: allowPrivate,
		timeout:      pc.Timeout,
		maxConns:     pc.MaxConns,
		queue:        make(chan task, 4*pc.MaxConns),
		maxRPS:       pc.MaxRPS,
		pace:         pace,
		retiredCh:    make(chan struct{}),
		resume:       noPos,
	}
	s.hosts.settings = clientSettings{
		answers:  new(answerOf),
		starts:   new(answerStarts),
		name:     "clickedge/" + d.o.Version,
		maxConns: pc.MaxConns,
		timeout:  pc.Timeout,
		dial:     Dialer(allowPrivate, pc.Timeout),
	}
	s.partner.Store(p)
	s.working.Store(int32(pc.MaxConns))
	for range pc.MaxConns {
		d.workers.Add(1)
		go s.work()
	}
	return s
}

// sameConfig reports whether p would build the same client and pace as s
// has.
func (s *sender) sameConfig(p *config.Partner, allowPrivate bool) bool {
	return s.maxConns == p.MaxConns && s.timeout == p.Timeout && s.allowPrivate == allowPrivate &&
		s.maxRPS == p.MaxRPS
}

func (s *sender) enqueue(t task) bool {
	select {
	case s.queue <- t:
		return true
	default:
		return false
	}
}

// markFull records that pass found the queue full and asks to be woken
// when it has room again.
func (s *sender) markFull(pass uint64) {
	s.fullPass = pass
	s.wantRoom.Store(true)
	if len(s.queue) <= cap(s.queue)/2 && s.wantRoom.CompareAndSwap(true, false) {
		s.d.wakeUp() // the workers drained it meanwhile
	}
}

// retire stops s: the attempts on the wire finish and are recorded, the
// queued postbacks are released unsent. Scheduler only.
func (s *sender) retire() {
	if !s.retired.Swap(true) {
		close(s.queue)
		close(s.retiredCh)
	}
}

// inheritBreaker gives s, which replaces old after a reload, old's breaker
// as it stands. Attempts old still has on the wire feed old's, not s's.
// Scheduler only, before s is given a task.
func (s *sender) inheritBreaker(old *sender) {
	old.mu.Lock()
	failures, trips, until, failing, asked := old.failures, old.trips, old.openUntil.Load(), old.failing.Load(), old.askedUntil
	old.mu.Unlock()
	s.mu.Lock()
	s.failures, s.trips, s.askedUntil = failures, trips, asked
	s.openUntil.Store(until)
	s.failing.Store(failing)
	s.mu.Unlock()
}

// resetBreaker closes s's breaker: its partner's templates now point at
// other hosts, whose health the old ones' answers say nothing about.
func (s *sender) resetBreaker() {
	s.mu.Lock()
	s.failures, s.trips, s.askedUntil = 0, 0, 0
	s.openUntil.Store(0)
	s.failing.Store(false)
	s.mu.Unlock()
}

// templateHosts is the sorted set of p's templates' scheme and host, as
// written.
func templateHosts(p *config.Partner) string {
	var hs []string
	add := func(t string) {
		if t == "" {
			return
		}
		if i := strings.Index(t, "://"); i >= 0 {
			if j := strings.IndexAny(t[i+3:], "/?#"); j >= 0 {
				t = t[:i+3+j]
			}
		}
		hs = append(hs, t)
	}
	add(p.Install)
	add(p.Signup)
	for _, t := range p.Events {
		add(t)
	}
	slices.Sort(hs)
	return strings.Join(slices.Compact(hs), " ")
}

// redateBreaker moves s's breaker back by back (ms), but not before now:
// the clock was stepped back (see Dispatcher.redate), and a pause read
// from the clock that ran ahead would otherwise last the whole step.
func (s *sender) redateBreaker(now, back int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if until := s.openUntil.Load(); until > now {
		s.openUntil.Store(max(now, until-back))
	}
	if s.askedUntil > now {
		s.askedUntil = max(now, s.askedUntil-back)
	}
}

func (s *sender) breakerOpenUntil(now int64) int64 {
	if until := s.openUntil.Load(); until > now {
		return until
	}
	return 0
}

// observe feeds the breaker: healthy is false for a retryable failure
// (5xx, 408, 429, timeout, connection error). A 4xx is a partner that is
// up and refusing one postback; it does not hold the others back. A
// retryable answer's Retry-After (asked) is the partner asking for nothing
// until then, not for that postback alone: the breaker opens for it at
// once, up to max_interval (the postback itself waits all it asked), and
// a healthy answer to a request sent before it does not close it: a rate
// limiter answers 429 to one request while others it took still come back
// 200, and those had lifted the pause at once.
func (s *sender) observe(healthy bool, now time.Time, r config.Retry, asked time.Duration) {
	if healthy && !s.failing.Load() {
		return // nothing to reset
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if healthy {
		s.failures, s.trips = 0, 0
		if s.askedUntil > now.UnixMilli() {
			return // sent before the partner asked for the pause
		}
		s.askedUntil = 0
		s.openUntil.Store(0)
		s.failing.Store(false)
		return
	}
	s.failing.Store(true)
	if asked > 0 {
		if until := now.Add(min(asked, r.MaxInterval)).UnixMilli(); until > s.openUntil.Load() {
			s.openUntil.Store(until)
			s.askedUntil = until
		}
		return
	}
	if s.openUntil.Load() > now.UnixMilli() {
		// Attempts that were on the wire when it tripped: already counted
		// in, they must not trip it again (and double its period) each.
		return
	}
	s.failures++
	if s.failures < breakerThreshold {
		return
	}
	s.failures = 0
	s.trips++
	s.openUntil.Store(now.Add(backoff(r, s.trips)).UnixMilli())
}

// heldBack is the result for j, due at dueAt, while the breaker is open:
// rescheduled to when it closes, or failed if that is past max_age.
func (s *sender) heldBack(j *Job, dueAt, now int64) result {
	until := s.breakerOpenUntil(now)
	res := result{id: j.ID, job: j, dueAt: dueAt, outcome: retry, next: max(until, now)}
	p := s.d.partnerFor(s, j)
	if until > j.FirstDue+p.Config.Retry.MaxAge.Milliseconds() {
		res.outcome, res.tried = fail, true
		res.attempt = Attempt{Time: now, Error: "max_age reached while the partner's breaker was open"}
	}
	return res
}

func (s *sender) work() {
	defer s.d.workers.Done()
	defer func() {
		if s.working.Add(-1) == 0 {
			s.hosts.closeIdle() // retired: nothing will use them again
		}
	}()
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	s.hosts.settings.answers.add(req, resp)
	defer s.hosts.settings.answers.remove(req)
	var bufs attemptBufs
	var paceTimer *time.Timer
	if s.pace != nil {
		paceTimer = time.NewTimer(time.Hour)
		paceTimer.Stop()
	}
	for t := range s.queue {
		if s.wantRoom.Load() && len(s.queue) <= cap(s.queue)/2 && s.wantRoom.CompareAndSwap(true, false) {
			s.d.wakeUp()
		}
		if s.retired.Load() || s.d.stopping() {
			s.d.release(t)
			continue
		}
		start := time.Now()
		now := s.d.clock(start)
		if s.breakerOpenUntil(now.UnixMilli()) > 0 {
			s.d.results <- s.heldBack(t.job, t.dueAt, now.UnixMilli())
			continue
		}
		if s.pace != nil {
			// A held-back postback takes no slot: only sends are paced.
			if !s.pace.wait(paceTimer, s.retiredCh) {
				s.d.release(t)
				continue
			}
			start = time.Now()
			now = s.d.clock(start)
		}
		s.d.results <- s.attempt(s.d.partnerFor(s, t.job), t, req, resp, &bufs, start, now)
	}
}

// attemptBufs are a worker's reusable render buffers.
type attemptBufs struct{ url, body, sig []byte }

// buildRequest renders j into req as partner p sends it at now: method,
// URL, JSON body for POST, signature when p has a secret. It is false when
// p has no template for j.
func buildRequest(req *fasthttp.Request, p *Partner, j *Job, now time.Time, b *attemptBufs) bool {
	var ok bool
	b.url, ok = RenderURL(b.url[:0], p, j, now)
	if !ok {
		return false
	}
	req.Reset()
	req.Header.DisableNormalizing()
	req.SetRequestURIBytes(b.url)
	// Parsing the URI resets its DisablePathNormalizing, so it is set after
	// the one parse (the client sets it again, and its parse is cached):
	// set before, as an earlier version did, it cost a parse of the empty
	// URI and left the signature below computed over the normalised path
	// while the path was sent as rendered.
	req.URI().DisablePathNormalizing = true
	req.Header.SetMethod(p.Config.Method)
	b.body = b.body[:0]
	if p.Config.Method == fasthttp.MethodPost {
		b.body = RenderBody(b.body, p, j, now)
		req.Header.SetContentType("application/json")
		req.SetBody(b.body)
	}
	if p.Config.Secret != "" {
		b.sig = AppendSignature(b.sig[:0], []byte(p.Config.Secret), now.Unix(),
			[]byte(p.Config.Method), req.URI().RequestURI(), b.body)
		req.Header.SetBytesV(SignatureHeader, b.sig)
	}
	return true
}

// attempt sends one postback, built at now, and judges the answer. Its
// latency counts from start, a wall-clock reading taken just before the
// postback is rendered (one clock read fewer per postback than reading it
// again after, for a sub-microsecond render).
func (s *sender) attempt(p *Partner, t task, req *fasthttp.Request, resp *fasthttp.Response, b *attemptBufs, start, now time.Time) result {
	j := t.job
	res := result{id: j.ID, job: j, dueAt: t.dueAt, tried: true, enc: t.enc}
	a := &res.attempt
	a.Time = now.UnixMilli()
	if !buildRequest(req, p, j, now, b) {
		res.outcome = fail
		a.Error = "partner has no template for " + j.Kind + " " + j.EventName
		return res
	}
	resp.Reset()
	err := s.hosts.do(req, resp, p.Config.Timeout)
	wallEnd := time.Now()
	latency := wallEnd.Sub(start)
	a.LatencyUS = latency.Microseconds()
	s.hist.Update(latency.Seconds())
	if err != nil {
		a.Error = errorText(err)
		if errors.Is(err, ErrPrivateTarget) {
			res.outcome = fail
			return res
		}
		res.outcome = retry
	} else {
		a.StatusCode = resp.StatusCode()
		res.outcome = classify(a.StatusCode)
		if a.StatusCode >= 300 && a.StatusCode < 400 {
			a.Error = "redirect not followed"
		}
	}
	r := p.Config.Retry
	// Backoff and max_age count from when the answer came: a timeout of
	// several seconds must not make the next try due in the past.
	end := s.d.clock(wallEnd)
	var asked time.Duration // the answer's Retry-After
	if err == nil && res.outcome == retry {
		asked = retryAfter(resp.Header.Peek(fasthttp.HeaderRetryAfter), end)
	}
	s.observe(res.outcome != retry, end, r, asked)
	if res.outcome != retry {
		return res
	}
	wait := max(backoff(r, j.triesSince(j.FirstDue)+1), asked)
	next := end.Add(wait)
	if next.After(time.UnixMilli(j.FirstDue).Add(r.MaxAge)) {
		res.outcome = fail
		if a.Error == "" {
			a.Error = "max_age reached"
		} else {
			a.Error += "; max_age reached"
		}
		return res
	}
	res.next = next.UnixMilli()
	return res
}

// errorText shortens a transport error for the attempt record.
func errorText(err error) string {
	switch {
	case errors.Is(err, fasthttp.ErrTimeout):
		return "timeout"
	case errors.Is(err, fasthttp.ErrNoFreeConns):
		return "no free connections"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}
