package edge

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/clickedge/clickedge/internal/testnats"
)

// TestAdminInstallViewOfHeldInstall: GET /admin/v1/installs/{id} of an
// install held for its click (replication on, its click_id not here yet)
// shows match "pending"; its "why", what support staff read, must not say
// that no click matched, which is the organic verdict the hold exists to
// avoid (CONTRACT §8: "until pending_window has passed it is held and
// retried, not declared organic").
func TestAdminInstallViewOfHeldInstall(t *testing.T) {
	ns := testnats.Start(t, -1, t.TempDir())
	e := startLocalEdge(t, `region: eu
admin_token: tok
replication:
  nats_url: "`+ns.ClientURL()+`"
  peers: [us]
  pending_window: 60s
apps:
  com.example.app: {web: "https://example.com/"}
partners:
  net:
    install: "https://pb.example/i?c={click_id}"
campaigns:
  camp: {app: com.example.app, partner: net}
`)
	public, admin := "http://"+e.PublicAddr(), "http://"+e.AdminAddr()
	resp, err := http.Post(public+"/v1/conversions", "application/json",
		strings.NewReader(`{"type":"install","install_id":"h1","click_id":"from-us","app":"com.example.app"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	code, body := request(t, "GET", admin, "/admin/v1/installs/h1", "Bearer tok")
	if code != 200 {
		t.Fatalf("install view: %d %s", code, body)
	}
	var v struct {
		Match string `json:"match"`
		Why   string `json:"why"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if v.Match != "pending" {
		t.Fatalf("not held: %s", body)
	}
	if strings.HasPrefix(v.Why, "no click matched") {
		t.Errorf("a held install's why gives the organic verdict: %q", v.Why)
	}
}
