package main

import (
	"net/http"
	"syscall"
	"testing"
	"time"
)

// TestDrainBeforeShutdown: with shutdown_grace, SIGTERM first drains: both
// listeners' /healthz answer 503 so that a load balancer stops sending,
// every click is still stored and answered, with Connection: close so that
// keep-alive clients reconnect elsewhere, and the edge stops once the grace
// has passed. A second SIGTERM stops it at once.
func TestDrainBeforeShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	for _, second := range []bool{false, true} {
		dir := t.TempDir()
		public, admin := freeAddr(t), freeAddr(t)
		grace := "1s"
		if second {
			grace = "5m" // only the second signal can end it within the test
		}
		cfg := writeConfig(t, dir, public, admin, testApps+"campaigns:\n  camp1: { app: com.test.app }\nshutdown_grace: "+grace+"\n")
		p := startEdge(t, cfg, public, admin)
		began := time.Now()
		p.cmd.Process.Signal(syscall.SIGTERM)
		waitFor(t, "/healthz to answer 503", 5*time.Second, func() bool {
			code, _ := do(t, mustReq("GET", "http://"+public+"/healthz"))
			return code == 503
		})
		if code, body := do(t, mustReq("GET", "http://"+admin+"/healthz")); code != 503 || body != "draining\n" {
			t.Errorf("admin /healthz while draining: %d %q", code, body)
		}
		req := mustReq("GET", "http://"+public+"/?c=camp1&click_id=late")
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 302 || !resp.Close {
			t.Errorf("a click while draining: %d, Connection: close %v; want 302 and close", resp.StatusCode, resp.Close)
		}
		if code, body := p.adminGet("/admin/v1/clicks/late"); code != 200 {
			t.Errorf("the click made while draining: %d %s", code, body)
		}
		if second {
			p.cmd.Process.Signal(syscall.SIGTERM)
		}
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			t.Fatalf("second=%v: clickedge did not stop", second)
		}
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("second=%v: exit %d", second, code)
		}
		if !second && time.Since(began) < time.Second {
			t.Errorf("stopped %v after SIGTERM, before its 1s grace", time.Since(began))
		}
		if len(p.logLines("draining")) == 0 {
			t.Errorf("second=%v: no draining line in the log", second)
		}
	}
}
