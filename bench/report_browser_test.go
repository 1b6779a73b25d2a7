package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/loadtest"
)

// TestReportInBrowser lays the report out in a real browser (headless
// Chromium) at the widths of a small phone, two common phones, a tablet and
// a laptop, and checks what a reader would see: no sideways scrolling of the
// page, one plot per series, plot text no smaller than 10 CSS pixels, and no
// plot text cut off at the plot's edge or printed over other text.
//
// Without Chromium it skips, unless CLICKEDGE_REQUIRE_BROWSER is set, as
// .ci/run sets it after installing chromium: there it must run.
func TestReportInBrowser(t *testing.T) {
	browser := findBrowser()
	if browser == "" {
		if os.Getenv("CLICKEDGE_REQUIRE_BROWSER") != "" {
			t.Fatal("CLICKEDGE_REQUIRE_BROWSER is set but no chromium was found")
		}
		t.Skip("chromium not installed (apt-get install chromium); .ci/run installs it")
	}
	if testing.Short() {
		t.Skip("starts a browser")
	}
	for _, c := range []struct {
		name string
		r    *Report
	}{
		{"sample", sampleReport()},
		{"slow", slowReport()},
		{"empty", &Report{Machine: map[string]string{"hostname": "bench-host"}}},
		{"summary-only", summaryOnlyReport()},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := WriteReport(dir, c.r); err != nil {
				t.Fatal(err)
			}
			for _, page := range layOut(t, browser, dir) {
				checkLayout(t, page)
			}
		})
	}
}

// browserWidths are the viewport widths the report is laid out at, in CSS
// pixels: a small phone, two common phones, a tablet, a laptop.
var browserWidths = []int{320, 360, 412, 768, 1280}

// minTextPx is the smallest plot text a reader is asked to read.
const minTextPx = 10

func findBrowser() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// pageLayout is what the harness page measures of the report in one frame.
type pageLayout struct {
	Width       int        `json:"width"`
	ScrollWidth int        `json:"scrollWidth"`
	Sections    []int      `json:"sections"` // visible plots per series section
	Plots       []plotInfo `json:"plots"`
}

type plotInfo struct {
	Label string     `json:"label"`
	Rect  rect       `json:"rect"`
	Texts []textInfo `json:"texts"`
}

type textInfo struct {
	Text string  `json:"text"`
	Px   float64 `json:"px"` // rendered font size in CSS pixels
	Rect rect    `json:"rect"`
}

type rect struct{ L, T, R, B float64 }

func (a rect) overlaps(b rect, slack float64) bool {
	return a.L+slack < b.R && b.L+slack < a.R && a.T+slack < b.B && b.T+slack < a.B
}

func (a rect) within(b rect, slack float64) bool {
	return a.L >= b.L-slack && a.R <= b.R+slack && a.T >= b.T-slack && a.B <= b.B+slack
}

// harness frames report.html once per width and, once every frame has
// loaded, writes what it measured into <pre id="out">, which the browser's
// --dump-dom prints. It is served from the same origin as the report, so
// it may read the frames' documents.
const harness = `<!doctype html><meta charset="utf-8"><body style="margin:0">
%s<pre id="out"></pre>
<script>
function box(r) { return {L: r.left, T: r.top, R: r.right, B: r.bottom}; }
function measure(w) {
  const d = document.getElementById("f" + w).contentDocument;
  const visible = e => e.getBoundingClientRect().width > 0;
  const plots = [...d.querySelectorAll("svg.plot")].filter(visible).map(s => {
    const scale = s.getBoundingClientRect().width / s.viewBox.baseVal.width;
    return {
      label: s.getAttribute("aria-label"),
      rect: box(s.getBoundingClientRect()),
      texts: [...s.querySelectorAll("text")].map(t => ({
        text: t.textContent,
        px: parseFloat(d.defaultView.getComputedStyle(t).fontSize) * scale,
        rect: box(t.getBoundingClientRect()),
      })),
    };
  });
  return {
    width: w,
    scrollWidth: d.documentElement.scrollWidth,
    sections: [...d.querySelectorAll("main > section")].map(s => [...s.querySelectorAll("svg.plot")].filter(visible).length),
    plots: plots,
  };
}
addEventListener("load", () => {
  document.getElementById("out").textContent = JSON.stringify(%s.map(measure));
});
</script>`

// layOut serves dir's report beside the harness on 127.0.0.1 and returns
// what the browser measured at each width.
func layOut(t *testing.T, browser, dir string) []pageLayout {
	t.Helper()
	var frames strings.Builder
	for _, w := range browserWidths {
		fmt.Fprintf(&frames, `<iframe id="f%d" src="/report.html" style="display:block;width:%dpx;height:3000px;border:0"></iframe>`+"\n", w, w)
	}
	widths, _ := json.Marshal(browserWidths)
	page := fmt.Sprintf(harness, frames.String(), widths)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	})
	mux.HandleFunc("/report.html", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(dir, "report.html"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-extensions", "--no-first-run",
		"--hide-scrollbars", "--user-data-dir="+t.TempDir(),
		"--window-size=1400,1000", "--virtual-time-budget=5000",
		"--dump-dom", srv.URL+"/")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", browser, err, tail(stderr.String(), 2000))
	}
	m := regexp.MustCompile(`(?s)<pre id="out">(.*?)</pre>`).FindSubmatch(out)
	if m == nil || len(m[1]) == 0 {
		t.Fatalf("the harness wrote no measurements; the browser printed:\n%s\n%s", tail(string(out), 2000), tail(stderr.String(), 2000))
	}
	var pages []pageLayout
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &pages); err != nil {
		t.Fatalf("measurements: %v\n%s", err, m[1])
	}
	if len(pages) != len(browserWidths) {
		t.Fatalf("measured %d widths, want %d", len(pages), len(browserWidths))
	}
	return pages
}

func checkLayout(t *testing.T, p pageLayout) {
	t.Helper()
	if p.ScrollWidth > p.Width {
		t.Errorf("%d px: the page is %d px wide and scrolls sideways", p.Width, p.ScrollWidth)
	}
	if len(p.Sections) != 3 {
		t.Errorf("%d px: %d series sections, want 3", p.Width, len(p.Sections))
	}
	for k, n := range p.Sections {
		if n != 1 {
			t.Errorf("%d px: section %d shows %d plots, want 1", p.Width, k+1, n)
		}
	}
	for _, pl := range p.Plots {
		if pl.Rect.R-pl.Rect.L > float64(p.Width) {
			t.Errorf("%d px: plot %q is %.0f px wide", p.Width, pl.Label, pl.Rect.R-pl.Rect.L)
		}
		for i, tx := range pl.Texts {
			if tx.Px < minTextPx {
				t.Errorf("%d px: %q prints at %.1f px in %q, under %d", p.Width, tx.Text, tx.Px, pl.Label, minTextPx)
			}
			if !tx.Rect.within(pl.Rect, 1) {
				t.Errorf("%d px: %q is cut off at the edge of %q: text %+v, plot %+v", p.Width, tx.Text, pl.Label, tx.Rect, pl.Rect)
			}
			for _, other := range pl.Texts[:i] {
				if tx.Rect.overlaps(other.Rect, 1) {
					t.Errorf("%d px: %q and %q overprint in %q", p.Width, other.Text, tx.Text, pl.Label)
				}
			}
		}
	}
}

// slowReport has latencies in seconds, whose labels are the widest.
func slowReport() *Report {
	h := loadtest.NewHistogram()
	for i := range 5000 {
		h.Record(time.Duration(200+i%1000*3) * time.Millisecond)
	}
	h.Record(12345 * time.Millisecond)
	r := sampleReport()
	r.Postbacks = Series{Hist: h}
	return r
}

// summaryOnlyReport has percentiles but no histograms, as a report read
// back from report.json has.
func summaryOnlyReport() *Report {
	r := sampleReport()
	for _, s := range []*Series{&r.Clicks, &r.Conversions, &r.Postbacks} {
		*s = Series{Count: 1000, Latency: loadtest.Percentiles{P50: 0.8, P90: 1.9, P99: 4.2, P999: 9.7, Max: 15.3}}
	}
	return r
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
