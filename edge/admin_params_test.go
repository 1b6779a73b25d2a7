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
	admin, failed := twoFailedPostbacks(t)
	for _, tc := range []struct{ method, path string }{
		// A misspelt filter answers every record as if it were the
		// filtered ones: a partner's invoice checked against all installs.
		{"GET", "/admin/v1/export/installs?partners=acme"},
		{"GET", "/admin/v1/export/events?campain=ca"},
		{"GET", "/admin/v1/postbacks?stauts=failed"},
		// The redrive re-sends: first of all.
		{"POST", "/admin/v1/postbacks/redrive?id=" + failed[0].ID},
		{"POST", "/admin/v1/postbacks/redrive?partners=acme"},
		// A filter given with no value (?partner=, an unset shell
		// variable in `redrive?partner=$P`) is not no filter: taken for
		// none, the redrive re-sent every failed postback of every
		// partner, and the listing and exports answered everything
		// (found by the fuzz campaign, FuzzAdminPostbacksQuery).
		{"GET", "/admin/v1/postbacks?status=failed&partner="},
		{"GET", "/admin/v1/postbacks?status=failed&partner"},
		{"GET", "/admin/v1/export/installs?from=2000-01-01&partner="},
		{"GET", "/admin/v1/export/installs?from=2000-01-01&campaign="},
		{"POST", "/admin/v1/postbacks/redrive?partner="},
	} {
		code, body := request(t, tc.method, admin, tc.path, "Bearer tok")
		if code != http.StatusBadRequest {
			t.Errorf("%s %s: %d %.200s; want 400 naming the parameter", tc.method, tc.path, code, strings.TrimSpace(body))
		}
	}
}

// twoFailedPostbacks starts an edge with partners acme and beta, both of
// whose endpoints answer 404, posts an install for a click of each
// partner's campaign, and returns the admin listener's URL once both
// postbacks have failed (token "tok").
func twoFailedPostbacks(t testing.TB) (admin string, failed []struct{ ID, Partner string }) {
	t.Helper()
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) }))
	t.Cleanup(sink.Close)
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
	for deadline := time.Now().Add(5 * time.Second); len(failed) < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("want 2 failed postbacks, have %v", failed)
		}
		_, body := request(t, "GET", admin, "/admin/v1/postbacks?status=failed", "Bearer tok")
		if err := json.Unmarshal([]byte(body), &failed); err != nil {
			t.Fatal(err)
		}
	}
	return admin, failed
}
