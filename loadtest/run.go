package loadtest

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// Result is what a run measured. Latency is counted from each request's
// intended start; Errors and ByKind[...].Errors are keyed by error kind
// ("connect", "timeout", "read", "status_4xx", "status_5xx",
// "unexpected_status", "other", and at top level "not_sent").
type Result struct {
	Target        string                 `json:"target"`
	Campaign      string                 `json:"campaign"`
	Seed          int64                  `json:"seed"`
	Conns         int                    `json:"conns"`
	RequestedRate float64                `json:"requested_rate"`
	AchievedRate  float64                `json:"achieved_rate"`
	DurationS     float64                `json:"duration_s"` // start to the last answer
	Scheduled     int64                  `json:"scheduled"`  // slots the schedule planned
	Requests      int64                  `json:"requests"`   // requests completed, failed ones included
	Stopped       bool                   `json:"stopped"`    // ctx was cancelled before the end
	Errors        map[string]int64       `json:"errors"`
	ErrorSamples  map[string]string      `json:"error_samples,omitempty"` // the first failure of each kind
	Latency       Percentiles            `json:"latency_ms"`
	ByKind        map[string]*KindResult `json:"by_kind"`
	Hist          *Histogram             `json:"-"` // every request
}

// KindResult is the share of a run sent as one kind: click, install, event.
type KindResult struct {
	Requests int64            `json:"requests"`
	Errors   map[string]int64 `json:"errors"`
	Latency  Percentiles      `json:"latency_ms"`
	Hist     *Histogram       `json:"-"`
}

// Run sends o's traffic to o.Target and returns what it measured. It stops
// by itself once the schedule is done, or early when ctx is cancelled. When
// progress is not nil a status line is rewritten on it once a second.
func Run(ctx context.Context, o Options, progress io.Writer) (*Result, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("loadtest: %w", err)
	}
	u, err := checkTarget(o.Target)
	if err != nil {
		return nil, fmt.Errorf("loadtest: %w", err)
	}
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano()
	}
	hc := newHostClient(u, o)
	defer hc.CloseIdleConnections()
	t := newTraffic(o, o.Seed, u.Host, strings.TrimSuffix(u.EscapedPath(), "/"))
	sched := schedule{rate: o.Rate, n: o.scheduled()}
	e := newEngine(sched, o.Conns, o.Timeout, func() sender { return newHTTPSender(hc, t, o.Timeout) })

	var tick func(snapshot)
	if progress != nil {
		tick = func(s snapshot) { writeProgress(progress, s, o) }
	}
	e.run(ctx, tick)
	if progress != nil {
		fmt.Fprint(progress, "\r"+strings.Repeat(" ", progressWidth)+"\r")
	}
	return e.result(o, ctx.Err() != nil), nil
}

// result gathers the engine's counters into a Result.
func (e *engine) result(o Options, stopped bool) *Result {
	r := &Result{
		Target:        o.Target,
		Campaign:      o.Campaign,
		Seed:          o.Seed,
		Conns:         o.Conns,
		RequestedRate: o.Rate,
		DurationS:     e.duration(stopped).Seconds(),
		Scheduled:     e.sched.n,
		Requests:      e.completed.Load(),
		Stopped:       stopped,
		Errors:        map[string]int64{},
		ByKind:        map[string]*KindResult{},
		Hist:          NewHistogram(),
	}
	for k := range numKinds {
		kr := &KindResult{Errors: map[string]int64{}, Hist: e.hist[k]}
		for ek := range numErrKinds {
			n := e.outcomes[k][ek].Load()
			kr.Requests += n
			if ek != errNone && n > 0 {
				kr.Errors[errNames[ek]] = n
				r.Errors[errNames[ek]] += n
			}
		}
		kr.Latency = kr.Hist.Percentiles()
		r.Hist.Merge(kr.Hist)
		r.ByKind[kindNames[k]] = kr
	}
	for ek := range numErrKinds {
		if p := e.samples[ek].Load(); p != nil && *p != "" {
			if r.ErrorSamples == nil {
				r.ErrorSamples = map[string]string{}
			}
			r.ErrorSamples[errNames[ek]] = *p
		}
	}
	if n := r.Scheduled - r.Requests; n > 0 && !stopped {
		r.Errors[errNotSent] = n
	}
	r.Latency = r.Hist.Percentiles()
	if r.DurationS > 0 {
		r.AchievedRate = float64(r.Requests) / r.DurationS
	}
	return r
}
