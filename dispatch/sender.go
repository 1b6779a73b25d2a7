package dispatch

import (
	"bytes"
	"errors"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/config"
)

// task is one postback handed to a partner's workers.
type task struct {
	job   *Job
	dueAt int64
}

// sender delivers one partner's postbacks: its own queue, workers and
// keep-alive client, so that it cannot slow another partner down.
type sender struct {
	d            *Dispatcher
	partner      atomic.Pointer[Partner]
	allowPrivate bool
	client       *fasthttp.Client
	queue        chan task
	wg           sync.WaitGroup
	closeOnce    sync.Once

	// The breaker: after breakerThreshold consecutive failed attempts the
	// partner is not sent to until openUntil, which doubles each time it
	// trips again, from retry.base up to retry.max_interval.
	mu        sync.Mutex
	failures  int
	trips     int
	openUntil int64 // unix ms
}

const breakerThreshold = 5

func newSender(d *Dispatcher, p *Partner, allowPrivate bool) *sender {
	pc := p.Config
	s := &sender{
		d:            d,
		allowPrivate: allowPrivate,
		queue:        make(chan task, 4*pc.MaxConns),
		client: &fasthttp.Client{
			Name:                          "clickedge/" + d.o.Version,
			MaxConnsPerHost:               pc.MaxConns,
			ReadTimeout:                   pc.Timeout,
			WriteTimeout:                  pc.Timeout,
			MaxIdleConnDuration:           90 * time.Second,
			Dial:                          Dialer(allowPrivate, pc.Timeout),
			DisablePathNormalizing:        true,
			NoDefaultUserAgentHeader:      false,
			DisableHeaderNamesNormalizing: false,
			MaxResponseBodySize:           64 << 10,
		},
	}
	s.partner.Store(p)
	for range pc.MaxConns {
		s.wg.Add(1)
		go s.work()
	}
	return s
}

// sameConfig reports whether p would build the same client as s has.
func (s *sender) sameConfig(p *config.Partner, allowPrivate bool) bool {
	old := s.partner.Load().Config
	return old.MaxConns == p.MaxConns && old.Timeout == p.Timeout && s.allowPrivate == allowPrivate
}

func (s *sender) setPartner(p *Partner) { s.partner.Store(p) }

func (s *sender) enqueue(t task) bool {
	select {
	case s.queue <- t:
		return true
	default:
		return false
	}
}

func (s *sender) close() { s.closeOnce.Do(func() { close(s.queue) }) }
func (s *sender) wait()  { s.wg.Wait() }

func (s *sender) breakerOpenUntil(now int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.openUntil > now {
		return s.openUntil
	}
	return 0
}

func (s *sender) observe(ok bool, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok {
		s.failures, s.trips, s.openUntil = 0, 0, 0
		return
	}
	s.failures++
	if s.failures < breakerThreshold {
		return
	}
	s.failures = 0
	s.trips++
	r := s.partner.Load().Config.Retry
	s.openUntil = now.Add(backoff(r, s.trips)).UnixMilli()
}

func (s *sender) work() {
	defer s.wg.Done()
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	var urlBuf, bodyBuf, sigBuf []byte
	for t := range s.queue {
		p := s.partner.Load()
		s.d.results <- s.attempt(p, t, req, resp, &urlBuf, &bodyBuf, &sigBuf)
	}
}

// attempt sends one postback and judges the answer.
func (s *sender) attempt(p *Partner, t task, req *fasthttp.Request, resp *fasthttp.Response, urlBuf, bodyBuf, sigBuf *[]byte) result {
	j := t.job
	now := s.d.now()
	res := result{job: j, dueAt: t.dueAt}
	var ok bool
	*urlBuf, ok = RenderURL((*urlBuf)[:0], p, j, now)
	if !ok {
		res.outcome = fail
		res.attempt = &Attempt{Time: now.UnixMilli(), Error: "partner has no template for " + j.Kind + " " + j.EventName}
		return res
	}
	req.Reset()
	resp.Reset()
	req.Header.DisableNormalizing()
	req.URI().DisablePathNormalizing = true
	req.SetRequestURIBytes(*urlBuf)
	req.Header.SetMethod(p.Config.Method)
	*bodyBuf = (*bodyBuf)[:0]
	if p.Config.Method == fasthttp.MethodPost {
		*bodyBuf = RenderBody(*bodyBuf, p, j, now)
		req.Header.SetContentType("application/json")
		req.SetBody(*bodyBuf)
	}
	if p.Config.Secret != "" {
		*sigBuf = AppendSignature((*sigBuf)[:0], []byte(p.Config.Secret), now.Unix(),
			[]byte(p.Config.Method), req.URI().RequestURI(), *bodyBuf)
		req.Header.SetBytesV(SignatureHeader, *sigBuf)
	}
	start := time.Now()
	err := s.client.DoTimeout(req, resp, p.Config.Timeout)
	latency := time.Since(start)
	a := &Attempt{Time: now.UnixMilli(), LatencyUS: latency.Microseconds()}
	res.attempt = a
	deliveryHistogram(j.Partner).Update(latency.Seconds())
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
		if res.outcome == fail && a.StatusCode >= 300 && a.StatusCode < 400 {
			a.Error = "redirect not followed"
		}
	}
	s.observe(res.outcome == delivered, now)
	if res.outcome != retry {
		return res
	}
	r := p.Config.Retry
	wait := backoff(r, len(j.Attempts)+1)
	if a.StatusCode == 429 || a.StatusCode == 503 {
		wait = max(wait, retryAfter(resp.Header.Peek("Retry-After"), now))
	}
	next := now.Add(wait)
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
	msg := err.Error()
	if i := bytes.IndexByte([]byte(msg), '\n'); i >= 0 {
		msg = msg[:i]
	}
	return msg
}
