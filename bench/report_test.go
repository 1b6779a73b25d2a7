package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/loadtest"
)

func sampleReport() *Report {
	hist := func(base time.Duration, n int) *loadtest.Histogram {
		h := loadtest.NewHistogram()
		for i := range n {
			h.Record(base + time.Duration(i%100)*base/50)
		}
		return h
	}
	return &Report{
		Settings: map[string]any{
			"clicks": 2000, "conversions": 200, "rate": 500.0, "durability": "sync",
			"sink": "http://127.0.0.1:40123/postback", // a URL is allowed as settings text
		},
		Clicks:      NewSeries(hist(300*time.Microsecond, 2000)),
		Conversions: NewSeries(hist(time.Millisecond, 200)),
		Postbacks:   Series{Hist: hist(4*time.Millisecond, 200)}, // Count and Latency filled from Hist
		Machine:     map[string]string{"hostname": "bench-host", "go": "go1.26.8"},
	}
}

func TestReportJSONSchema(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out") // created by WriteReport
	if err := WriteReport(dir, sampleReport()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	settings, ok := m["settings"].(map[string]any)
	if !ok || settings["clicks"] != 2000.0 || settings["durability"] != "sync" {
		t.Errorf("settings = %#v", m["settings"])
	}
	for _, key := range []string{"clicks", "conversions", "postbacks"} {
		l, ok := m[key].(map[string]any)
		if !ok {
			t.Fatalf("%s = %#v, want an object", key, m[key])
		}
		if n, ok := l["count"].(float64); !ok || n <= 0 {
			t.Errorf("%s.count = %#v", key, l["count"])
		}
		lat, ok := l["latency_ms"].(map[string]any)
		if !ok {
			t.Fatalf("%s.latency_ms = %#v", key, l["latency_ms"])
		}
		prev := 0.0
		for _, p := range []string{"p50", "p90", "p99", "p999", "max"} {
			v, ok := lat[p].(float64)
			if !ok || v < prev || v <= 0 {
				t.Errorf("%s.latency_ms.%s = %#v (after %v)", key, p, lat[p], prev)
			}
			prev = v
		}
	}
	if m["postbacks"].(map[string]any)["count"] != 200.0 {
		t.Errorf("postbacks count not filled from its histogram: %#v", m["postbacks"])
	}
}

func TestReportJSONEmpty(t *testing.T) {
	dir := t.TempDir()
	if err := WriteReport(dir, &Report{}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if s, ok := m["settings"].(map[string]any); !ok || len(s) != 0 {
		t.Errorf("settings = %#v, want {}", m["settings"])
	}
	if l := m["clicks"].(map[string]any); l["count"] != 0.0 || l["latency_ms"].(map[string]any)["p99"] != 0.0 {
		t.Errorf("clicks = %#v", l)
	}
	if mach, ok := m["machine"].(map[string]any); !ok || mach["go"] == nil {
		t.Errorf("machine not filled in: %#v", m["machine"])
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	if strings.Count(string(html), "no samples") != 6 { // a wide and a narrow plot each
		t.Error("empty series are not shown as such")
	}
}

func TestReportHTML(t *testing.T) {
	dir := t.TempDir()
	r := sampleReport()
	r.Settings["note"] = `<script>alert(1)</script>`
	if err := WriteReport(dir, r); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	if n := strings.Count(page, "<svg"); n != 6 {
		t.Errorf("%d <svg> elements, want two per series (wide and narrow)", n)
	}
	if strings.Contains(strings.ToLower(page), "<script") {
		t.Error("page contains a script")
	}
	for _, want := range []string{
		"<title>clickedge attribution latency", "click sent → 302", "conversion sent → partner postback received",
		"latency (ms)", "percentile", "99.999%", ">p50</tspan>", ">p90</tspan>", ">p99</tspan>", ">p99.9</tspan>",
		"bench-host", "durability",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Self-contained: nothing is fetched, and the only URLs are settings text.
	settings := regexp.MustCompile(`(?s)<section id="settings">.*?</section>`)
	if !settings.MatchString(page) || !strings.Contains(settings.FindString(page), "http://127.0.0.1:40123/postback") {
		t.Fatal("settings section not found or lacks the sink URL")
	}
	rest := settings.ReplaceAllString(page, "")
	for _, bad := range []string{"http://", "https://", "src=", "href=", "url(", "@import", "<link"} {
		if strings.Contains(rest, bad) {
			t.Errorf("page references %q outside the settings", bad)
		}
	}
}

func TestWriteTable(t *testing.T) {
	var b strings.Builder
	sampleReport().WriteTable(&b)
	out := b.String()
	for _, want := range []string{"settings: clicks=2000 conversions=200 durability=sync rate=500", "p99.9", "\nclicks ", "\nconversions ", "\npostbacks "} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if lines := strings.Count(out, "\n"); lines != 5 {
		t.Errorf("%d lines:\n%s", lines, out)
	}
}

func TestWriteReportErrors(t *testing.T) {
	if err := WriteReport(t.TempDir(), nil); err == nil {
		t.Error("nil report accepted")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteReport(filepath.Join(file, "sub"), sampleReport()); err == nil {
		t.Error("a directory under a file accepted")
	}
}

func TestAxisTicks(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{{0.9, 1}, {1, 1}, {1.1, 2}, {2.2, 2.5}, {3, 5}, {7, 10}, {0.013, 0.02}, {420, 500}, {0, 1}} {
		if got := niceStep(c.in); got != c.want {
			t.Errorf("niceStep(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	for _, c := range []struct {
		v, step float64
		want    string
	}{{10, 5, "10"}, {0.5, 0.5, "0.5"}, {0.75, 0.25, "0.75"}, {0.02, 0.02, "0.02"}, {5, 2.5, "5.0"}} {
		if got := tickMS(c.v, c.step); got != c.want {
			t.Errorf("tickMS(%v, %v) = %q, want %q", c.v, c.step, got, c.want)
		}
	}
}

func TestLabelsDoNotOverlap(t *testing.T) {
	var taken []box
	var placed []box
	// Four labels on one spot must all find room.
	for range 4 {
		before := len(taken)
		placeLabel(wideLayout, 300, 200, 90, &taken)
		placed = append(placed, taken[before])
	}
	for i := range placed {
		for j := range i {
			if placed[i].overlaps(placed[j]) {
				t.Fatalf("labels %d and %d overlap: %+v %+v", i, j, placed[i], placed[j])
			}
		}
	}
}
