package edge

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/clickedge/clickedge/tracker"
)

// FuzzClickRedirect: a click on a known campaign with any query is
// redirected (302) to a Location that is one clean URL: the app's Play URL,
// its id= kept, and one referrer= that carries a click_id and the campaign.
func FuzzClickRedirect(f *testing.F) {
	for _, q := range []string{"click_id=abc", "click_id=%FF%FE&sub1=%7Bx%7D", "tid=a%26b%3Dc&click_id=", "clickid=%0D%0ALocation:%20x",
		"click_id=" + strings.Repeat("%E2%82%AC", 200), "redirect=https://evil.example/", "c=other&click_id=x", "deep_link=a%23b"} {
		f.Add(q)
	}
	e := startLocalEdge(f, `apps:
  com.example.app:
    android: "https://play.google.com/store/apps/details?id=com.example.app#x"
    web: "https://example.com/"
campaigns:
  ca: {app: com.example.app}
`)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	f.Fuzz(func(t *testing.T, q string) {
		if len(q) > 4000 {
			return
		}
		for i := 0; i < len(q); i++ {
			if q[i] <= ' ' || q[i] >= 0x7f || q[i] == '#' {
				return
			}
		}
		req, err := http.NewRequest("GET", "http://"+e.PublicAddr()+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.RawQuery = "c=ca&" + q
		req.Header.Set("User-Agent", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("%q: %d", q, resp.StatusCode)
		}
		loc := resp.Header.Get("Location")
		for i := 0; i < len(loc); i++ {
			if loc[i] <= ' ' || loc[i] >= 0x7f {
				t.Fatalf("%q: Location %q has byte %q", q, loc, loc[i])
			}
		}
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatalf("%q: Location %q: %v", q, loc, err)
		}
		if u.Host != "play.google.com" || u.Fragment != "x" {
			t.Fatalf("%q: Location %q is not the app's", q, loc)
		}
		v := u.Query()
		if len(v["id"]) != 1 || v.Get("id") != "com.example.app" || len(v["referrer"]) != 1 {
			t.Fatalf("%q: Location %q: query %v", q, loc, v)
		}
		inner, err := url.ParseQuery(v.Get("referrer"))
		if err != nil || inner.Get("c") != "ca" || tracker.ClickIDFromReferrer(v.Get("referrer")) == "" && !strings.Contains(q, "%") {
			t.Fatalf("%q: referrer %q reads %v, %v", q, v.Get("referrer"), inner, err)
		}
	})
}
