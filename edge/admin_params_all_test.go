package edge

import (
	"net/http"
	"strings"
	"testing"
)

// README (admin table): "Every admin endpoint refuses a query parameter it
// does not know with a 400 naming it". The lookups, the device view, the
// replication status and the checkpoint take any parameter and ignore it:
// a misspelt ?limt=5 lists 100 records, ?ap= of a one-app config shows
// that app's, a ?dir=/backup checkpoint goes where it always goes.
func TestEveryAdminEndpointRefusesUnknownParameters(t *testing.T) {
	e := startLocalEdge(t, `admin_token: "tok"
apps:
  com.example.app: {web: "https://example.com/"}
campaigns:
  ca: {app: com.example.app}
`)
	public, admin := "http://"+e.PublicAddr(), "http://"+e.AdminAddr()
	if code, _ := request(t, "GET", public, "/?c=ca&click_id=k1", ""); code != 302 {
		t.Fatalf("click: %d", code)
	}
	for _, tc := range []struct{ method, path, param string }{
		{"GET", "/admin/v1/clicks/k1?bogus=1", "bogus"},
		{"GET", "/admin/v1/installs/i1?bogus=1", "bogus"},
		{"GET", "/admin/v1/devices/38400000-8cf0-11bd-b23e-10b96e40000d?limt=5", "limt"},
		{"GET", "/admin/v1/devices/38400000-8cf0-11bd-b23e-10b96e40000d?ap=com.example.app", "ap"},
		{"GET", "/admin/v1/replication?peer=us-east", "peer"},
		{"POST", "/admin/v1/checkpoint?dir=/tmp/backup", "dir"},
	} {
		code, body := request(t, tc.method, admin, tc.path, "Bearer tok")
		if code != http.StatusBadRequest || !strings.Contains(body, tc.param) {
			t.Errorf("%s %s: %d %.120s; want 400 naming %q", tc.method, tc.path, code, strings.TrimSpace(body), tc.param)
		}
	}
}
