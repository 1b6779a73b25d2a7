package edge

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
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
	admin, _ := twoFailedPostbacks(f)
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
