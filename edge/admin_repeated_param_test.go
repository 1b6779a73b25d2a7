package edge

import (
	"net/http"
	"strings"
	"testing"
)

// TestAdminRepeatedFilterNotDropped: a filter given twice
// (?campaign=c1&campaign=c2, what a script building a query from a list
// sends) must not be answered with the first value's records alone, as if
// the second had not been asked for: refused with a 400 naming it, as an
// unknown or empty one is, or honoured.
func TestAdminRepeatedFilterNotDropped(t *testing.T) {
	e := startLocalEdge(t, `admin_token: "tok"
apps:
  com.example.app: {web: "https://example.com/"}
campaigns:
  c1: {app: com.example.app}
  c2: {app: com.example.app}
`)
	public, admin := "http://"+e.PublicAddr(), "http://"+e.AdminAddr()
	for _, s := range []struct{ c, k, i string }{{"c1", "k1", "i1"}, {"c2", "k2", "i2"}} {
		if code, body := request(t, "GET", public, "/?c="+s.c+"&click_id="+s.k, ""); code != 302 {
			t.Fatalf("click: %d %s", code, body)
		}
		resp, err := http.Post(public+"/v1/conversions", "application/json",
			strings.NewReader(`{"type":"install","install_id":"`+s.i+`","click_id":"`+s.k+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for _, tc := range []struct{ path, wantBoth []string }{
		{[]string{"/admin/v1/export/installs?campaign=c1&campaign=c2"}, []string{`"i1"`, `"i2"`}},
		{[]string{"/admin/v1/export/events?campaign=c1&campaign=c2"}, []string{`"i1"`, `"i2"`}},
	} {
		code, body := request(t, "GET", admin, tc.path[0], "Bearer tok")
		if code == 400 && strings.Contains(body, "campaign") {
			continue // refused, naming it: fine
		}
		for _, w := range tc.wantBoth {
			if !strings.Contains(body, w) {
				t.Errorf("%s: %d, install %s missing (the second value dropped silently):\n%s", tc.path[0], code, w, body)
			}
		}
	}
}
