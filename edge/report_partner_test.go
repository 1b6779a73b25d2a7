package edge

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReportPartnerOfEventOnlyRow: a campaign whose range holds only
// in-app events (its installs came before it) still names its partner: the
// partner of those events' install. It showed "". Found by an audit.
func TestReportPartnerOfEventOnlyRow(t *testing.T) {
	e := startLocalEdge(t, `admin_token: "tok"
apps:
  com.example.app: {web: "https://example.com/"}
partners:
  net: {install: "http://127.0.0.1:9/i?c={click_id}"}
campaigns:
  camp: {app: com.example.app, partner: net}
`)
	public, admin := "http://"+e.PublicAddr(), "http://"+e.AdminAddr()
	now := time.Now().Unix()
	if code, body := request(t, "GET", public, "/v1/click?c=camp&click_id=k1&click_time="+strconv.FormatInt(now-100, 10), ""); code != 200 {
		t.Fatalf("click: %d %s", code, body)
	}
	for _, body := range []string{
		`{"type":"install","install_id":"i1","click_id":"k1","event_time":` + strconv.FormatInt(now-50, 10) + `}`,
		`{"type":"event","install_id":"i1","event_id":"p1","event_name":"purchase","revenue":"1.50","currency":"USD"}`,
	} {
		resp, err := http.Post(public+"/v1/conversions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", body, resp.StatusCode)
		}
	}
	from := time.Unix(now-20, 0).UTC().Format(time.RFC3339)
	code, body := request(t, "GET", admin, "/admin/v1/report?from="+from, "Bearer tok")
	if code != 200 {
		t.Fatalf("report: %d %s", code, body)
	}
	var got struct {
		Rows []struct {
			Campaign, Partner string
			Events            int
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Rows) != 1 || got.Rows[0].Campaign != "camp" || got.Rows[0].Events != 1 || got.Rows[0].Partner != "net" {
		t.Fatalf("report: %s, want one row for camp with partner net and 1 event", body)
	}
}
