package edge

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/config"
)

// FuzzAdminPostbacksQuery: GET /admin/v1/postbacks with any query is
// either refused (400) or answers a JSON array in which every item is of
// the partner and status the query names: a filter given is never
// dropped, widening the answer.
func FuzzAdminPostbacksQuery(f *testing.F) {
	for _, q := range []string{"", "status=failed", "status=failed&partner=acme", "partner=beta&status=failed&limit=1",
		"limit=0", "limit=10001", "status=delivered", "partner=nobody&status=failed", "status=failed&partner=", "partner&status=failed"} {
		f.Add(q)
	}
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) }))
	defer sink.Close()
	yaml := `listen: "127.0.0.1:0"
admin_listen: "127.0.0.1:0"
data_dir: "` + filepath.Join(f.TempDir(), "data") + `"
admin_token: "tok"
allow_private_targets: true
apps:
  com.example.app: {web: "https://example.com/"}
partners:
  acme: {install: "` + sink.URL + `/acme?c={click_id}"}
  beta: {install: "` + sink.URL + `/beta?c={click_id}"}
campaigns:
  ca: {app: com.example.app, partner: acme}
  cb: {app: com.example.app, partner: beta}
`
	cfg, err := config.Parse("test.yaml", []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		f.Fatal(err)
	}
	e, err := Start(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		f.Fatal(err)
	}
	defer e.Shutdown(context.Background())
	public, admin := "http://"+e.PublicAddr(), "http://"+e.AdminAddr()
	for _, c := range []string{"ca", "cb"} {
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noFollow.Get(public + "/?c=" + c + "&click_id=k-" + c)
		if err != nil {
			f.Fatal(err)
		}
		resp.Body.Close()
		resp, err = http.Post(public+"/v1/conversions", "application/json",
			strings.NewReader(`{"type":"install","install_id":"i-`+c+`","click_id":"k-`+c+`"}`))
		if err != nil {
			f.Fatal(err)
		}
		resp.Body.Close()
	}
	get := func(query string) (int, []byte, error) {
		req, err := http.NewRequest("GET", admin+"/admin/v1/postbacks", nil)
		if err != nil {
			return 0, nil, err
		}
		req.URL.RawQuery = query
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, b, _ := get("status=failed")
		var items []json.RawMessage
		if json.Unmarshal(b, &items) == nil && len(items) == 2 {
			break
		}
		if time.Now().After(deadline) {
			f.Fatalf("want 2 failed postbacks, have %s", b)
		}
	}

	f.Fuzz(func(t *testing.T, query string) {
		if strings.ContainsAny(query, "# \t\r\n") || len(query) > 200 {
			return // not a query net/http sends as it is
		}
		if _, err := url.ParseRequestURI("/x?" + query); err != nil {
			return
		}
		code, body, err := get(query)
		if err != nil {
			t.Fatalf("%q: %v", query, err)
		}
		if code == http.StatusBadRequest {
			return
		}
		if code != http.StatusOK {
			t.Fatalf("%q: %d %s", query, code, body)
		}
		var items []struct{ Partner, Status string }
		if err := json.Unmarshal(body, &items); err != nil {
			t.Fatalf("%q: %s is not an array: %v", query, body, err)
		}
		var args fasthttp.Args // how the edge reads the query
		args.Parse(query)
		status := "pending"
		if args.Has("status") {
			status = string(args.Peek("status"))
		}
		for _, it := range items {
			if it.Status != status {
				t.Fatalf("%q: answered a %s postback", query, it.Status)
			}
			if args.Has("partner") && it.Partner != string(args.Peek("partner")) {
				t.Fatalf("%q: answered a postback of partner %q: the partner filter %q was dropped", query, it.Partner, args.Peek("partner"))
			}
		}
	})
}
