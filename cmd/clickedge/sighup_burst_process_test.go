package main

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A burst of SIGHUPs (a config-management run that reloads once per file
// it writes) and then SIGTERM: the edge must still stop. The signal
// channel holds four; os/signal drops what does not fit, so a SIGTERM that
// arrives while it is full of SIGHUPs, the loop busy with one, is lost and
// the edge runs on until the supervisor's SIGKILL.
func TestSIGTERMAfterSIGHUPBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	for _, tc := range []struct {
		name      string
		campaigns int
		hups      int
		gap       time.Duration
	}{
		{"50 SIGHUPs at once", 1, 50, 0},
		{"10 SIGHUPs 1ms apart, 2000 campaigns", 2000, 10, time.Millisecond},
		{"10 SIGHUPs 2ms apart, 20000 campaigns", 20000, 10, 2 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			public, admin := freeAddr(t), freeAddr(t)
			var camps strings.Builder
			for i := range tc.campaigns {
				fmt.Fprintf(&camps, "  camp%d: { app: com.test.app }\n", i)
			}
			cfg := writeConfig(t, dir, public, admin, testApps+"campaigns:\n"+camps.String())
			for round := range 5 {
				p := startEdge(t, cfg, public, admin)
				pid := p.cmd.Process.Pid
				for range tc.hups {
					syscall.Kill(pid, syscall.SIGHUP)
					time.Sleep(tc.gap)
				}
				syscall.Kill(pid, syscall.SIGTERM)
				select {
				case <-p.done:
					if code := p.cmd.ProcessState.ExitCode(); code != 0 {
						t.Fatalf("round %d: exit %d", round, code)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("round %d: still running 10 s after SIGTERM (sent after %d SIGHUPs); reloads logged: %d",
						round, tc.hups, len(p.logLines(`msg="config reloaded"`)))
				}
			}
		})
	}
}
