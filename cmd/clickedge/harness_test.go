package main

// Process-level tests: they build the real binary, start it on 127.0.0.1
// with a config in a temp dir, talk to it over HTTP, and kill it as an
// operator's supervisor (or a power cut) would.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clickedge/clickedge/internal/testlog"
)

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "clickedge-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "clickedge")
	out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build clickedge: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// handedOut are the addresses freeAddr has returned in this process.
var handedOut = struct {
	sync.Mutex
	m map[string]bool
}{m: map[string]bool{}}

// freeAddr returns a 127.0.0.1 address nobody listens on right now, and one
// it has not returned before: the kernel may give a port just closed to the
// next bind, so two calls could otherwise name the same address.
func freeAddr(t testing.TB) string {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		if !handedOut.m[addr] {
			handedOut.m[addr] = true
			return addr
		}
	}
}

// edgeProc is one running clickedge process.
type edgeProc struct {
	t      testing.TB
	cmd    *exec.Cmd
	public string
	admin  string
	data   string
	cfg    string
	log    *testlog.Buffer
	done   chan struct{}
}

// writeConfig writes a config for a test edge: yaml is appended to the
// listener and data settings.
func writeConfig(t testing.TB, dir, public, admin, yaml string) string {
	t.Helper()
	path := filepath.Join(dir, "clickedge.yaml")
	body := fmt.Sprintf("listen: %q\nadmin_listen: %q\ndata_dir: %q\nadmin_token: test-token\n%s",
		public, admin, filepath.Join(dir, "data"), yaml)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startEdge starts the binary with cfg, and env (KEY=value) added to this
// process's environment, and waits until it answers.
func startEdge(t testing.TB, cfg, public, admin string, env ...string) *edgeProc {
	t.Helper()
	return startEdgeFlags(t, cfg, public, admin, nil, env...)
}

// startEdgeFlags is startEdge with more serve flags.
func startEdgeFlags(t testing.TB, cfg, public, admin string, flags []string, env ...string) *edgeProc {
	t.Helper()
	p := &edgeProc{t: t, public: public, admin: admin, cfg: cfg, log: &testlog.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(binPath, append([]string{"serve", "-config", cfg}, flags...)...)
	if len(env) > 0 {
		p.cmd.Env = append(os.Environ(), env...)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("clickedge log:\n%s", p.log.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + public + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-p.done:
			t.Fatalf("clickedge exited early:\n%s", p.log.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("clickedge did not answer on %s:\n%s", public, p.log.String())
	return nil
}

func (p *edgeProc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and returns the exit code.
func (p *edgeProc) stop() int {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.t.Fatal("clickedge did not exit after SIGTERM")
	}
	return p.cmd.ProcessState.ExitCode()
}

// noRedirect is an HTTP client that reports 302s instead of following them.
var noRedirect = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport:     &http.Transport{MaxIdleConnsPerHost: 64},
}

func (p *edgeProc) adminGet(path string) (int, string) {
	req, _ := http.NewRequest("GET", "http://"+p.admin+path, nil)
	req.Header.Set("Authorization", "Bearer test-token")
	return do(p.t, req)
}

func (p *edgeProc) adminPost(path string) (int, string) {
	req, _ := http.NewRequest("POST", "http://"+p.admin+path, nil)
	req.Header.Set("Authorization", "Bearer test-token")
	return do(p.t, req)
}

func (p *edgeProc) postConversion(body string) (int, string) {
	req, _ := http.NewRequest("POST", "http://"+p.public+"/v1/conversions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return do(p.t, req)
}

func do(t testing.TB, req *http.Request) (int, string) {
	t.Helper()
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// logLines returns the process log's lines that contain s.
func (p *edgeProc) logLines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(p.log.String()))
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			out = append(out, sc.Text())
		}
	}
	return out
}

// freeAddr never hands out one address twice: the kernel may give a port
// just closed to the next bind, and a test that takes two addresses (public
// and admin) once got the same one for both, in CI.
func TestFreeAddrNeverRepeats(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		a := freeAddr(t)
		if seen[a] {
			t.Fatalf("freeAddr returned %s twice", a)
		}
		seen[a] = true
	}
}
