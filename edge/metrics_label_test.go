package edge

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestMetricsPartnerLabelEscaping: a partner's name is a YAML key, any
// string, and /metrics writes it as the Prometheus text format says: only
// \\, \" and \n are escapes, every other byte is itself. Go's %q wrote a
// no-break space as \u00a0, which strict parsers refuse, failing the whole
// scrape. Found by an audit.
func TestMetricsPartnerLabelEscaping(t *testing.T) {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer sink.Close()
	partner := "Acme\u00a0Ads" // a no-break space, as pasted from a contract
	e := startLocalEdge(t, `allow_private_targets: true
apps:
  com.example.app: {web: "https://example.com/"}
partners:
  "`+partner+`": {install: "`+sink.URL+`/i?c={click_id}"}
campaigns:
  camp: {app: com.example.app, partner: "`+partner+`"}
`)
	if code, _ := request(t, "GET", "http://"+e.PublicAddr(), "/?c=camp&click_id=lbl1", ""); code != 302 {
		t.Fatalf("click: %d", code)
	}
	resp, err := http.Post("http://"+e.PublicAddr()+"/v1/conversions", "application/json",
		strings.NewReader(`{"type":"install","install_id":"lbl-i1","click_id":"lbl1"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, body := request(t, "GET", "http://"+e.AdminAddr(), "/metrics", "")
	want := `partner="` + partner + `"`
	for _, family := range []string{"clickedge_postback_delivery_seconds_count{", "clickedge_install_ctit_seconds_count{"} {
		found := false
		for _, line := range strings.Split(body, "\n") {
			if strings.HasPrefix(line, family) && strings.Contains(line, "Acme") {
				found = true
				if !strings.Contains(line, want) {
					t.Errorf("%s\nwant the label written %s", line, want)
				}
			}
		}
		if !found {
			t.Errorf("no %s series of partner %q", family, partner)
		}
	}
}
