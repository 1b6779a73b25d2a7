package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

const progressWidth = 96

// writeProgress rewrites one terminal line: where the run is, how many
// answers came back, and how far the schedule is ahead of the workers
// ("behind" growing means the target cannot keep up).
func writeProgress(w io.Writer, s snapshot, o Options) {
	line := fmt.Sprintf("%5.0fs/%v  done %d  errors %d  in flight %d  behind %d  (%.0f req/s asked)",
		s.elapsed.Seconds(), o.Duration, s.completed, s.failed, s.inFlight, s.behind, o.Rate)
	if len(line) < progressWidth {
		line += strings.Repeat(" ", progressWidth-len(line))
	}
	fmt.Fprint(w, "\r"+line)
}

// WriteTable prints the summary a person reads after a run.
func (r *Result) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "target     %s (campaign %s, %d conns, seed %d)\n", r.Target, r.Campaign, r.Conns, r.Seed)
	fmt.Fprintf(w, "requested  %s req/s: %d requests scheduled\n", fmtNum(r.RequestedRate), r.Scheduled)
	fmt.Fprintf(w, "achieved   %s req/s: %d requests in %.2fs", fmtNum(r.AchievedRate), r.Requests, r.DurationS)
	if r.Stopped {
		fmt.Fprint(w, " (stopped early)")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "errors     %s\n", fmtErrors(r.Errors))
	for _, k := range slices.Sorted(maps.Keys(r.ErrorSamples)) {
		fmt.Fprintf(w, "           first %s: %s\n", k, r.ErrorSamples[k])
	}
	if r.Errors[errNotSent] > 0 {
		fmt.Fprintf(w, "           not_sent: the target fell more than the request timeout behind; those requests are not in the latencies\n")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "latency in ms, from each request's intended start")
	fmt.Fprintf(w, "%-10s %9s %7s %9s %9s %9s %9s %9s\n", "kind", "requests", "errors", "p50", "p90", "p99", "p99.9", "max")
	row := func(name string, n int64, errs map[string]int64, p Percentiles) {
		var e int64
		for k, v := range errs {
			if k != errNotSent {
				e += v
			}
		}
		fmt.Fprintf(w, "%-10s %9d %7d %9s %9s %9s %9s %9s\n", name, n, e,
			FormatMS(p.P50), FormatMS(p.P90), FormatMS(p.P99), FormatMS(p.P999), FormatMS(p.Max))
	}
	for _, k := range kindNames {
		if kr := r.ByKind[k]; kr != nil && kr.Requests > 0 {
			row(k, kr.Requests, kr.Errors, kr.Latency)
		}
	}
	row("all", r.Requests, r.Errors, r.Latency)
}

func fmtErrors(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// FormatMS formats a latency in milliseconds with three significant digits,
// which is what the histogram keeps.
func FormatMS(ms float64) string {
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f", ms)
	case ms >= 1:
		return fmt.Sprintf("%.2f", ms)
	}
	return fmt.Sprintf("%.3f", ms)
}

func fmtNum(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.1f", v)
}

// WriteJSON writes r to path, via a temporary file so that a reader never
// sees half a result.
func (r *Result) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("cannot encode result: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".loadtest-*.json")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}
