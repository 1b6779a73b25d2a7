package main

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// A SIGHUP during SIGTERM's drain (README: ignored while draining), with a
// file that adds a campaign: the running config stays, clicks are served,
// and a second SIGTERM still ends the drain at once, exit 0.
func TestSIGHUPDuringDrain(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	dir := t.TempDir()
	public, admin := freeAddr(t), freeAddr(t)
	cfg := writeConfig(t, dir, public, admin, testApps+"campaigns:\n  camp1: { app: com.test.app }\nshutdown_grace: 5m\n")
	p := startEdge(t, cfg, public, admin)
	p.cmd.Process.Signal(syscall.SIGTERM)
	waitFor(t, "draining", 5*time.Second, func() bool {
		code, _ := do(t, mustReq("GET", "http://"+public+"/healthz"))
		return code == 503
	})
	writeConfig(t, dir, public, admin, testApps+"campaigns:\n  camp1: { app: com.test.app }\n  camp2: { app: com.test.app }\nshutdown_grace: 1s\n")
	for range 20 {
		p.cmd.Process.Signal(syscall.SIGHUP)
		time.Sleep(2 * time.Millisecond)
	}
	waitFor(t, "the ignored reload", 5*time.Second, func() bool { return len(p.logLines("reload ignored")) > 0 })
	if code, _ := do(t, mustReq("GET", "http://"+public+"/?c=camp2&click_id=d2")); code != 404 {
		t.Errorf("camp2 while draining: %d, want 404 (reload ignored)", code)
	}
	if code, _ := do(t, mustReq("GET", "http://"+public+"/?c=camp1&click_id=d1")); code != 302 {
		t.Errorf("camp1 while draining: %d", code)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the second SIGTERM after SIGHUPs did not end the drain")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit %d", code)
	}
	if n := len(p.logLines(`msg="config reloaded"`)); n != 0 {
		t.Errorf("%d reloads while draining", n)
	}
	if strings.Contains(p.log.String(), "panic") {
		t.Errorf("panic in the log")
	}
}
