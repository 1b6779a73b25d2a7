package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clickedge/clickedge/internal/testlog"
)

// A broken config exits non-zero before listening, with one line naming the
// file, the key and what is wrong.
func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	good := writeConfig(t, dir, "127.0.0.1:0", "127.0.0.1:0", testApps+"campaigns:\n  camp1: { app: com.test.app }\n")
	out, err := exec.Command(binPath, "check-config", "-config", good).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok") || strings.Contains(string(out), "note:") {
		t.Fatalf("check-config on a good file: %v\n%s", err, out)
	}
	// A valid config that is probably not what was meant passes, with a
	// note per finding.
	open := writeConfig(t, t.TempDir(), ":0", "127.0.0.1:0", testApps+"country_header: CF-IPCountry\n")
	out, err = exec.Command(binPath, "check-config", "-config", open).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok") ||
		!strings.Contains(string(out), "\nnote: conversion_tokens is not set") || !strings.Contains(string(out), "\nnote: country_header") {
		t.Fatalf("check-config on a file with findings: %v\n%s", err, out)
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key", "listen: \":8080\"\nlisen: x\n", "lisen: unknown key"},
		{"bad duration", "click_retention: 7x\n", "click_retention"},
		{"bad template", testApps + "partners:\n  p:\n    install: \"ftp://x/{click_id}\"\n", "partners.p.install"},
		{"unknown app", "campaigns:\n  c1: { app: nope }\n", "campaigns.c1.app"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.yaml")
			os.WriteFile(path, []byte(tc.yaml), 0o644)
			for _, args := range [][]string{{"check-config", "-config", path}, {"serve", "-config", path}} {
				out, err := exec.Command(binPath, args...).CombinedOutput()
				if err == nil {
					t.Fatalf("%v accepted a bad config:\n%s", args, out)
				}
				lines := strings.Split(strings.TrimSpace(string(out)), "\n")
				if len(lines) != 1 || !strings.Contains(lines[0], path) || !strings.Contains(lines[0], tc.want) {
					t.Fatalf("%v: want one line naming %s and %q, got:\n%s", args, path, tc.want, out)
				}
			}
		})
	}
}

// SIGHUP reloads campaigns without a restart.
func TestSIGHUPReload(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	dir := t.TempDir()
	public, admin := freeAddr(t), freeAddr(t)
	cfg := writeConfig(t, dir, public, admin, "click_retention: 20d\n"+testApps+"campaigns:\n  camp1: { app: com.test.app }\n")
	p := startEdge(t, cfg, public, admin)
	if code, _ := do(t, mustReq("GET", "http://"+public+"/?c=camp2&click_id=r1")); code != 404 {
		t.Fatalf("camp2 before reload: %d, want 404", code)
	}
	if notes := p.logLines("config note"); len(notes) != 0 {
		t.Fatalf("notes at start: %q", notes)
	}
	writeConfig(t, dir, public, admin, "click_retention: 20d\n"+testApps+"campaigns:\n  camp1: { app: com.test.app }\n  camp2: { app: com.test.app, click_lookback: 25d }\n")
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "camp2 after SIGHUP", 5*time.Second, func() bool {
		code, _ := do(t, mustReq("GET", "http://"+public+"/?c=camp2&click_id=r2"))
		return code == 302
	})
	// The reloaded config's notes are logged, as serve logs them at start:
	// a reload is how a new campaign (or a renewed certificate) arrives.
	waitFor(t, "the reloaded config's note", 5*time.Second, func() bool {
		return len(p.logLines("campaigns.camp2's click_lookback (25d)")) > 0
	})
	// A broken file on SIGHUP keeps the running config.
	os.WriteFile(cfg, []byte("lisen: x\n"), 0o644)
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the refusal in the log", 5*time.Second, func() bool { return len(p.logLines("reload refused")) > 0 })
	if code, _ := do(t, mustReq("GET", "http://"+public+"/?c=camp2&click_id=r3")); code != 302 {
		t.Fatalf("after a bad reload: %d, want 302", code)
	}
	if code := p.stop(); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}
}

// clickedge loadtest against a real edge holds the asked rate.
func TestLoadtestAgainstEdge(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	dir := t.TempDir()
	public, admin := freeAddr(t), freeAddr(t)
	cfg := writeConfig(t, dir, public, admin, "durability: async\n"+testApps+"campaigns:\n  demo: { app: com.test.app }\n")
	startEdge(t, cfg, public, admin)
	out := filepath.Join(dir, "lt.json")
	cmd := exec.Command(binPath, "loadtest", "-target", "http://"+public, "-rate", "300", "-duration", "3s", "-json", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("loadtest: %v\n%s", err, b)
	}
	var r struct {
		RequestedRate float64          `json:"requested_rate"`
		AchievedRate  float64          `json:"achieved_rate"`
		Requests      int64            `json:"requests"`
		Errors        map[string]int64 `json:"errors"`
		Latency       map[string]any   `json:"latency_ms"`
	}
	b, _ := os.ReadFile(out)
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if r.AchievedRate < 270 || r.AchievedRate > 330 {
		t.Fatalf("achieved %.1f/s, want within 10%% of 300/s\n%s", r.AchievedRate, b)
	}
	for _, k := range []string{"p50", "p90", "p99", "p999", "max"} {
		if _, ok := r.Latency[k]; !ok {
			t.Fatalf("latency_ms lacks %s: %s", k, b)
		}
	}
	for _, bad := range [][]string{{"-rate", "0"}, {"-rate", "-5"}, {"-duration", "0s"}, {"-rate", "abc"}} {
		args := append([]string{"loadtest", "-target", "http://" + public, "-rate", "10", "-duration", "1s"}, bad...)
		if err := exec.Command(binPath, args...).Run(); err == nil {
			t.Errorf("loadtest %v: accepted", bad)
		}
	}
}

// runBin runs the binary to its exit and returns the exit code and its
// output; one that is still running after 10 s (it started serving) is
// killed and reported as -1.
func runBin(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binPath, args...).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case ctx.Err() != nil:
		return -1, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("%v: %v", args, err)
	return 0, ""
}

// oneLine reports an error unless out is exactly want on one line.
func oneLine(t *testing.T, args []string, out, want string) {
	t.Helper()
	if got := strings.TrimSuffix(out, "\n"); got != want {
		t.Errorf("%v: want one line\n%s\ngot:\n%s", args, want, out)
	}
}

// A TLS file that is missing is a config error naming the file and the key,
// from check-config and from serve alike, before anything listens.
func TestCheckConfigTLS(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	cfg := writeConfig(t, dir, "127.0.0.1:0", "127.0.0.1:0",
		fmt.Sprintf("tls_cert: %q\ntls_key: %q\n", missing, missing))
	want := fmt.Sprintf("config: %s: tls_cert: cannot read %q: no such file or directory", cfg, missing)
	for _, args := range [][]string{{"check-config", "-config", cfg}, {"serve", "-config", cfg}} {
		code, out := runBin(t, args...)
		if code != 1 {
			t.Errorf("%v: exit %d, want 1\n%s", args, code, out)
			continue
		}
		oneLine(t, args, out, want)
	}
}

// A second edge on a data directory that a running edge holds exits 1 with
// one line that says so (Pebble's lock gives only "resource temporarily
// unavailable").
func TestServeDataDirInUse(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	dir := t.TempDir()
	public, admin := freeAddr(t), freeAddr(t)
	startEdge(t, writeConfig(t, dir, public, admin, ""), public, admin)
	data := filepath.Join(dir, "data")
	args := []string{"serve", "-data", data, "-listen", freeAddr(t), "-admin-listen", freeAddr(t)}
	code, out := runBin(t, args...)
	if code != 1 {
		t.Fatalf("%v: exit %d, want 1\n%s", args, code, out)
	}
	// -data named the directory, so the line names -data.
	oneLine(t, args, out, fmt.Sprintf("clickedge: -data: store: open %s: in use by another process (its LOCK file is held): resource temporarily unavailable", data))
}

// -log-format json makes every log line one JSON object (for log
// shippers); -log-level sets the lowest level logged. A bad value of either
// is a usage error naming the flag.
func TestServeLogFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "-log-format", "xml"}, `clickedge: -log-format: "xml" is not text or json`},
		{[]string{"serve", "-log-level", "loud"}, `clickedge: -log-level: "loud" is not debug, info, warn or error`},
	} {
		code, out := runBin(t, tc.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", tc.args, code, out)
			continue
		}
		oneLine(t, tc.args, out, tc.want)
	}

	dir := t.TempDir()
	public, admin := freeAddr(t), freeAddr(t)
	p := startEdgeFlags(t, writeConfig(t, dir, public, admin, ""), public, admin, []string{"-log-format", "json", "-log-level", "warn"})
	p.stop()
	lines := slices.DeleteFunc(p.logLines(""), func(l string) bool {
		// The machine's, not the start's: a disk with under a GiB free
		// has no room for the emergency ballast, and says so.
		return strings.Contains(l, "no room for the emergency ballast")
	})
	if len(lines) != 0 {
		t.Fatalf("at -log-level warn a clean start and stop logged %d lines: %q", len(lines), lines)
	}
	p = startEdgeFlags(t, writeConfig(t, dir, public, admin, ""), public, admin, []string{"-log-format", "json"})
	p.stop()
	lines = p.logLines("clickedge serving")
	if len(lines) != 1 {
		t.Fatalf("want one start line, got %q", p.log.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil || rec["level"] != "INFO" || rec["listen"] != public {
		t.Fatalf("start line %q: %v, %v", lines[0], rec, err)
	}
}

// A bad -listen, -admin-listen or -data names the flag, not the config file
// whose values it replaced.
func TestServeFlagErrorsNameTheFlag(t *testing.T) {
	dir := t.TempDir()
	public, admin := freeAddr(t), freeAddr(t)
	cfg := writeConfig(t, dir, public, admin, testApps+"campaigns:\n  camp1: { app: com.test.app }\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-config", cfg, "-listen", "bogus"}, `clickedge: -listen: "bogus" is not host:port (missing port in address)`},
		{[]string{"-listen", "bogus"}, `clickedge: -listen: "bogus" is not host:port (missing port in address)`},
		{[]string{"-config", cfg, "-admin-listen", "127.0.0.1:http"}, `clickedge: -admin-listen: "127.0.0.1:http" has a bad port (want 0..65535)`},
		{[]string{"-config", cfg, "-admin-listen", public}, fmt.Sprintf(`clickedge: -admin-listen: %q is the same address as listen`, public)},
		{[]string{"-config", cfg, "-listen", admin}, fmt.Sprintf(`clickedge: -listen: %q is the same address as admin_listen`, admin)},
		// An empty -data (an unset $VAR) is not the file's data_dir; a
		// directory that cannot be opened is the flag's fault too.
		{[]string{"-config", cfg, "-data", ""}, `clickedge: -data: must not be empty`},
		{[]string{"-config", cfg, "-data", "/proc/no-such-dir"}, `clickedge: -data: store: open /proc/no-such-dir: error opening database at "/proc/no-such-dir": mkdir /proc/no-such-dir: no such file or directory`},
	} {
		args := append([]string{"serve"}, tc.args...)
		code, out := runBin(t, args...)
		if code != 1 {
			t.Errorf("%v: exit %d, want 1\n%s", args, code, out)
			continue
		}
		oneLine(t, args, out, tc.want)
	}
}

// An argument no command takes is a usage error (exit 2) naming it, not
// silently ignored.
func TestStrayArguments(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "127.0.0.1:0", "127.0.0.1:0", testApps)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check-config", "-config", cfg, "extra"}, `check-config: unexpected argument "extra"`},
		{[]string{"check-config", "extra", "-config", cfg}, `check-config: unexpected argument "extra"`},
		{[]string{"serve", "-config", cfg, "extra"}, `serve: unexpected argument "extra"`},
		{[]string{"version", "extra"}, `version: unexpected argument "extra"`},
		{[]string{"help", "extra"}, `help: unexpected argument "extra"`},
		{[]string{"loadtest", "-target", "http://127.0.0.1:1", "-rate", "1", "-duration", "1s", "extra"}, `loadtest: unexpected argument "extra"`},
		{[]string{"bench", "-clicks", "5", "extra"}, `bench: unexpected argument "extra"`},
	} {
		code, out := runBin(t, tc.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", tc.args, code, out)
			continue
		}
		oneLine(t, tc.args, out, tc.want)
	}
}

// An edge that accepts connections has its signal handlers in place: a
// SIGHUP sent the moment its public port first accepts a connection (the
// listener exists before the store is open) reloads it, never kills it, as
// SIGHUP's default action would. It once did: the handlers were installed
// after Start returned, and TestSIGHUPReload caught that window in CI.
func TestSIGHUPRightAfterStart(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	for i := range 5 {
		dir := t.TempDir()
		public, admin := freeAddr(t), freeAddr(t)
		cfg := writeConfig(t, dir, public, admin, testApps+"campaigns:\n  camp1: { app: com.test.app }\n")
		var log testlog.Buffer
		cmd := exec.Command(binPath, "serve", "-config", cfg)
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		deadline := time.Now().Add(10 * time.Second)
		for {
			c, err := net.Dial("tcp", public)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("round %d: the edge never listened:\n%s", i, log.String())
			}
		}
		cmd.Process.Signal(syscall.SIGHUP)
		waitFor(t, "the reload", 10*time.Second, func() bool {
			select {
			case err := <-done:
				t.Fatalf("round %d: SIGHUP right after the port opened ended the edge (%v):\n%s", i, err, log.String())
			default:
			}
			return strings.Contains(log.String(), "config reloaded")
		})
		cmd.Process.Signal(syscall.SIGTERM)
		if err := <-done; err != nil {
			t.Fatalf("round %d: exit after SIGTERM: %v\n%s", i, err, log.String())
		}
	}
}

// TestServeEnvAdminToken: a CLICKEDGE_ADMIN_TOKEN with a secret file's
// newline is one error line naming the variable when it is what sets the
// token (the embedded default, a file without admin_token), and nothing
// at all when the file sets its own: serve panicked in both cases, as it
// parsed the embedded default whether or not -config was given. An empty
// -config (an unset $VAR) is refused, as an empty -data is: serve ran the
// embedded demo config. Found by an audit.
func TestServeEnvAdminToken(t *testing.T) {
	dir := t.TempDir()
	public, admin := freeAddr(t), freeAddr(t)
	withToken := writeConfig(t, dir, public, admin, "") // sets admin_token
	env := append(os.Environ(), "CLICKEDGE_ADMIN_TOKEN=s3cret\n")
	run := func(args ...string) (int, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, binPath, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), string(out)
		}
		return 0, string(out)
	}
	args := []string{"serve", "-listen", freeAddr(t), "-admin-listen", freeAddr(t), "-data", filepath.Join(dir, "d1")}
	code, out := run(args...)
	if code != 1 {
		t.Errorf("%v: exit %d, want 1\n%s", args, code, out)
	}
	oneLine(t, args, out, `config: embedded default: admin_token (from CLICKEDGE_ADMIN_TOKEN): must not hold control characters or begin or end with a space (it is sent as a bearer token)`)

	// The file's own admin_token wins: the variable is not read at all.
	p := startEdge(t, withToken, public, admin, "CLICKEDGE_ADMIN_TOKEN=s3cret\n")
	if code, _ := p.adminGet("/admin/v1/postbacks"); code != 200 {
		t.Errorf("the file's admin_token: admin API answered %d", code)
	}

	args = []string{"serve", "-config", "", "-listen", freeAddr(t), "-admin-listen", freeAddr(t), "-data", filepath.Join(dir, "d2")}
	code, out = runBin(t, args...)
	if code != 1 {
		t.Errorf("%v: exit %d, want 1\n%s", args, code, out)
	}
	oneLine(t, args, out, `clickedge: -config: must not be empty`)
}

// A signal during the shutdown (a second Ctrl-C, a supervisor's second
// SIGTERM) stops the edge at once, with the store closed and exit 1,
// rather than waiting out the shutdown's 25 s for a client that keeps a
// request open.
func TestSignalDuringShutdownStopsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	dir := t.TempDir()
	public, admin := freeAddr(t), freeAddr(t)
	cfg := writeConfig(t, dir, public, admin, testApps+"campaigns:\n  camp1: { app: com.test.app }\n")
	p := startEdge(t, cfg, public, admin)
	if code, _ := do(t, mustReq("GET", "http://"+public+"/?c=camp1&click_id=kept")); code != 302 {
		t.Fatalf("click: %d", code)
	}
	// A request head that never ends holds the listener's shutdown.
	c, err := net.Dial("tcp", public)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /?c=camp1&click_id=slow HTTP/1.1\r\nHost: x\r\n")
	time.Sleep(100 * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		t.Fatal("the edge stopped before the open request was done: the test holds nothing")
	case <-time.After(time.Second):
	}
	began := time.Now()
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Fatal("a second signal did not stop the shutdown")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit %d after a shutdown cut short, want 1", code)
	}
	t.Logf("stopped %v after the second signal", time.Since(began).Round(time.Millisecond))
	if len(p.logLines("second signal")) == 0 {
		t.Errorf("the log does not say why it stopped at once")
	}
	// The store was closed: the click is there after a restart.
	q := startEdge(t, cfg, public, admin)
	if code, body := q.adminGet("/admin/v1/clicks/kept"); code != 200 {
		t.Fatalf("the click after the restart: %d %s", code, body)
	}
	q.stop()
}
