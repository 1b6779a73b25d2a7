package main

import (
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A SIGHUP that lands while the config file is being rewritten (truncated,
// not yet written: `cat > clickedge.yaml`, a config tool without an atomic
// rename) finds an empty file. That is no config anyone means to run: the
// reload must be refused and the running config kept. It had been taken
// as "all defaults": every campaign gone (every click a 404, lost), every
// partner gone (every pending postback failed at once, "partner not
// configured", until re-driven), and without CLICKEDGE_ADMIN_TOKEN set
// the admin API with them.
func TestSIGHUPWithEmptyConfigKeepsRunningConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	for _, body := range []string{"", "\n", "# being rewritten\n"} {
		t.Run(strings.TrimSpace(body), func(t *testing.T) {
			dir := t.TempDir()
			public, admin, down := freeAddr(t), freeAddr(t), freeAddr(t) // nothing listens on down
			cfg := writeConfig(t, dir, public, admin, testApps+`allow_private_targets: true
partners:
  acme:
    install: "http://`+down+`/i?click_id={click_id}"
    retry: { base: "1s", max_interval: "2s", max_age: "1h" }
campaigns:
  camp1: { app: com.test.app, partner: acme }
`)
			p := startEdge(t, cfg, public, admin)
			get := func(url string) int {
				resp, err := noRedirect.Get(url)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			if code := get("http://" + public + "/camp1?click_id=c1"); code != http.StatusFound {
				t.Fatalf("click: %d", code)
			}
			if code, body := p.postConversion(`{"type":"install","install_id":"i1","click_id":"c1"}`); code != 200 || !strings.Contains(body, `"queued"`) {
				t.Fatalf("install: %d %s", code, body)
			}

			good, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			syscall.Kill(p.cmd.Process.Pid, syscall.SIGHUP)
			waitFor(t, "the reload to be logged", 5*time.Second, func() bool {
				return len(p.logLines("config reload")) > 0
			})
			time.Sleep(1500 * time.Millisecond) // a dispatcher pass or two

			if code := get("http://" + public + "/camp1?click_id=c2"); code != http.StatusFound {
				t.Errorf("a click after SIGHUP with an empty config file: %d, want 302 (the running config kept)", code)
			}
			if len(p.logLines("config reload refused")) == 0 {
				t.Errorf("no line says the reload was refused")
			}

			// The operator's tool finishes writing the file: SIGHUP again.
			if err := os.WriteFile(cfg, good, 0o644); err != nil {
				t.Fatal(err)
			}
			before := len(p.logLines(`msg="config reloaded"`))
			syscall.Kill(p.cmd.Process.Pid, syscall.SIGHUP)
			waitFor(t, "the second reload", 5*time.Second, func() bool {
				return len(p.logLines(`msg="config reloaded"`)) > before
			})
			if code, body := p.adminGet("/admin/v1/postbacks?status=failed"); code != 200 || strings.Contains(body, `"i1"`) {
				t.Errorf("the install's pending postback failed for good during the empty config (its partner still down, not refused): %d %s", code, body)
			}
		})
	}
}
