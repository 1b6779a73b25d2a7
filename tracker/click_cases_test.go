package tracker_test

// Click cases an audit found handled wrongly; each test failed before its
// fix.

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/store"
	"github.com/clickedge/clickedge/tracker"
)

// URL-encoded JSON inside a value (a deep link or landing URL whose own
// query carries JSON) is taken for an encoded macro: the click is flagged
// "macro", and GET /v1/click refuses it with 400, losing the click.
func TestEncodedJSONIsNotAMacro(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	// The value as stored (decoded once): a deep link whose query holds
	// the URL-encoding of {"id":42}.
	deepLink := `myapp://product?d=%7B%22id%22%3A42%7D`
	landing := `https://shop.example/p?state=%7B%22src%22%3A%22fb%22%7D`

	t.Run("click path: not flagged", func(t *testing.T) {
		r := e.do(t, clickReq{uri: "/?c=" + clickCampaign + "&click_id=j1&sub5=" + url.QueryEscape(landing), ua: clickAndroidUA})
		r.check302(t, clickPlayLocation(clickPlayURL, "j1", clickCampaign))
		got := e.mustGet(t, "j1")
		if got["sub5"] != landing {
			t.Fatalf("sub5 %q", got["sub5"])
		}
		if got["flags"] != "" {
			t.Fatalf("flags %q, want none: %q holds no macro", got["flags"], landing)
		}
	})
	t.Run("s2s: not refused", func(t *testing.T) {
		r := e.do(t, clickReq{uri: "/v1/click?c=" + clickCampaign + "&click_id=j2&deep_link=" + url.QueryEscape(deepLink)})
		if r.status != 200 {
			t.Fatalf("status %d body %q, want 200: %q holds no macro", r.status, r.body, deepLink)
		}
	})
}

// Corpus tl017 (AppsFlyer affiliate link) with af_ua left unexpanded:
// an Android phone is sent to the web URL instead of Google Play, so the
// Play referrer carrying the click_id never reaches the app.
func TestUnexpandedUAMacroKeepsHeaderPlatform(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	uri := "/?c=" + clickCampaign + "&clickid=m1&af_ua={declared_user_agent}&af_ip={declared_user_ip}&advertising_id=38400000-8cf0-11bd-b23e-10b96e40000d&platform=android"
	r := e.do(t, clickReq{uri: uri, ua: clickAndroidUA})
	r.check302(t, clickPlayLocation(clickPlayURL, "m1", clickCampaign))
}

// GET /v1/click answers carry no Cache-Control: no-store, unlike every
// other click answer; a CDN in front of the public listener may cache them.
func TestServerClickNoStore(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	for _, q := range []string{
		"c=" + clickCampaign + "&click_id=n1",
		"c=" + clickCampaign, // generated id: a cached answer would hand every later click this one's id
		"click_id=n2",        // 400
	} {
		r := e.do(t, clickReq{uri: "/v1/click?" + q})
		if r.cacheControl != "no-store" {
			t.Errorf("GET /v1/click?%s: status %d Cache-Control %q, want no-store", q, r.status, r.cacheControl)
		}
	}
	r := e.do(t, clickReq{method: "POST", uri: "/?c=" + clickCampaign + "&click_id=n3"})
	if r.cacheControl != "no-store" {
		t.Errorf("POST click: status %d Cache-Control %q, want no-store", r.status, r.cacheControl)
	}
}

// click_time in whole seconds exactly 24 h before now is refused when
// the clock is not on a whole second (always, in production).
func TestClickTimeWholeSeconds(t *testing.T) {
	now := clickNow.Add(500 * time.Millisecond)
	cfg, err := config.Parse("click_test.yaml", []byte(clickConfigYAML), nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: t.TempDir(), Durability: store.Async, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := &clickEnv{tr: tracker.New(tracker.Options{Store: st, Config: cfg, Now: func() time.Time { return now }}), st: st, cfg: cfg}
	ct := strconv.FormatInt(now.Add(-24*time.Hour).Unix(), 10)
	r := e.do(t, clickReq{uri: "/v1/click?c=" + clickCampaign + "&click_id=t1&click_time=" + ct})
	if r.status != 200 {
		t.Fatalf("click_time %s (24 h before now, in whole seconds): status %d body %q, want 200 (not older than 24 h)", ct, r.status, r.body)
	}
}

// Yahoo's crawler and Yahoo Mail's link-preview fetcher are not flagged:
// their agents name a contact URL without the '+' the generic rule wants.
func TestYahooBots(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	for i, ua := range []string{
		"Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
		"Mozilla/5.0 (compatible; Yahoo Link Preview; https://help.yahoo.com/kb/mail/yahoo-link-preview-SLN23615.html)",
	} {
		id := "y" + strconv.Itoa(i)
		r := e.do(t, clickReq{uri: "/?c=" + clickCampaign + "&click_id=" + id, ua: ua})
		r.check302(t, clickWebURL)
		if got := e.mustGet(t, id); got["flags"] != "bot" {
			t.Errorf("%s: flags %q, want bot", ua, got["flags"])
		}
	}
}
