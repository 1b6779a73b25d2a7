package loadtest

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const usage = `usage: clickedge loadtest -target URL -rate N -duration D [flags]

Sends an open-loop, fixed-rate mix of clicks and conversions to one clickedge
and reports latency measured from each request's intended start.

`

// ParseFlags parses the loadtest command line. Usage and errors go to stderr
// through the flag package; the returned error says what is wrong and is
// flag.ErrHelp for -h.
func ParseFlags(args []string, stderr io.Writer) (Options, error) {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		o        Options
		rate     = fs.String("rate", "", "send `N` requests per second, a positive number (required)")
		duration = fs.String("duration", "", "send for `D`, e.g. 30s or 5m; at most 1h (required)")
		mix      = fs.String("mix", DefaultMix.String(), "relative `weights` of clicks, installs, in-app events and impressions (click=…,install=…,event=…,impression=…)")
	)
	fs.StringVar(&o.Target, "target", "", "base `URL` of the clickedge to test, http:// or https:// (required); the only host contacted")
	fs.StringVar(&o.Campaign, "campaign", "demo", "`campaign` the clicks go to")
	fs.IntVar(&o.Conns, "conns", 0, "at most `C` connections and requests in flight (default max(64, rate/100))")
	fs.StringVar(&o.JSONPath, "json", "", "write the result as JSON to `FILE`")
	fs.Int64Var(&o.Seed, "seed", 0, "seed for the generated traffic; the same seed sends the same requests (0: from the clock)")
	fs.StringVar(&o.ConversionToken, "conversion-token", os.Getenv("CLICKEDGE_CONVERSION_TOKEN"), "bearer `token` sent with every conversion, for an edge with conversion_tokens (default $CLICKEDGE_CONVERSION_TOKEN)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return Options{}, err
	}
	fail := func(err error) (Options, error) {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return Options{}, err
	}
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if strings.IndexFunc(o.ConversionToken, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		return fail(errors.New("-conversion-token: printable ASCII without spaces"))
	}
	if o.Target == "" {
		return fail(errors.New("-target is required, e.g. -target http://127.0.0.1:8080"))
	}
	if _, err := checkTarget(o.Target); err != nil {
		return fail(fmt.Errorf("-target: %w", err))
	}
	var err error
	if o.Rate, err = parseRate(*rate); err != nil {
		return fail(err)
	}
	if o.Duration, err = parseDuration(*duration); err != nil {
		return fail(err)
	}
	if o.Mix, err = ParseMix(*mix); err != nil {
		return fail(fmt.Errorf("-mix: %w", err))
	}
	if o.Campaign == "" {
		return fail(errors.New("-campaign must not be empty"))
	}
	if o.Conns < 0 {
		return fail(fmt.Errorf("-conns %d: must be positive", o.Conns))
	}
	if o.Conns > MaxConns {
		return fail(fmt.Errorf("-conns %d: at most %d", o.Conns, MaxConns))
	}
	if o, err = o.withDefaults(); err != nil {
		return fail(err)
	}
	if o.JSONPath != "" {
		if err := checkWritable(o.JSONPath); err != nil {
			return fail(fmt.Errorf("-json %s: %w", o.JSONPath, err))
		}
	}
	return o, nil
}

// checkWritable reports why the result could not be written to path, as
// WriteJSON will, before a run whose measurement would be lost with it:
// through a temporary file in path's directory, renamed over path.
func checkWritable(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return errors.New("is a directory")
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".loadtest-*.json")
	if err != nil {
		return fmt.Errorf("cannot write there: %w", err)
	}
	f.Close()
	return os.Remove(f.Name())
}

func parseRate(s string) (float64, error) {
	if s == "" {
		return 0, errors.New("-rate is required: requests per second, e.g. -rate 500")
	}
	r, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(r) || math.IsInf(r, 0) || r <= 0 {
		return 0, fmt.Errorf("-rate %q: must be a positive number of requests per second", s)
	}
	if r > MaxRate {
		return 0, fmt.Errorf("-rate %q: at most %v requests per second", s, MaxRate)
	}
	if r < MinRate {
		return 0, fmt.Errorf("-rate %q: at least %v requests per second", s, MinRate)
	}
	return r, nil
}

// parseDuration takes a Go duration ("30s", "5m"); a bare number is seconds,
// which is what people type.
func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("-duration is required, e.g. -duration 30s")
	}
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || math.IsNaN(secs) || math.IsInf(secs, 0) {
			return 0, fmt.Errorf("-duration %q: must be a positive duration such as 30s or 5m", s)
		}
		if secs > MaxDuration.Seconds() {
			return 0, fmt.Errorf("-duration %q: at most %v", s, MaxDuration)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d <= 0 {
		return 0, fmt.Errorf("-duration %q: must be a positive duration such as 30s or 5m", s)
	}
	if d > MaxDuration {
		return 0, fmt.Errorf("-duration %q: at most %v", s, MaxDuration)
	}
	return d, nil
}
