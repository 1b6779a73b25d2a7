package dispatch

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

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
		if d > math.MaxInt64/2 {
			d = r.MaxInterval // doubling would wrap below zero
			break
		}
		d *= 2
	}
	d = min(d, r.MaxInterval)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// maxRetryAfter bounds a Retry-After: beyond it the number is nonsense
// (and time.Duration would overflow); max_age fails the postback anyway.
const maxRetryAfter = 365 * 24 * time.Hour

// retryAfter reads a Retry-After header (RFC 9110 §10.2.3): delay seconds
// or an HTTP date. It returns 0 for an absent, malformed or past value.
func retryAfter(h []byte, now time.Time) time.Duration {
	h = bytes.TrimSpace(h)
	if len(h) == 0 {
		return 0
	}
	if h[0] >= '0' && h[0] <= '9' {
		s, err := strconv.ParseUint(string(h), 10, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return maxRetryAfter
			}
			return 0
		}
		return time.Duration(min(s, uint64(maxRetryAfter/time.Second))) * time.Second
	}
	t, err := fasthttp.ParseHTTPDate(h)
	if err != nil {
		// Not an IMF-fixdate, RFC 850 or asctime date; senders also write
		// RFC 1123 with a zone other than GMT ("UTC").
		if t, err = time.Parse(time.RFC1123, string(h)); err != nil {
			return 0
		}
	}
	if !t.After(now) {
		return 0
	}
	return min(t.Sub(now), maxRetryAfter)
}
