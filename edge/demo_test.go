package edge

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/clickedge/clickedge/config"
)

// TestDemoSinkBounded: the demo sink, open to anyone who reaches the admin
// listener, keeps at most its last 100 postbacks of at most 64 KiB each. A
// body up to fasthttp's 4 MiB default was kept whole: 100 of them held
// 400 MiB. Found by an audit.
func TestDemoSinkBounded(t *testing.T) {
	e := startDemoEdge(t)
	base := "http://" + e.AdminAddr()
	// The edge answers 413 from the headers and closes: the client may
	// meet the reset while it is still sending the body.
	resp, err := http.Post(base+"/_demo/postback", "text/plain", bytes.NewReader(make([]byte, 1<<20)))
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("a 1 MiB demo postback: %d, want 413", resp.StatusCode)
		}
	}
	resp, err = http.Post(base+"/_demo/postback?x=1", "text/plain", bytes.NewReader([]byte("small")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("a small demo postback: %d", resp.StatusCode)
	}
	kept := demoPostbacks(t, base)
	if len(kept) != 1 || kept[0].Body != "small" {
		t.Errorf("kept %d postbacks (%.80v), want only the small one", len(kept), kept)
	}
}

// TestDemoAndMetricsMethods: the demo sink records only what a partner
// would send (GET or POST) and lists on GET; /metrics and /healthz answer
// GET and HEAD; any other method is a 405 with Allow, as on the admin API.
// They answered any method, and the sink recorded a DELETE as a postback.
// Found by a README check.
func TestDemoAndMetricsMethods(t *testing.T) {
	e := startDemoEdge(t)
	base := "http://" + e.AdminAddr()
	checkMethods(t, base, "", []methodCase{
		{"DELETE", "/_demo/postback", 405, "GET, POST"},
		{"HEAD", "/_demo/postback", 405, "GET, POST"},
		{"POST", "/_demo/postbacks", 405, "GET, HEAD"},
		{"POST", "/metrics", 405, "GET, HEAD"},
		{"PUT", "/healthz", 405, "GET, HEAD"},
		{"GET", "/_demo/postback?a=1", 200, ""},
		{"POST", "/_demo/postback?a=2", 200, ""},
		{"HEAD", "/metrics", 200, ""},
		{"HEAD", "/healthz", 200, ""},
	})

	kept := demoPostbacks(t, base)
	if len(kept) != 2 {
		t.Errorf("kept %d postbacks (%v), want the GET and the POST", len(kept), kept)
	}
}

// startDemoEdge starts an edge on the embedded default (the demo sink on),
// on free 127.0.0.1 ports and a temp data dir.
func startDemoEdge(t *testing.T) *Edge {
	t.Helper()
	cfg := config.Default()
	cfg.Listen, cfg.AdminListen, cfg.DataDir = "127.0.0.1:0", "127.0.0.1:0", t.TempDir()
	e, err := Start(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Shutdown(context.Background()) })
	return e
}

// demoPostbacks lists what the demo sink at base has kept.
func demoPostbacks(t *testing.T, base string) []demoPostback {
	t.Helper()
	resp, err := http.Get(base + "/_demo/postbacks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var kept []demoPostback
	if err := json.NewDecoder(resp.Body).Decode(&kept); err != nil {
		t.Fatal(err)
	}
	return kept
}
