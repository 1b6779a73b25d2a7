package main

import (
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// prlimitNofile sets pid's RLIMIT_NOFILE (soft and hard) to n.
func prlimitNofile(t *testing.T, pid, n int) {
	t.Helper()
	lim := syscall.Rlimit{Cur: uint64(n), Max: uint64(n)}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), uintptr(syscall.RLIMIT_NOFILE),
		uintptr(unsafe.Pointer(&lim)), 0, 0, 0); e != 0 {
		t.Skipf("prlimit: %v", e)
	}
}

// A burst of connections that runs the edge out of file descriptors for a
// moment (a CDN opening connections at once, a scanner, a LimitNOFILE left
// at the distribution's default) must not end the edge: once the
// connections close it serves again, as Go's net/http and nginx do after
// EMFILE. The public listener had stopped for good on the first accept
// that failed, and the edge exited 1.
func TestListenerSurvivesFDExhaustion(t *testing.T) {
	dir := t.TempDir()
	public, admin := freeAddr(t), freeAddr(t)
	cfg := writeConfig(t, dir, public, admin, testApps+"campaigns:\n  camp1: { app: com.test.app }\n")
	p := startEdge(t, cfg, public, admin)

	fds, err := os.ReadDir("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/fd")
	if err != nil {
		t.Skip(err)
	}
	prlimitNofile(t, p.cmd.Process.Pid, len(fds)+16)

	// 64 connections: the first few are accepted, then accept4 fails with
	// EMFILE while the rest wait in the backlog.
	var conns []net.Conn
	for range 64 {
		c, err := net.DialTimeout("tcp", public, time.Second)
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	time.Sleep(500 * time.Millisecond)
	for _, c := range conns {
		c.Close()
	}

	client := &http.Client{Timeout: 2 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-p.done:
			t.Fatalf("the edge exited (code %d) after running out of file descriptors for a moment", p.cmd.ProcessState.ExitCode())
		default:
		}
		resp, err := client.Get("http://" + public + "/camp1?click_id=after-emfile")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusFound {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the edge did not serve clicks again after the connections closed: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code := p.stop(); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}
}
