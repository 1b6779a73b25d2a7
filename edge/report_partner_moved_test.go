package edge

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/clickedge/clickedge/config"
)

// TestReportCampaignMovedBetweenPartners: a campaign moved from one partner
// to another by a reload keeps its installs credited to the partner that
// was in force when each was decided (install.partner, what each postback
// went to). The report, what a partner's invoice is checked against, must
// not put every install of the range under one of the two partners.
func TestReportCampaignMovedBetweenPartners(t *testing.T) {
	dir := t.TempDir()
	yaml := func(camp string) string {
		return `listen: "127.0.0.1:0"
admin_listen: "127.0.0.1:0"
data_dir: "` + dir + `"
admin_token: tok
apps:
  a1: {web: "https://a1.example/"}
partners:
  old: {install: "http://127.0.0.1:9/old?c={click_id}"}
  new: {install: "http://127.0.0.1:9/new?c={click_id}"}
campaigns:
  c1: {app: a1, partner: ` + camp + `}
`
	}
	e := startTestEdge(t, yaml("old"))
	public, admin := "http://"+e.PublicAddr(), "http://"+e.AdminAddr()
	install := func(click, id string) {
		t.Helper()
		if code, body := request(t, "GET", public, "/c1?click_id="+click, ""); code != 302 {
			t.Fatalf("click: %d %s", code, body)
		}
		resp, err := http.Post(public+"/v1/conversions", "application/json",
			strings.NewReader(`{"type":"install","install_id":"`+id+`","click_id":"`+click+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// Install ids chosen so that one of the new partner's sorts first.
	install("k1", "z1")
	install("k2", "z2")
	next, err := config.Parse("test.yaml", []byte(yaml("new")), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Reload(next); err != nil {
		t.Fatal(err)
	}
	install("k3", "a3")

	// The raw records: two installs credited to old, one to new.
	perPartner := map[string]int{}
	for _, id := range []string{"z1", "z2", "a3"} {
		_, body := request(t, "GET", admin, "/admin/v1/installs/"+id, "Bearer tok")
		var in struct{ Partner string }
		json.Unmarshal([]byte(body), &in)
		perPartner[in.Partner]++
	}
	if perPartner["old"] != 2 || perPartner["new"] != 1 {
		t.Fatalf("installs per partner: %v", perPartner)
	}

	_, body := request(t, "GET", admin, "/admin/v1/report", "Bearer tok")
	var rep struct {
		Rows []struct {
			Campaign, Partner string
			Installs          int
		}
	}
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err)
	}
	reported := map[string]int{}
	for _, r := range rep.Rows {
		reported[r.Partner] += r.Installs
	}
	if reported["old"] != 2 || reported["new"] != 1 {
		t.Errorf("report installs per partner %v, want map[new:1 old:2] as stored: %s", reported, body)
	}
}
