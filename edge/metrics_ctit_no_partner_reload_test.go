package edge

import (
	"net/http"
	"strings"
	"testing"

	"github.com/clickedge/clickedge/config"
)

// TestReloadKeepsCTITOfCampaignWithoutPartner: a reload drops the series of
// partners it removed, and no other. A campaign need not name a partner
// (its installs are attributed, nothing is posted back); its attributed
// installs' click-to-install times are exported under partner="". Every
// reload, one that changes nothing included (a SIGHUP for a TLS
// certificate), dropped that histogram: "" is no partner of the config.
func TestReloadKeepsCTITOfCampaignWithoutPartner(t *testing.T) {
	const yaml = "apps:\n  com.example.app: {web: \"https://example.com/\"}\ncampaigns:\n  nopartner: {app: com.example.app}\n"
	e := startLocalEdge(t, yaml)
	if code, _ := request(t, "GET", "http://"+e.PublicAddr(), "/?c=nopartner&click_id=ctit-np-1", ""); code != 302 {
		t.Fatalf("click: %d", code)
	}
	resp, err := http.Post("http://"+e.PublicAddr()+"/v1/conversions", "application/json",
		strings.NewReader(`{"type":"install","install_id":"ctit-np-i1","click_id":"ctit-np-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	const series = `clickedge_install_ctit_seconds_count{partner="",match="click_id"}`
	exported := func() bool {
		_, body := request(t, "GET", "http://"+e.AdminAddr(), "/metrics", "")
		return strings.Contains(body, series)
	}
	if !exported() {
		t.Fatalf("an attributed install of a campaign without a partner: %s not exported", series)
	}

	same, err := config.Parse("test.yaml", []byte("listen: \"127.0.0.1:0\"\nadmin_listen: \"127.0.0.1:0\"\n"+yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Reload(same); err != nil {
		t.Fatal(err)
	}
	if !exported() {
		t.Fatalf("a reload that removed no partner dropped %s (its counts so far lost)", series)
	}
}
