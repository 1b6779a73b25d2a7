package edge

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Redrives while the dispatcher delivers: a redrive that finds the partner
// still refusing re-sends each failed postback once (not once per batch it
// passes through); two redrives at once re-queue each once between them;
// conversions arriving meanwhile are posted once; nothing stays failed.
func TestRedriveWhileDelivering(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var refuse atomic.Bool
	refuse.Store(true)
	var mu sync.Mutex
	hits, ok := map[string]int{}, map[string]int{}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("c")
		mu.Lock()
		hits[id]++
		if !refuse.Load() {
			ok[id]++
		}
		mu.Unlock()
		if refuse.Load() {
			w.WriteHeader(http.StatusNotFound)
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	e := startLocalEdge(t, `admin_token: "tok"
durability: async
allow_private_targets: true
apps:
  com.example.app: {web: "https://example.com/"}
partners:
  net: {install: "http://`+ln.Addr().String()+`/i?c={click_id}"}
campaigns:
  camp: {app: com.example.app, partner: net}
`)
	public, admin := "http://"+e.PublicAddr(), "http://"+e.AdminAddr()
	installs := func(from, to int) {
		var b strings.Builder
		for i := from; i < to; i++ {
			if code, body := request(t, "GET", public, fmt.Sprintf("/v1/click?c=camp&click_id=k%05d", i), ""); code != 200 {
				t.Fatalf("click: %d %s", code, body)
			}
			fmt.Fprintf(&b, `{"type":"install","install_id":"i%05d","click_id":"k%05d"}`+"\n", i, i)
		}
		resp, err := http.Post(public+"/v1/conversions/batch", "application/x-ndjson", strings.NewReader(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	count := func(status string) int {
		_, body := request(t, "GET", admin, "/admin/v1/postbacks?limit=10000&status="+status, "Bearer tok")
		var v []json.RawMessage
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("%s: %v %s", status, err, body)
		}
		return len(v)
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: pending %d failed %d delivered %d", what, count("pending"), count("failed"), count("delivered"))
			}
		}
	}
	redrive := func() int {
		code, body := request(t, "POST", admin, "/admin/v1/postbacks/redrive", "Bearer tok")
		var v struct{ Redriven int }
		if code != 200 || json.Unmarshal([]byte(body), &v) != nil {
			t.Errorf("redrive: %d %s", code, body)
		}
		return v.Redriven
	}
	const n = 2500 // three redrive batches
	installs(0, n)
	waitFor("all refused", func() bool { return count("failed") == n })

	// The partner still refuses: one redrive, one more attempt each.
	if got := redrive(); got != n {
		t.Errorf("first redrive moved %d, want %d", got, n)
	}
	waitFor("refused again", func() bool { return count("failed") == n && count("pending") == 0 })
	mu.Lock()
	for id, h := range hits {
		if h != 2 {
			t.Errorf("%s sent %d times after one redrive, want 2", id, h)
		}
	}
	mu.Unlock()

	// The partner is back: two redrives at once, new installs meanwhile.
	refuse.Store(false)
	var wg sync.WaitGroup
	var moved atomic.Int64
	for range 2 {
		wg.Go(func() { moved.Add(int64(redrive())) })
	}
	wg.Go(func() { installs(n, n+300) })
	wg.Wait()
	if moved.Load() != n {
		t.Errorf("two redrives moved %d, want %d", moved.Load(), n)
	}
	waitFor("delivered", func() bool { return count("delivered") == n+300 })
	if f := count("failed"); f != 0 {
		t.Errorf("%d still failed", f)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range n + 300 {
		if id := fmt.Sprintf("k%05d", i); ok[id] != 1 {
			t.Errorf("%s delivered %d times, want 1", id, ok[id])
		}
	}
}
