package edge

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestAdminReport: GET /admin/v1/report sums a time range's installs and
// conversions per campaign (what a marketer reconciles a partner's invoice
// with): installs, attributed and by match, signups, in-app events, and
// revenue per currency, summed exactly.
func TestAdminReport(t *testing.T) {
	e := startLocalEdge(t, `admin_token: "tok"
apps:
  com.example.app: {web: "https://example.com/"}
partners:
  net: {install: "http://127.0.0.1:9/i?c={click_id}"}
campaigns:
  camp: {app: com.example.app, partner: net}
  other: {app: com.example.app}
`)
	public, admin := "http://"+e.PublicAddr(), "http://"+e.AdminAddr()
	for _, path := range []string{"/?c=camp&click_id=k1", "/?c=camp&click_id=k2", "/?c=other&click_id=k3"} {
		if code, body := request(t, "GET", public, path, ""); code != 302 {
			t.Fatalf("%s: %d %s", path, code, body)
		}
	}
	for _, body := range []string{
		`{"type":"install","install_id":"i1","click_id":"k1"}`,
		`{"type":"install","install_id":"i2","click_id":"k2"}`,
		`{"type":"install","install_id":"i3","click_id":"k3"}`,
		`{"type":"install","install_id":"i4","app":"com.example.app"}`,
		`{"type":"signup","install_id":"i1"}`,
		`{"type":"event","install_id":"i1","event_id":"p1","event_name":"purchase","revenue":"0.1","currency":"USD"}`,
		`{"type":"event","install_id":"i2","event_id":"p2","event_name":"purchase","revenue":"0.2","currency":"USD"}`,
		`{"type":"event","install_id":"i2","event_id":"p3","event_name":"purchase","revenue":"-0.05","currency":"USD"}`,
		`{"type":"event","install_id":"i1","event_id":"p4","event_name":"purchase","revenue":"499","currency":"INR"}`,
		`{"type":"event","install_id":"i4","event_id":"p5","event_name":"purchase","revenue":"1.999","currency":"EUR"}`,
		`{"type":"event","install_id":"i1","event_id":"p6","event_name":"level_up"}`,
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

	code, body := request(t, "GET", admin, "/admin/v1/report", "Bearer tok")
	if code != 200 {
		t.Fatalf("report: %d %s", code, body)
	}
	type row struct {
		Campaign   string            `json:"campaign"`
		Partner    string            `json:"partner"`
		Installs   int               `json:"installs"`
		Attributed int               `json:"attributed"`
		ByMatch    map[string]int    `json:"by_match"`
		Signups    int               `json:"signups"`
		Events     int               `json:"events"`
		Revenue    map[string]string `json:"revenue"`
	}
	var got struct {
		From, To string
		Rows     []row `json:"rows"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("report %s: %v", body, err)
	}
	byCampaign := map[string]row{}
	for _, r := range got.Rows {
		byCampaign[r.Campaign] = r
	}
	if len(got.Rows) != 3 || got.Rows[0].Campaign != "" || got.From == "" || got.To == "" {
		t.Fatalf("report rows: %s", body)
	}
	camp, other, organic := byCampaign["camp"], byCampaign["other"], byCampaign[""]
	if camp.Partner != "net" || camp.Installs != 2 || camp.Attributed != 2 || camp.ByMatch["click_id"] != 2 ||
		camp.Signups != 1 || camp.Events != 5 || camp.Revenue["USD"] != "0.25" || camp.Revenue["INR"] != "499.00" {
		t.Errorf("campaign camp: %+v", camp)
	}
	if other.Installs != 1 || other.Events != 0 || len(other.Revenue) != 0 {
		t.Errorf("campaign other: %+v", other)
	}
	if organic.Installs != 1 || organic.Attributed != 0 || organic.ByMatch["organic"] != 1 || organic.Revenue["EUR"] != "1.999" {
		t.Errorf("organic: %+v", organic)
	}

	for path, wantErr := range map[string]string{
		"/admin/v1/report?from=yesterday": "from:",
		"/admin/v1/report?campaign=camp":  "campaign:",
	} {
		if code, body := request(t, "GET", admin, path, "Bearer tok"); code != 400 || !strings.Contains(body, wantErr) {
			t.Errorf("%s: %d %s, want 400 naming %q", path, code, body, wantErr)
		}
	}
	if code, _ := request(t, "GET", admin, "/admin/v1/report", ""); code != 401 {
		t.Errorf("report without the token: %d, want 401", code)
	}
}
