package edge

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// from=0001-01-01 (the earliest date a client can name: Go's and SQL's
// minimum) asks for everything since then, as from=1970-01-01 does; it was
// taken for "no from" and answered the last 24 hours, silently (the
// export's lines carry no range to tell).
func TestRangeFromYearOne(t *testing.T) {
	e := startLocalEdge(t, `admin_token: "tok"
apps:
  com.example.app: {web: "https://example.com/"}
`)
	public, admin := "http://"+e.PublicAddr(), "http://"+e.AdminAddr()
	old := strconv.FormatInt(time.Now().Add(-72*time.Hour).Unix(), 10)
	resp, err := http.Post(public+"/v1/conversions", "application/json",
		strings.NewReader(`{"type":"install","install_id":"old","app":"com.example.app","event_time":`+old+`}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("install: %d", resp.StatusCode)
	}
	for _, from := range []string{"1970-01-01", "0001-01-01", "0001-01-01T00:00:00Z"} {
		code, body := request(t, "GET", admin, "/admin/v1/report?from="+from, "Bearer tok")
		var got struct {
			From string `json:"from"`
			Rows []struct{ Installs int }
		}
		if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("report from %s: %d %s", from, code, body)
		}
		if len(got.Rows) != 1 || got.Rows[0].Installs != 1 {
			t.Errorf("report from %s: %s; want the install of 3 days ago", from, strings.TrimSpace(body))
		}
		if code, body := request(t, "GET", admin, "/admin/v1/export/installs?from="+from, "Bearer tok"); code != 200 || !strings.Contains(body, `"install_id":"old"`) {
			t.Errorf("export from %s: %d %q; want the install of 3 days ago", from, code, body)
		}
	}
}
