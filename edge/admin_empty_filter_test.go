package edge

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// An admin filter given with no value (?partner=, an unset shell variable
// in `redrive?partner=$P`) must not be taken for no filter at all: the
// redrive then re-sends every failed postback of every partner, those
// other partners refused for good included, and the listing answers every
// partner's postbacks as the one asked for.
func TestAdminEmptyFilterIsNotDropped(t *testing.T) {
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
		{"GET", "/admin/v1/postbacks?status=failed&partner="},
		{"GET", "/admin/v1/postbacks?status=failed&partner"},
		{"GET", "/admin/v1/export/installs?from=2000-01-01&partner="},
		{"GET", "/admin/v1/export/installs?from=2000-01-01&campaign="},
		// The redrive re-sends: last, as it changes what is failed.
		{"POST", "/admin/v1/postbacks/redrive?partner="},
	} {
		code, body := request(t, tc.method, admin, tc.path, "Bearer tok")
		if code != http.StatusBadRequest {
			t.Errorf("%s %s: %d %.300s; want 400 naming the empty filter", tc.method, tc.path, code, strings.TrimSpace(body))
		}
	}
}
