package edge

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/config"
)

// TestRemovedPartnerSeriesDropped: a partner a reload removes leaves
// /metrics with it. Its delivery and click-to-install histograms had been
// exported until the restart, frozen at their last values: an edge whose
// partners are renamed or rotated through reloads grew its scrape by
// fifty-odd series for every partner it ever had, and dashboards showed
// partners that no longer exist (scale audit).
func TestRemovedPartnerSeriesDropped(t *testing.T) {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer sink.Close()
	cfgYAML := func(campPartner string, partners ...string) string {
		y := "allow_private_targets: true\napps:\n  com.example.app: {web: \"https://example.com/\"}\npartners:\n"
		for _, p := range partners {
			y += "  " + p + ": {install: \"" + sink.URL + "/" + p + "?c={click_id}\"}\n"
		}
		return y + "campaigns:\n  camp: {app: com.example.app, partner: " + campPartner + "}\n"
	}
	e := startLocalEdge(t, cfgYAML("gone_by_reload", "gone_by_reload", "stays"))
	install := func(n string) {
		t.Helper()
		if code, _ := request(t, "GET", "http://"+e.PublicAddr(), "/?c=camp&click_id=rm"+n, ""); code != 302 {
			t.Fatalf("click: %d", code)
		}
		resp, err := http.Post("http://"+e.PublicAddr()+"/v1/conversions", "application/json",
			strings.NewReader(`{"type":"install","install_id":"rm-i`+n+`","click_id":"rm`+n+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	metricsWith := func(partner string) []string {
		_, body := request(t, "GET", "http://"+e.AdminAddr(), "/metrics", "")
		var lines []string
		for line := range strings.Lines(body) {
			if strings.Contains(line, `partner="`+partner+`"`) && !strings.HasPrefix(line, "#") {
				lines = append(lines, strings.TrimSpace(line))
			}
		}
		return lines
	}
	waitSeries := func(partner string, present bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			lines := strings.Join(metricsWith(partner), "\n")
			both := strings.Contains(lines, "clickedge_postback_delivery_seconds_count") &&
				strings.Contains(lines, "clickedge_install_ctit_seconds_count")
			if present && both || !present && lines == "" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("partner %q: want its series exported %v, have: %.300s", partner, present, lines)
			}
		}
	}
	install("1")
	waitSeries("gone_by_reload", true)

	next, err := config.Parse("test.yaml", []byte(`listen: "127.0.0.1:0"
admin_listen: "127.0.0.1:0"
`+cfgYAML("stays", "stays")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Reload(next); err != nil {
		t.Fatal(err)
	}
	install("2") // a postback to the partner that stays: a pass after the reload
	waitSeries("stays", true)
	waitSeries("gone_by_reload", false)
}
