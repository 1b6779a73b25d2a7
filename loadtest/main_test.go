package loadtest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMainWritesSummaryAndJSON(t *testing.T) {
	edge := startFakeEdge(t, "demo", 0, 0)
	path := filepath.Join(t.TempDir(), "out.json")
	var stdout, stderr strings.Builder
	code := Main([]string{"-target", edge.URL, "-rate", "200", "-duration", "300ms", "-json", path, "-seed", "5"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
	out := stdout.String()
	if strings.Contains(out, "\r") {
		t.Error("progress line written to a non-terminal")
	}
	for _, want := range []string{"achieved", "errors     none", "p99.9", "\nclick ", "\nall "} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"requested_rate", "achieved_rate", "duration_s", "requests"} {
		if _, ok := m[k].(float64); !ok {
			t.Errorf("%s = %#v, want a number", k, m[k])
		}
	}
	if m["requests"] != 60.0 || m["requested_rate"] != 200.0 {
		t.Errorf("requests %v, requested_rate %v", m["requests"], m["requested_rate"])
	}
	if errs, ok := m["errors"].(map[string]any); !ok || len(errs) != 0 {
		t.Errorf("errors = %#v, want {}", m["errors"])
	}
	lat, ok := m["latency_ms"].(map[string]any)
	if !ok {
		t.Fatalf("latency_ms = %#v", m["latency_ms"])
	}
	for _, k := range []string{"p50", "p90", "p99", "p999", "max"} {
		if v, ok := lat[k].(float64); !ok || v <= 0 {
			t.Errorf("latency_ms.%s = %#v", k, lat[k])
		}
	}
}

func TestMainExitCodes(t *testing.T) {
	var stdout, stderr strings.Builder
	if code := Main([]string{"-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "-rate") {
		t.Errorf("-h: exit %d, usage %q", code, stderr.String())
	}
	stderr.Reset()
	if code := Main([]string{"-target", "http://x", "-rate", "abc", "-duration", "1s"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), `-rate "abc"`) {
		t.Errorf("bad rate: exit %d, stderr %q", code, stderr.String())
	}
}

// TestMainChecksJSONPathFirst: a -json FILE that cannot be written is said
// before the run, not after it, when the measurement would be lost (found
// by an audit: a 5-minute run ended in "cannot write").
func TestMainChecksJSONPathFirst(t *testing.T) {
	edge := startFakeEdge(t, "demo", 0, 0)
	dir := t.TempDir()
	for _, path := range []string{
		filepath.Join(dir, "missing", "out.json"), // no such directory
		dir, // a directory
	} {
		var stdout, stderr strings.Builder
		code := Main([]string{"-target", edge.URL, "-rate", "200", "-duration", "300ms", "-json", path}, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), "-json "+path) {
			t.Errorf("-json %s: exit %d, stderr %q; want 2 and a line naming -json", path, code, stderr.String())
		}
		if n := edge.seen.Load(); n != 0 {
			t.Errorf("-json %s: the run went ahead (%d requests)", path, n)
		}
	}
}
