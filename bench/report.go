// Package bench runs clickedge's attribution-latency benchmark and writes its
// report.
package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/clickedge/clickedge/loadtest"
)

// Report is one benchmark's result: what was run (Settings), the three
// measured latencies, and the machine it ran on.
type Report struct {
	Settings    map[string]any // printed on the page and in JSON "settings"; give durations as strings
	Clicks      Series         // click sent → redirect received
	Conversions Series         // conversion sent → accepted (200)
	Postbacks   Series         // conversion sent → partner postback received
	Machine     map[string]string
}

// Series is one measured latency. Hist, when set, gives the report its full
// percentile curve; without it only the summary points are drawn.
type Series struct {
	Count   int64                `json:"count"`
	Latency loadtest.Percentiles `json:"latency_ms"`
	Hist    *loadtest.Histogram  `json:"-"`
}

// NewSeries summarises h.
func NewSeries(h *loadtest.Histogram) Series {
	return Series{Count: h.Count(), Latency: h.Percentiles(), Hist: h}
}

// filled returns s with Count and Latency taken from Hist when the caller
// set only the histogram.
func (s Series) filled() Series {
	if s.Hist != nil && s.Count == 0 && s.Latency == (loadtest.Percentiles{}) {
		return NewSeries(s.Hist)
	}
	return s
}

// series names each measurement the way the JSON, the table and the page do.
type seriesInfo struct {
	key, title, what string
	s                Series
}

func (r *Report) series() []seriesInfo {
	return []seriesInfo{
		{"clicks", "Clicks", "click sent → 302 redirect received", r.Clicks.filled()},
		{"conversions", "Conversions", "conversion sent → 200 accepted", r.Conversions.filled()},
		{"postbacks", "Postbacks", "conversion sent → partner postback received", r.Postbacks.filled()},
	}
}

// MachineInfo describes the machine a benchmark runs on, now.
func MachineInfo() map[string]string {
	m := map[string]string{
		"go":      runtime.Version(),
		"os/arch": runtime.GOOS + "/" + runtime.GOARCH,
		"cpus":    fmt.Sprint(runtime.NumCPU()),
		"time":    time.Now().UTC().Format(time.RFC3339),
	}
	if h, err := os.Hostname(); err == nil {
		m["hostname"] = h
	}
	if cpu := cpuModel(); cpu != "" {
		m["cpu"] = cpu
	}
	return m
}

// cpuModel reads the CPU's name on Linux; elsewhere it is simply left out.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// reportJSON fixes the order of report.json's keys (CONTRACT §7).
type reportJSON struct {
	Settings    map[string]any    `json:"settings"`
	Clicks      Series            `json:"clicks"`
	Conversions Series            `json:"conversions"`
	Postbacks   Series            `json:"postbacks"`
	Machine     map[string]string `json:"machine"`
}

// WriteReport writes dir/report.json and dir/report.html, creating dir.
// Each file is written under a temporary name and renamed, so a reader
// never sees half a report.
func WriteReport(dir string, r *Report) error {
	if r == nil {
		return errors.New("cannot write report: no report")
	}
	rr := *r
	if rr.Settings == nil {
		rr.Settings = map[string]any{}
	}
	if rr.Machine == nil {
		rr.Machine = MachineInfo()
	}
	rr.Clicks, rr.Conversions, rr.Postbacks = rr.Clicks.filled(), rr.Conversions.filled(), rr.Postbacks.filled()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create report directory: %w", err)
	}
	js, err := json.MarshalIndent(reportJSON{rr.Settings, rr.Clicks, rr.Conversions, rr.Postbacks, rr.Machine}, "", "  ")
	if err != nil {
		return fmt.Errorf("cannot encode report.json: %w", err)
	}
	if err := writeFile(filepath.Join(dir, "report.json"), append(js, '\n')); err != nil {
		return err
	}
	var page bytes.Buffer
	if err := rr.writeHTML(&page); err != nil {
		return fmt.Errorf("cannot render report.html: %w", err)
	}
	return writeFile(filepath.Join(dir, "report.html"), page.Bytes())
}

func writeFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".report-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// WriteTable prints the summary table the bench command shows.
func (r *Report) WriteTable(w io.Writer) {
	if len(r.Settings) > 0 {
		parts := make([]string, 0, len(r.Settings))
		for _, k := range slices.Sorted(maps.Keys(r.Settings)) {
			parts = append(parts, fmt.Sprintf("%s=%s", k, settingText(r.Settings[k])))
		}
		fmt.Fprintf(w, "settings: %s\n", strings.Join(parts, " "))
	}
	fmt.Fprintf(w, "%-12s %-44s %8s %9s %9s %9s %9s %9s\n", "latency, ms", "measured", "count", "p50", "p90", "p99", "p99.9", "max")
	for _, si := range r.series() {
		p := si.s.Latency
		fmt.Fprintf(w, "%-12s %-44s %8d %9s %9s %9s %9s %9s\n", si.key, si.what, si.s.Count,
			loadtest.FormatMS(p.P50), loadtest.FormatMS(p.P90), loadtest.FormatMS(p.P99), loadtest.FormatMS(p.P999), loadtest.FormatMS(p.Max))
	}
}

// settingText shows a setting as a person would type it.
func settingText(v any) string {
	switch v := v.(type) {
	case float64:
		return fmt.Sprintf("%g", v)
	case time.Duration:
		return v.String()
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(v)
}
