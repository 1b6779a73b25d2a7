package loadtest

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Limits that keep a typo from turning into an unbounded run.
const (
	MaxDuration    = time.Hour
	MaxRate        = 1_000_000.0
	MinRate        = 0.001 // a request every 1,000 s; far less overflows the schedule's length
	MaxConns       = 100_000
	DefaultTimeout = 10 * time.Second
)

// Options configures one run. Zero values take the documented defaults (see
// withDefaults); Target, Rate and Duration are required.
type Options struct {
	Target   string        // base URL, http:// or https://; the only host ever contacted
	Rate     float64       // requests per second, > 0
	Duration time.Duration // > 0, at most MaxDuration
	Campaign string        // default "demo"
	Mix      Mix           // default click=90,install=8,event=2
	Conns    int           // max concurrent connections and in-flight requests; default max(64, rate/100)
	JSONPath string        // Main writes the Result here as JSON when set
	Seed     int64         // traffic is a pure function of Seed; 0 picks one from the clock (reported in Result.Seed)
	// MaxRequests bounds the run; 0 means rate*duration.
	MaxRequests int64
	// BotShare and MalformedShare are the fractions of clicks sent with a
	// link-preview bot user agent and with a deliberately malformed link.
	// Zero means the defaults 0.02 and 0.01; a negative value means none.
	BotShare, MalformedShare float64
	// Timeout bounds each request; 0 means DefaultTimeout.
	Timeout time.Duration
	// ConversionToken, when set, is sent as a bearer token with every
	// conversion, for an edge with conversion_tokens.
	ConversionToken string
}

// Mix is the relative weight of each request kind; weights need not sum to
// 100. Impressions (GET /v1/impression, for view-through attribution) are
// none by default: the demo campaign has view-through off.
type Mix struct{ Click, Install, Event, Impression int }

// DefaultMix is the traffic shape of a typical campaign: many clicks, few
// installs, fewer in-app events.
var DefaultMix = Mix{Click: 90, Install: 8, Event: 2}

func (m Mix) String() string {
	s := fmt.Sprintf("click=%d,install=%d,event=%d", m.Click, m.Install, m.Event)
	if m.Impression != 0 {
		s += fmt.Sprintf(",impression=%d", m.Impression)
	}
	return s
}

func (m Mix) total() int { return m.Click + m.Install + m.Event + m.Impression }

// ParseMix parses "click=90,install=8,event=2". Missing kinds weigh 0; at
// least one weight must be positive.
func ParseMix(s string) (Mix, error) {
	var m Mix
	if strings.TrimSpace(s) == "" {
		return m, errors.New("empty mix: want e.g. click=90,install=8,event=2")
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return Mix{}, fmt.Errorf("mix item %q: want kind=weight", part)
		}
		if seen[k] {
			return Mix{}, fmt.Errorf("mix: %q given twice", k)
		}
		seen[k] = true
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return Mix{}, fmt.Errorf("mix item %q: weight must be a whole number >= 0", part)
		}
		switch k {
		case "click":
			m.Click = n
		case "install":
			m.Install = n
		case "event":
			m.Event = n
		case "impression":
			m.Impression = n
		default:
			return Mix{}, fmt.Errorf("mix item %q: unknown kind %q (want click, install, event or impression)", part, k)
		}
	}
	if m.total() <= 0 {
		return Mix{}, errors.New("mix: all weights are zero")
	}
	if m.total() > 1_000_000 {
		return Mix{}, errors.New("mix: weights add up to more than 1000000")
	}
	return m, nil
}

// checkTarget accepts only an absolute http(s) URL naming a host; a query or
// fragment would be silently dropped, so it is refused instead.
func checkTarget(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("target %q: want an absolute http:// or https:// URL", s)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("target %q: no host", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("target %q: want a base URL without user info, query or fragment", s)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("target %q: bad port %q", s, p)
		}
	}
	return u, nil
}

// withDefaults validates o and fills its defaults. Run calls it, so callers
// other than ParseFlags (the bench command) get the same checks.
func (o Options) withDefaults() (Options, error) {
	if _, err := checkTarget(o.Target); err != nil {
		return o, err
	}
	if math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0) || o.Rate <= 0 {
		return o, fmt.Errorf("rate %v: must be a positive number of requests per second", o.Rate)
	}
	if o.Rate > MaxRate {
		return o, fmt.Errorf("rate %v: at most %v requests per second", o.Rate, MaxRate)
	}
	if o.Rate < MinRate {
		return o, fmt.Errorf("rate %v: at least %v requests per second", o.Rate, MinRate)
	}
	if o.Duration <= 0 {
		return o, fmt.Errorf("duration %v: must be positive", o.Duration)
	}
	if o.Duration > MaxDuration {
		return o, fmt.Errorf("duration %v: at most %v", o.Duration, MaxDuration)
	}
	if o.Campaign == "" {
		o.Campaign = "demo"
	}
	if o.Mix == (Mix{}) {
		o.Mix = DefaultMix
	}
	if o.Mix.Click < 0 || o.Mix.Install < 0 || o.Mix.Event < 0 || o.Mix.Impression < 0 {
		return o, fmt.Errorf("mix %v: negative weight", o.Mix)
	}
	if o.Mix.total() <= 0 {
		return o, fmt.Errorf("mix %v: no request kind has weight", o.Mix)
	}
	if o.Conns < 0 {
		return o, fmt.Errorf("conns %d: must be positive", o.Conns)
	}
	if o.Conns > MaxConns {
		return o, fmt.Errorf("conns %d: at most %d", o.Conns, MaxConns)
	}
	if o.Conns == 0 {
		o.Conns = max(64, int(o.Rate/100))
	}
	if o.MaxRequests < 0 {
		return o, fmt.Errorf("max requests %d: must not be negative", o.MaxRequests)
	}
	share := func(name string, v, def float64) (float64, error) {
		switch {
		case v == 0:
			return def, nil
		case v < 0:
			return 0, nil
		case v > 1 || math.IsNaN(v):
			return 0, fmt.Errorf("%s %v: must be a fraction between 0 and 1", name, v)
		}
		return v, nil
	}
	var err error
	if o.BotShare, err = share("bot share", o.BotShare, 0.02); err != nil {
		return o, err
	}
	if o.MalformedShare, err = share("malformed share", o.MalformedShare, 0.01); err != nil {
		return o, err
	}
	if o.BotShare+o.MalformedShare > 1 {
		return o, errors.New("bot share plus malformed share exceeds 1")
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	return o, nil
}

// scheduled is the number of slots the run plans: every slot due strictly
// before the duration ends, capped by MaxRequests.
func (o Options) scheduled() int64 {
	n := int64(math.Ceil(o.Rate*o.Duration.Seconds() - 1e-9))
	if o.MaxRequests > 0 && o.MaxRequests < n {
		n = o.MaxRequests
	}
	return max(n, 1)
}
