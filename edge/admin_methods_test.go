package edge

import (
	"net/http"
	"testing"
)

// TestAdminMethods: every admin endpoint takes its one method (GET ones
// HEAD too) and answers any other 405 with the Allow header RFC 9110
// §15.5.6 requires. Three 405s had no Allow, and the lookups took any
// method: DELETE /admin/v1/clicks/{id} answered 200 with the click, as if
// deleted. Found by an audit.
func TestAdminMethods(t *testing.T) {
	e := startLocalEdge(t, `admin_token: "tok"
apps:
  com.example.app: {web: "https://example.com/"}
campaigns:
  camp: {app: com.example.app}
`)
	if code, _ := request(t, "GET", "http://"+e.PublicAddr(), "/?c=camp&click_id=m1", ""); code != 302 {
		t.Fatal(code)
	}
	admin := "http://" + e.AdminAddr()
	checkMethods(t, admin, "Bearer tok", []methodCase{
		{"POST", "/admin/v1/postbacks", 405, "GET, HEAD"},
		{"GET", "/admin/v1/postbacks/redrive", 405, "POST"},
		{"GET", "/admin/v1/checkpoint", 405, "POST"},
		{"POST", "/admin/v1/replication", 405, "GET, HEAD"},
		{"DELETE", "/admin/v1/clicks/m1", 405, "GET, HEAD"},
		{"DELETE", "/admin/v1/installs/nope", 405, "GET, HEAD"},
		{"PUT", "/admin/v1/devices/gaid/38400000-8cf0-11bd-b23e-10b96e40000d", 405, "GET, HEAD"},
		{"POST", "/admin/v1/export/installs", 405, "GET, HEAD"},
		{"POST", "/admin/v1/report", 405, "GET, HEAD"},
		{"HEAD", "/admin/v1/clicks/m1", 200, ""},
		{"HEAD", "/admin/v1/replication", 200, ""},
		{"GET", "/admin/v1/clicks/m1", 200, ""},
	})
}

// methodCase is a request and the status and Allow header it must get.
type methodCase struct {
	method, path string
	code         int
	allow        string
}

// checkMethods sends each case to base (with auth, when set) and checks
// its status and Allow header.
func checkMethods(t *testing.T, base, auth string, cases []methodCase) {
	t.Helper()
	for _, tc := range cases {
		req, _ := http.NewRequest(tc.method, base+tc.path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code || resp.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d, Allow %q; want %d with Allow %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Allow"), tc.code, tc.allow)
		}
	}
}
