package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testApps = `
apps:
  com.test.app:
    android: "https://play.google.com/store/apps/details?id=com.test.app"
    ios: "https://apps.apple.com/app/id1"
    web: "https://example.com/"
`

// Every click answered 302 in sync mode is on disk: SIGKILL the edge in the
// middle of a load, restart it, and find them all.
func TestClicksSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	dir := t.TempDir()
	public, admin := freeAddr(t), freeAddr(t)
	cfg := writeConfig(t, dir, public, admin, "durability: sync\n"+testApps+`
campaigns:
  camp1: { app: com.test.app }
`)
	p := startEdge(t, cfg, public, admin)

	var (
		mu       sync.Mutex
		answered []string
		seq      atomic.Int64
		stop     atomic.Bool
		wg       sync.WaitGroup
	)
	client := &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{MaxIdleConnsPerHost: 32},
	}
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 5000 && !stop.Load(); n++ {
				id := fmt.Sprintf("k%06d", seq.Add(1))
				resp, err := client.Get("http://" + public + "/?c=camp1&click_id=" + id + "&sub1=x&gaid=38400000-8cf0-11bd-b23e-10b96e40000d")
				if err != nil {
					return // the edge was killed
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusFound {
					mu.Lock()
					answered = append(answered, id)
					mu.Unlock()
				}
			}
		}()
	}
	waitFor(t, "some clicks", 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(answered) >= 300
	})
	p.kill()
	stop.Store(true)
	wg.Wait()

	p2 := startEdge(t, cfg, public, admin)
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d clicks answered 302 before SIGKILL", len(answered))
	for _, id := range answered {
		code, body := p2.adminGet("/admin/v1/clicks/" + id)
		if code != 200 || !strings.Contains(body, `"click_id":"`+id+`"`) {
			t.Fatalf("click %s answered 302 but not stored after SIGKILL: %d %s", id, code, body)
		}
	}
}

func TestClickRedirectAndAdmin(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	dir := t.TempDir()
	public, admin := freeAddr(t), freeAddr(t)
	cfg := writeConfig(t, dir, public, admin, testApps+`
campaigns:
  camp1: { app: com.test.app }
`)
	p := startEdge(t, cfg, public, admin)

	req, _ := http.NewRequest("GET", "http://"+public+"/camp1?click_id=a%20b&sub1=x", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 302 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	want := "https://play.google.com/store/apps/details?id=com.test.app&referrer=click_id%3Da%2520b%26c%3Dcamp1"
	if got := resp.Header.Get("Location"); got != want {
		t.Fatalf("Location = %q, want %q", got, want)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Fatalf("Cache-Control = %q", got)
	}
	code, body := p.adminGet("/admin/v1/clicks/a%20b")
	if code != 200 || !strings.Contains(body, `"platform":"android"`) || !strings.Contains(body, `"os_version":"14"`) {
		t.Fatalf("admin click: %d %s", code, body)
	}

	for _, tc := range []struct{ method, url string }{
		{"GET", "/?c=nope&click_id=z1"},
		{"GET", "/?click_id=z2"},
		{"HEAD", "/?c=camp1&click_id=z3"},
	} {
		req, _ := http.NewRequest(tc.method, "http://"+public+tc.url, nil)
		do(t, req)
	}
	for _, id := range []string{"z1", "z2", "z3"} {
		if code, _ := p.adminGet("/admin/v1/clicks/" + id); code != 404 {
			t.Errorf("click %s stored (admin %d); unknown campaigns and HEAD store nothing", id, code)
		}
	}
	// No token, wrong token: 401.
	req, _ = http.NewRequest("GET", "http://"+admin+"/admin/v1/clicks/x", nil)
	if code, _ := do(t, req); code != 401 {
		t.Errorf("admin without token: %d, want 401", code)
	}
	if code, body := do(t, mustReq("GET", "http://"+admin+"/metrics")); code != 200 || !strings.Contains(body, `clickedge_clicks_total{result="stored"} 1`) {
		t.Errorf("metrics: %d\n%s", code, body)
	}
	if code := p.stop(); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0", code)
	}
}

func mustReq(method, url string) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		panic(err)
	}
	return req
}
