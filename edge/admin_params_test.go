package edge

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// An admin endpoint refuses a query parameter it does not know, naming it,
// as the report does: dropped, it makes a redrive of one postback (by the
// id the listing shows) or of one partner (misspelt) a redrive of every
// failed postback of every partner, those refused for good included, and a
// misspelt export filter an export of everything.
func TestAdminRefusesUnknownParameters(t *testing.T) {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) }))
	defer sink.Close()
	e := startLocalEdge(t, `admin_token: "tok"
allow_private_targets: true
apps:
  com.example.app: {web: "https://example.com/"}
partners:
  acme: {install: "`+sink.URL+`/acme?c={click_id}"}
  beta: {install: "`+sink.URL+`/beta?c={click_id}"}
campaigns:
  ca: {app: com.example.app, partner: acme}
  cb: {app: com.example.app, partner: beta}
`)
	public, admin := "http://"+e.PublicAddr(), "http://"+e.AdminAddr()
	for _, c := range []string{"ca", "cb"} {
		if code, _ := request(t, "GET", public, "/?c="+c+"&click_id=k-"+c, ""); code != 302 {
			t.Fatalf("click %s: %d", c, code)
		}
		resp, err := http.Post(public+"/v1/conversions", "application/json",
			strings.NewReader(`{"type":"install","install_id":"i-`+c+`","click_id":"k-`+c+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	var failed []struct{ ID, Partner string }
	for deadline := time.Now().Add(5 * time.Second); len(failed) < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("want 2 failed postbacks, have %v", failed)
		}
		_, body := request(t, "GET", admin, "/admin/v1/postbacks?status=failed", "Bearer tok")
		if err := json.Unmarshal([]byte(body), &failed); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ method, path string }{
		// A misspelt filter answers every record as if it were the
		// filtered ones: a partner's invoice checked against all installs.
		{"GET", "/admin/v1/export/installs?partners=acme"},
		{"GET", "/admin/v1/export/events?campain=ca"},
		{"GET", "/admin/v1/postbacks?stauts=failed"},
		// The redrive re-sends: first of all.
		{"POST", "/admin/v1/postbacks/redrive?id=" + failed[0].ID},
		{"POST", "/admin/v1/postbacks/redrive?partners=acme"},
	} {
		code, body := request(t, tc.method, admin, tc.path, "Bearer tok")
		if code != http.StatusBadRequest {
			t.Errorf("%s %s: %d %.200s; want 400 naming the unknown parameter", tc.method, tc.path, code, strings.TrimSpace(body))
		}
	}
}
