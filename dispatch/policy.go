package dispatch

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/clickedge/clickedge/config"
)

// outcome is what one attempt means for its postback.
type outcome uint8

const (
	delivered outcome = iota // 2xx
	retry                    // 5xx, 408, 429, timeout, connection error
	fail                     // 3xx, other 4xx, a refused target, no template
)

// classify applies CONTRACT §5's status policy. A redirect is not followed:
// a partner that moved its endpoint must be told, not guessed at.
func classify(status int) outcome {
	switch {
	case status >= 200 && status < 300:
		return delivered
	case status == 408 || status == 429 || status >= 500:
		return retry
	}
	return fail
}

// backoff returns the wait before retry number n (1 = the first retry):
// base doubled each time up to max_interval, then "equal jitter" (half
// fixed, half random) so that postbacks failed together do not retry
// together.
func backoff(r config.Retry, n int) time.Duration {
	d := r.Base
	for i := 1; i < n && d < r.MaxInterval; i++ {
		d *= 2
	}
	d = min(d, r.MaxInterval)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// retryAfter reads a Retry-After header: delta seconds or an HTTP date.
func retryAfter(h []byte, now time.Time) time.Duration {
	if len(h) == 0 {
		return 0
	}
	if s, err := strconv.Atoi(string(h)); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := time.Parse(time.RFC1123, string(h)); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
