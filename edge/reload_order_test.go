package edge

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clickedge/clickedge/config"
)

// TestReloadAddsPartnerBeforeItIsUsed: a reload that adds a partner and
// moves a campaign to it gives the dispatcher the partner before the
// tracker can queue a postback for it. The tracker came first: a
// conversion decided between the two updates was answered "queued" and
// its postback failed for good as "partner not configured". Found by an
// audit (with the gap held open here by betweenReloadSteps).
func TestReloadAddsPartnerBeforeItIsUsed(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) })}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	dir := t.TempDir()
	yaml := func(partners, camp string) string {
		return `listen: "127.0.0.1:0"
admin_listen: "127.0.0.1:0"
data_dir: "` + dir + `"
allow_private_targets: true
apps:
  a1: {web: "https://a1.example/"}
partners:
` + partners + `
campaigns:
  c1: {app: a1, partner: ` + camp + `}
`
	}
	p := func(name string) string {
		return "  " + name + ": {install: \"http://" + ln.Addr().String() + "/" + name + "?e={event_id}\"}\n"
	}
	e := startTestEdge(t, yaml(p("old"), "old"))
	next, err := config.Parse("test.yaml", []byte(yaml(p("old")+p("new"), "new")), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	public := "http://" + e.PublicAddr()
	if code, body := request(t, "GET", public, "/c1?click_id=k1", ""); code != 302 {
		t.Fatalf("click: %d %s", code, body)
	}
	time.Sleep(1200 * time.Millisecond) // past the dispatcher's first full scan

	t.Cleanup(func(f func()) func() { return func() { betweenReloadSteps = f } }(betweenReloadSteps))
	betweenReloadSteps = func() {
		resp, err := http.Post(public+"/v1/conversions", "application/json", strings.NewReader(`{"type":"install","install_id":"i1","click_id":"k1"}`))
		if err != nil {
			t.Error(err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `"postback":"queued"`) {
			t.Errorf("conversion: %s", b)
		}
		time.Sleep(300 * time.Millisecond) // a scheduler pass in the gap
	}
	if err := e.Reload(next); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for got.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got.Load() == 0 {
		_, body := request(t, "GET", "http://"+e.AdminAddr(), "/admin/v1/postbacks?status=failed", "")
		t.Fatalf("postback never sent; failed: %s", body)
	}
}
