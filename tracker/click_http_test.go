package tracker_test

// HTTP-level tests of the click path (CONTRACT §3): the real handler over a
// real store and a parsed config, one table row per rule. Everything here is
// named click… so that it cannot collide with other tests of the package.
//
// No test here calls t.Parallel: the click counters are process-wide, and
// TestClickMetrics compares their deltas exactly.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/store"
	"github.com/clickedge/clickedge/tracker"
)

// clickNow is the injected clock of every click test: the tracker's and the
// store's (whose retention works from it too).
var clickNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func clickClock() time.Time { return clickNow }

const (
	clickCampaign = "OgWmhiSXhG"
	clickPlayURL  = "https://play.google.com/store/apps/details?id=com.example.app"
	clickIOSURL   = "https://apps.apple.com/app/id1234567890"
	clickWebURL   = "https://example.com/"
	// The second app has no iOS URL, and a Play URL that already has a query.
	clickNoIOSPlayURL = "https://play.google.com/store/apps/details?id=com.example.noios&hl=en"
	clickNoIOSWebURL  = "https://example.com/noios"
	clickRegionPrefix = "eu-west-"

	clickAndroidUA = "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"
	clickIPhoneUA  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1"
	clickIPadUA    = "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1"
	clickDesktopUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"

	// clickPeer is an address outside trusted_proxies.
	clickPeer   = "198.51.100.20:51000"
	clickPeerIP = "198.51.100.20"
)

// clickLinkParams are the 13 parameters after c= and click_id= of a
// realistic 15-parameter tracking link: aliases, escapes, parameters the
// edge ignores.
const clickLinkParams = "&aff_id=4471&pub_id=site_209&offer_id=88&creative_id=cr_300x250&sub1=newsletter" +
	"&s2=top%20banner&af_sub3=slot_b&sub4=x&sub5=%E2%82%AC5&advertising_id=38400000-8cf0-11bd-b23e-10b96e40000d" +
	"&oaid=e1f2a3b4c5d6&pub_sub=ignored&utm_source=partner"

const clickConfigYAML = `
region: "eu-west"
trusted_proxies: ["10.0.0.0/8", "127.0.0.1", "2001:db8:ffff::/48"]
country_header: "CF-IPCountry"
apps:
  com.example.app:
    android: "` + clickPlayURL + `"
    ios: "` + clickIOSURL + `"
    web: "` + clickWebURL + `"
  com.example.noios:
    android: "` + clickNoIOSPlayURL + `"
    web: "` + clickNoIOSWebURL + `"
  com.example.web:
    web: "https://shop.example/l?cid={click_id}&s={sub1}&n={campaign_name}"
    redirect_hosts: [shop.example, "*.promo.example"]
partners:
  acme:
    install: "https://pb.acme.example/i?click_id={click_id}&ts={event_time}"
campaigns:
  ` + clickCampaign + `:
    name: "Diwali Sale"
    app: com.example.app
    partner: acme
  noios:
    app: com.example.noios
  webcamp:
    name: "Spring sale"
    app: com.example.web
  videocamp:
    app: com.example.app
    view_through_lookback: 24h
`

// clickEnv is a tracker over its own store in a temporary directory.
type clickEnv struct {
	tr  *tracker.Tracker
	st  *store.Store
	cfg *config.Config
}

func clickNewEnv(t testing.TB, d store.Durability) *clickEnv {
	t.Helper()
	return clickNewEnvYAML(t, d, clickConfigYAML)
}

func clickNewEnvYAML(t testing.TB, d store.Durability, yaml string) *clickEnv {
	t.Helper()
	cfg, err := config.Parse("click_test.yaml", []byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: t.TempDir(), Durability: d, Now: clickClock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	tr := tracker.New(tracker.Options{Store: st, Config: cfg, Now: clickClock})
	return &clickEnv{tr: tr, st: st, cfg: cfg}
}

// clickReq is one request to the handler. Zero fields take defaults: GET,
// no User-Agent header, the untrusted peer clickPeer.
type clickReq struct {
	method string
	uri    string
	ua     string
	peer   string
	header []string // name, value pairs
}

// clickResp is what the handler answered.
type clickResp struct {
	status       int
	location     string
	cacheControl string
	contentType  string
	allow        string
	body         string
}

func (e *clickEnv) do(t testing.TB, r clickReq) clickResp {
	t.Helper()
	var req fasthttp.Request
	if r.method != "" {
		req.Header.SetMethod(r.method)
	}
	req.SetRequestURI(r.uri)
	if r.ua != "" {
		req.Header.SetUserAgent(r.ua)
	}
	for i := 0; i+1 < len(r.header); i += 2 {
		req.Header.Add(r.header[i], r.header[i+1]) // a repeated name is sent twice
	}
	peer := r.peer
	if peer == "" {
		peer = clickPeer
	}
	addr, err := net.ResolveTCPAddr("tcp", peer)
	if err != nil {
		t.Fatal(err)
	}
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, addr, nil)
	e.tr.Handler(&ctx)
	return clickResp{
		status:       ctx.Response.StatusCode(),
		location:     string(ctx.Response.Header.Peek("Location")),
		cacheControl: string(ctx.Response.Header.Peek("Cache-Control")),
		contentType:  string(ctx.Response.Header.ContentType()),
		allow:        string(ctx.Response.Header.Peek("Allow")),
		body:         string(ctx.Response.Body()),
	}
}

// get reads the click stored under id; ok is false when there is none.
func (e *clickEnv) get(t testing.TB, id string) (c store.Click, ok bool) {
	t.Helper()
	_, ok, err := e.st.GetClick([]byte(id), &c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, ok
}

// mustGet reads the click stored under id, with its user agent, as a map of
// its fields (see clickFieldMap).
func (e *clickEnv) mustGet(t testing.TB, id string) map[string]string {
	t.Helper()
	c, ok := e.get(t, id)
	if !ok {
		t.Fatalf("click %q not stored", id)
	}
	ua, err := e.st.ClickUserAgent([]byte(id))
	if err != nil {
		t.Fatal(err)
	}
	c.UserAgent = []byte(ua)
	return clickFieldMap(&c)
}

func (e *clickEnv) mustNotStore(t testing.TB, id string) {
	t.Helper()
	if c, ok := e.get(t, id); ok {
		t.Fatalf("click %q stored: %v", id, clickFieldMap(&c))
	}
}

// clickFieldMap lists a stored click's non-empty values by parameter name.
func clickFieldMap(c *store.Click) map[string]string {
	m := map[string]string{}
	put := func(k string, v []byte) {
		if len(v) > 0 {
			m[k] = string(v)
		}
	}
	put("click_id", c.ClickID)
	put("campaign", c.Campaign)
	put("app", c.App)
	if c.Time != 0 {
		m["time"] = time.UnixMilli(c.Time).UTC().Format(time.RFC3339Nano)
	}
	if c.Platform != store.PlatformUnknown {
		m["platform"] = c.Platform.String()
	}
	put("os", c.OSVersion)
	if c.Flags != 0 {
		m["flags"] = clickFlagNames(c.Flags)
	}
	put("aff_id", c.AffID)
	put("pub_id", c.PubID)
	put("offer_id", c.OfferID)
	put("creative_id", c.CreativeID)
	for i, s := range c.Sub {
		put("sub"+strconv.Itoa(i+1), s)
	}
	put("gaid", c.GAID)
	put("idfa", c.IDFA)
	put("oaid", c.OAID)
	put("ip", c.IP)
	put("user_agent", c.UserAgent)
	put("country", c.Country)
	return m
}

var clickFlagList = []struct {
	f    store.ClickFlags
	name string
}{
	{store.FlagBot, "bot"},
	{store.FlagInvalidID, "invalid_id"},
	{store.FlagOversize, "oversize"},
	{store.FlagBadUTF8, "bad_utf8"},
	{store.FlagMacro, "macro"},
	{store.FlagGeneratedID, "generated_id"},
	{store.FlagServerToServer, "s2s"},
}

func clickFlagNames(f store.ClickFlags) string {
	var out []string
	for _, fl := range clickFlagList {
		if f&fl.f != 0 {
			out = append(out, fl.name)
			f &^= fl.f
		}
	}
	if f != 0 {
		out = append(out, fmt.Sprintf("%#x", uint16(f)))
	}
	return strings.Join(out, "|")
}

// clickDiff describes how got differs from want, or returns "".
func clickDiff(got, want map[string]string) string {
	var b strings.Builder
	for k, w := range want {
		if g, ok := got[k]; !ok {
			fmt.Fprintf(&b, "\n  %s: missing, want %q", k, w)
		} else if g != w {
			fmt.Fprintf(&b, "\n  %s: %q, want %q", k, g, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			fmt.Fprintf(&b, "\n  %s: %q, want none", k, g)
		}
	}
	return b.String()
}

// clickEscape is the percent-encoding of CONTRACT §3 and §5, written
// independently of the tracker's: every byte outside A-Za-z0-9-._~ becomes
// %XX in upper case.
func clickEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// clickPlayLocation is the Location a click with this id gets to a Play URL:
// referrer= is the URL-encoding of click_id=<url-encoded id>&c=<campaign>.
func clickPlayLocation(playURL, id, campaign string) string {
	sep := "&"
	if !strings.Contains(playURL, "?") {
		sep = "?"
	}
	return playURL + sep + "referrer=" + clickEscape("click_id="+clickEscape(id)+"&c="+clickEscape(campaign))
}

// clickIDFromLocation reads the click_id back out of a Play Location as an
// app would: Play hands it the referrer decoded once, which it reads as a
// query string.
func clickIDFromLocation(t testing.TB, loc string) string {
	t.Helper()
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("Location %q: %v", loc, err)
	}
	ref := u.Query().Get("referrer")
	q, err := url.ParseQuery(ref)
	if err != nil {
		t.Fatalf("referrer %q: %v", ref, err)
	}
	id := q.Get("click_id")
	if id == "" {
		t.Fatalf("Location %q: no click_id in referrer %q", loc, ref)
	}
	if got := tracker.ClickIDFromReferrer(ref); got != id {
		t.Fatalf("ClickIDFromReferrer(%q) = %q, net/url reads %q", ref, got, id)
	}
	return id
}

// check302 checks a redirect to loc.
func (r clickResp) check302(t testing.TB, loc string) {
	t.Helper()
	if r.status != fasthttp.StatusFound {
		t.Fatalf("status %d, want 302 (body %q)", r.status, r.body)
	}
	if r.location != loc {
		t.Fatalf("Location\n  %q\nwant\n  %q", r.location, loc)
	}
	if r.cacheControl != "no-store" {
		t.Fatalf("Cache-Control %q, want no-store", r.cacheControl)
	}
}

// check404 checks the plain-text answer to an unknown campaign. It is not
// cacheable either: a CDN holding it would hide a campaign added by the
// next reload.
func (r clickResp) check404(t testing.TB) {
	t.Helper()
	if r.status != fasthttp.StatusNotFound || r.location != "" {
		t.Fatalf("status %d Location %q, want 404 and none", r.status, r.location)
	}
	if r.cacheControl != "no-store" {
		t.Fatalf("Cache-Control %q, want no-store", r.cacheControl)
	}
	if !strings.HasPrefix(r.contentType, "text/plain") || r.body == "" {
		t.Fatalf("Content-Type %q body %q, want plain text", r.contentType, r.body)
	}
}

func TestClickRouting(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	c := clickCampaign
	rows := []struct {
		name, method, uri string
		status            int
		id                string // stored under this id when the answer is 302
	}{
		{"campaign in c", "GET", "/?c=" + c + "&click_id=r1", 302, "r1"},
		{"campaign in c after the others", "GET", "/?click_id=r2&sub1=x&c=" + c, 302, "r2"},
		{"campaign as the path", "GET", "/" + c + "?click_id=r3", 302, "r3"},
		{"c wins over the path", "GET", "/noios?c=" + c + "&click_id=r4", 302, "r4"},
		{"empty c: the path", "GET", "/" + c + "?c=&click_id=r5", 302, "r5"},
		{"unknown c: the path", "GET", "/" + c + "?c=nope&click_id=r17", 302, "r17"},
		{"unexpanded macro in c: the path", "GET", "/" + c + "?c=%7Bcampaign%7D&click_id=r18", 302, "r18"},
		{"unknown campaign in c", "GET", "/?c=nope&click_id=r6", 404, "r6"},
		{"unknown campaign as the path", "GET", "/nope?click_id=r7", 404, "r7"},
		{"campaign ids are case-sensitive", "GET", "/" + strings.ToLower(c) + "?click_id=r8", 404, "r8"},
		{"missing campaign", "GET", "/?click_id=r9", 404, "r9"},
		{"empty c, no path", "GET", "/?c=&click_id=r10", 404, "r10"},
		{"bare root", "GET", "/", 404, ""},
		{"two path segments", "GET", "/a/b?click_id=r11", 404, "r11"},
		{"campaign then a segment", "GET", "/" + c + "/x?click_id=r12", 404, "r12"},
		{"trailing slash", "GET", "/" + c + "/?click_id=r13", 404, "r13"},
		{"c under two path segments", "GET", "/track/com.example.app?c=" + c + "&click_id=r19", 404, "r19"},
		{"c under a file path", "GET", "/robots.txt/x?c=" + c + "&click_id=r20", 404, "r20"},
		{"POST", "POST", "/?c=" + c + "&click_id=r14", 405, "r14"},
		{"PUT", "PUT", "/" + c + "?click_id=r15", 405, "r15"},
		{"DELETE", "DELETE", "/?c=" + c + "&click_id=r16", 405, "r16"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			r := e.do(t, clickReq{method: row.method, uri: row.uri, ua: clickDesktopUA})
			switch row.status {
			case 302:
				r.check302(t, clickWebURL)
				got := e.mustGet(t, row.id)
				if got["campaign"] != c || got["app"] != "com.example.app" || got["time"] != "2026-11-26T12:00:00Z" {
					t.Fatalf("stored %v", got)
				}
				return
			case 404:
				r.check404(t)
			default:
				if r.status != row.status || r.location != "" {
					t.Fatalf("status %d Location %q, want %d and none", r.status, r.location, row.status)
				}
				// RFC 9110 §15.5.6: a 405 names the methods allowed.
				if r.allow != "GET, HEAD" {
					t.Fatalf("Allow %q, want \"GET, HEAD\"", r.allow)
				}
			}
			if row.id != "" {
				e.mustNotStore(t, row.id)
			}
		})
	}
}

// TestClickHead: HEAD answers exactly as GET would and stores nothing.
func TestClickHead(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	rows := []struct {
		name, uri, ua string
	}{
		{"android", "/?c=" + clickCampaign + "&click_id=h1", clickAndroidUA},
		{"android, escapes in the id", "/" + clickCampaign + "?click_id=h%202%26%E2%82%AC", clickAndroidUA},
		{"iphone", "/?c=" + clickCampaign + "&click_id=h3", clickIPhoneUA},
		{"desktop", "/?c=" + clickCampaign + "&click_id=h4", clickDesktopUA},
		{"no ios url", "/noios?click_id=h5", clickIPhoneUA},
		{"ua parameter", "/noios?click_id=h6&ua=" + url.QueryEscape(clickAndroidUA), clickDesktopUA},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			u, err := url.ParseRequestURI(row.uri)
			if err != nil {
				t.Fatal(err)
			}
			id := u.Query().Get("click_id")
			head := e.do(t, clickReq{method: "HEAD", uri: row.uri, ua: row.ua})
			if head.status != 302 || head.cacheControl != "no-store" || head.location == "" {
				t.Fatalf("HEAD: %+v", head)
			}
			e.mustNotStore(t, id)
			get := e.do(t, clickReq{uri: row.uri, ua: row.ua})
			get.check302(t, head.location)
			e.mustGet(t, id)
		})
	}

	t.Run("unknown campaign", func(t *testing.T) {
		r := e.do(t, clickReq{method: "HEAD", uri: "/?c=nope&click_id=h7", ua: clickAndroidUA})
		if r.status != 404 || r.location != "" {
			t.Fatalf("%+v", r)
		}
		e.mustNotStore(t, "h7")
	})

	t.Run("generated id", func(t *testing.T) {
		r := e.do(t, clickReq{method: "HEAD", uri: "/" + clickCampaign, ua: clickAndroidUA})
		id := clickIDFromLocation(t, r.location)
		r.check302(t, clickPlayLocation(clickPlayURL, id, clickCampaign))
		if !strings.HasPrefix(id, clickRegionPrefix) {
			t.Fatalf("generated id %q", id)
		}
		e.mustNotStore(t, id)
	})
}

// TestClickPlatform: the Location is the app's URL for the platform the user
// agent names, Android, iOS, else web.
func TestClickPlatform(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	rows := []struct {
		name, campaign, ua, extra string
		loc                       func(id string) string
		platform, os              string
	}{
		{"android", clickCampaign, clickAndroidUA, "", func(id string) string { return clickPlayLocation(clickPlayURL, id, clickCampaign) }, "android", "14"},
		{"iphone", clickCampaign, clickIPhoneUA, "", func(string) string { return clickIOSURL }, "ios", "17.2"},
		{"ipad", clickCampaign, clickIPadUA, "", func(string) string { return clickIOSURL }, "ios", "16.6"},
		{"ios app client", clickCampaign, "MyApp/3.1 CFNetwork/1474 Darwin/23.0.0", "", func(string) string { return clickIOSURL }, "ios", ""},
		{"desktop", clickCampaign, clickDesktopUA, "", func(string) string { return clickWebURL }, "", ""},
		{"no user agent", clickCampaign, "", "", func(string) string { return clickWebURL }, "", ""},
		{"curl", clickCampaign, "curl/8.5.0", "", func(string) string { return clickWebURL }, "", ""},
		{"no ios url: iphone goes to web", "noios", clickIPhoneUA, "", func(string) string { return clickNoIOSWebURL }, "ios", "17.2"},
		{"no ios url: android, play url with a query", "noios", clickAndroidUA, "", func(id string) string { return clickPlayLocation(clickNoIOSPlayURL, id, "noios") }, "android", "14"},
		{"ua parameter wins over the header", clickCampaign, clickDesktopUA, "&ua=" + url.QueryEscape(clickAndroidUA), func(id string) string { return clickPlayLocation(clickPlayURL, id, clickCampaign) }, "android", "14"},
		{"user_agent parameter wins over the header", clickCampaign, clickAndroidUA, "&user_agent=" + url.QueryEscape(clickIPhoneUA), func(string) string { return clickIOSURL }, "ios", "17.2"},
	}
	for i, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			id := "p" + strconv.Itoa(i)
			r := e.do(t, clickReq{uri: "/" + row.campaign + "?click_id=" + id + row.extra, ua: row.ua})
			r.check302(t, row.loc(id))
			got := e.mustGet(t, id)
			if got["platform"] != row.platform || got["os"] != row.os {
				t.Fatalf("platform %q os %q, want %q %q", got["platform"], got["os"], row.platform, row.os)
			}
		})
	}
}

// TestClickPlayReferrer: the referrer survives any bytes in the click_id,
// and the app reads the same click_id back.
func TestClickPlayReferrer(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	for _, id := range []string{
		"plain-1.2_3~",
		"a b&c€",
		"x=y?z#w/+;,",
		"%41 is not decoded twice",
		"日本語のクリック",
		`"quoted'\`,
	} {
		t.Run(id, func(t *testing.T) {
			r := e.do(t, clickReq{uri: "/?c=" + clickCampaign + "&click_id=" + url.QueryEscape(id), ua: clickAndroidUA})
			r.check302(t, clickPlayLocation(clickPlayURL, id, clickCampaign))
			if got := clickIDFromLocation(t, r.location); got != id {
				t.Fatalf("app reads click_id %q, want %q", got, id)
			}
			if got := e.mustGet(t, id)["click_id"]; got != id {
				t.Fatalf("stored click_id %q", got)
			}
		})
	}
	// The exact bytes, spelled out once.
	r := e.do(t, clickReq{uri: "/?c=" + clickCampaign + "&click_id=a%20b%26c%E2%82%AC", ua: clickAndroidUA})
	r.check302(t, clickPlayURL+"&referrer=click_id%3Da%2520b%2526c%25E2%2582%25AC%26c%3D"+clickCampaign)
}

// TestClickParameters: every parameter of CONTRACT §3 is stored.
func TestClickParameters(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	const long = "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Mobile Safari/537.36"
	q := url.Values{
		"c": {clickCampaign}, "click_id": {"all-1"}, "aff_id": {"4471"}, "pub_id": {"site 209"},
		"offer_id": {"88"}, "creative_id": {"cr_300x250"}, "sub1": {"s1"}, "sub2": {"s 2"}, "sub3": {"s&3"},
		"sub4": {"s=4"}, "sub5": {"€5"}, "gaid": {"38400000-8cf0-11bd-b23e-10b96e40000d"},
		"idfa": {"6D92078A-8246-4BA4-AE5B-76104861E7DC"}, "oaid": {"e1f2a3b4c5d6"}, "ip": {"203.0.113.10"},
		"user_agent": {long}, "unknown": {"ignored"},
	}
	r := e.do(t, clickReq{uri: "/?" + q.Encode(), ua: clickDesktopUA, peer: "10.1.2.3:80", header: []string{"CF-IPCountry", "IN"}})
	r.check302(t, clickPlayLocation(clickPlayURL, "all-1", clickCampaign))
	want := map[string]string{
		"click_id": "all-1", "campaign": clickCampaign, "app": "com.example.app", "time": "2026-11-26T12:00:00Z",
		"platform": "android", "os": "13",
		"aff_id": "4471", "pub_id": "site 209", "offer_id": "88", "creative_id": "cr_300x250",
		"sub1": "s1", "sub2": "s 2", "sub3": "s&3", "sub4": "s=4", "sub5": "€5",
		"gaid": "38400000-8cf0-11bd-b23e-10b96e40000d", "idfa": "6D92078A-8246-4BA4-AE5B-76104861E7DC",
		"oaid": "e1f2a3b4c5d6", "ip": "203.0.113.10", "user_agent": long, "country": "IN",
	}
	if d := clickDiff(e.mustGet(t, "all-1"), want); d != "" {
		t.Fatal(d)
	}
}

// TestClickAliases: each alias fills its field, a named parameter wins over
// its alias in either order, and values are decoded exactly once.
func TestClickAliases(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	const gaidV, idfaV = "38400000-8cf0-11bd-b23e-10b96e40000d", "6D92078A-8246-4BA4-AE5B-76104861E7DC"
	rows := []struct {
		name, query, ua string
		want            map[string]string // besides the defaults below
	}{
		{"tid", "tid=a1", "", map[string]string{"click_id": "a1"}},
		{"clickid", "clickid=a2", "", map[string]string{"click_id": "a2"}},
		{"s2", "click_id=a3&s2=v", "", map[string]string{"click_id": "a3", "sub2": "v"}},
		{"s3", "click_id=a4&s3=v", "", map[string]string{"click_id": "a4", "sub3": "v"}},
		{"s4", "click_id=a5&s4=v", "", map[string]string{"click_id": "a5", "sub4": "v"}},
		{"af_sub1..5", "click_id=a6&af_sub1=1&af_sub2=2&af_sub3=3&af_sub4=4&af_sub5=5", "",
			map[string]string{"click_id": "a6", "sub1": "1", "sub2": "2", "sub3": "3", "sub4": "4", "sub5": "5"}},
		{"advertising_id on android is the gaid", "click_id=a7&advertising_id=" + gaidV, clickAndroidUA,
			map[string]string{"click_id": "a7", "gaid": gaidV, "platform": "android", "os": "14", "user_agent": clickAndroidUA}},
		{"advertising_id on ios is the idfa", "click_id=a8&advertising_id=" + idfaV, clickIPhoneUA,
			map[string]string{"click_id": "a8", "idfa": idfaV, "platform": "ios", "os": "17.2", "user_agent": clickIPhoneUA}},
		{"af_ip", "click_id=a9&af_ip=203.0.113.9", "", map[string]string{"click_id": "a9", "ip": "203.0.113.9"}},
		{"af_ua", "click_id=a10&af_ua=" + url.QueryEscape(clickAndroidUA), "",
			map[string]string{"click_id": "a10", "user_agent": clickAndroidUA, "platform": "android", "os": "14"}},
		{"ua", "click_id=a11&ua=" + url.QueryEscape(clickIPhoneUA), "",
			map[string]string{"click_id": "a11", "user_agent": clickIPhoneUA, "platform": "ios", "os": "17.2"}},

		{"click_id wins over tid, tid first", "tid=alias&click_id=a12&clickid=alias2", "", map[string]string{"click_id": "a12"}},
		{"click_id wins over tid, tid last", "click_id=a13&tid=alias", "", map[string]string{"click_id": "a13"}},
		{"sub1 wins over af_sub1", "click_id=a14&af_sub1=alias&sub1=named", "", map[string]string{"click_id": "a14", "sub1": "named"}},
		{"sub2 wins over s2 and af_sub2", "click_id=a15&s2=alias&af_sub2=alias2&sub2=named", "", map[string]string{"click_id": "a15", "sub2": "named"}},
		{"ip wins over af_ip", "click_id=a16&af_ip=192.0.2.2&ip=192.0.2.1", "", map[string]string{"click_id": "a16", "ip": "192.0.2.1"}},
		{"user_agent wins over ua and af_ua", "click_id=a17&ua=x&af_ua=y&user_agent=" + url.QueryEscape(clickAndroidUA), "",
			map[string]string{"click_id": "a17", "user_agent": clickAndroidUA, "platform": "android", "os": "14"}},
		{"gaid wins over advertising_id", "click_id=a18&advertising_id=11111111-2222-3333-4444-555555555555&gaid=" + gaidV, clickAndroidUA,
			map[string]string{"click_id": "a18", "gaid": gaidV, "platform": "android", "os": "14", "user_agent": clickAndroidUA}},
		{"idfa wins over advertising_id", "click_id=a19&idfa=" + idfaV + "&advertising_id=AAAAAAAA-2222-3333-4444-555555555555", clickIPhoneUA,
			map[string]string{"click_id": "a19", "idfa": idfaV, "platform": "ios", "os": "17.2", "user_agent": clickIPhoneUA}},

		{"decoded once: %2541", "click_id=a20&sub1=%2541", "", map[string]string{"click_id": "a20", "sub1": "%41"}},
		{"decoded once: %252520", "click_id=a21&sub1=%252520", "", map[string]string{"click_id": "a21", "sub1": "%2520"}},
		{"plus is a space", "click_id=a22&sub1=a+b", "", map[string]string{"click_id": "a22", "sub1": "a b"}},
		{"utf-8 escapes", "click_id=a23&sub1=%E2%82%AC%20%F0%9F%8E%89", "", map[string]string{"click_id": "a23", "sub1": "€ 🎉"}},
		{"click_id decoded once", "click_id=a%2524", "", map[string]string{"click_id": "a%24"}},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			r := e.do(t, clickReq{uri: "/?c=" + clickCampaign + "&" + row.query, ua: row.ua})
			if r.status != 302 {
				t.Fatalf("%+v", r)
			}
			want := map[string]string{
				"campaign": clickCampaign, "app": "com.example.app", "time": "2026-11-26T12:00:00Z", "ip": clickPeerIP,
			}
			for k, v := range row.want {
				want[k] = v
			}
			if d := clickDiff(e.mustGet(t, row.want["click_id"]), want); d != "" {
				t.Fatal(d)
			}
		})
	}
}

// TestClickGeneratedID: a click without click_id gets a unique,
// region-prefixed, sortable id, used as its key and in its referrer.
func TestClickGeneratedID(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	gen := tracker.NewClickIDGen(e.cfg.Region)
	var ids []string
	for _, uri := range []string{"/?c=" + clickCampaign, "/" + clickCampaign + "?sub1=x", "/?c=" + clickCampaign + "&click_id=", "/?c=" + clickCampaign + "&tid="} {
		r := e.do(t, clickReq{uri: uri, ua: clickAndroidUA})
		id := clickIDFromLocation(t, r.location)
		r.check302(t, clickPlayLocation(clickPlayURL, id, clickCampaign))
		if !strings.HasPrefix(id, clickRegionPrefix) || len(id) != gen.Len() {
			t.Fatalf("generated id %q: want prefix %q and length %d", id, clickRegionPrefix, gen.Len())
		}
		if got := e.mustGet(t, id); got["click_id"] != id || got["flags"] != "generated_id" {
			t.Fatalf("stored %v", got)
		}
		if n := len(ids); n > 0 && id <= ids[n-1] {
			t.Fatalf("id %q not after %q", id, ids[n-1])
		}
		ids = append(ids, id)
	}
}

// TestClickFirstWriteWins: a repeated click_id is redirected (for its own
// platform) but never overwrites the click stored first.
func TestClickFirstWriteWins(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	dup0, stored0 := clickCounter(t, "duplicate"), clickCounter(t, "stored")

	first := e.do(t, clickReq{uri: "/?c=" + clickCampaign + "&click_id=dup&sub1=first", ua: clickAndroidUA})
	first.check302(t, clickPlayLocation(clickPlayURL, "dup", clickCampaign))
	want := e.mustGet(t, "dup")

	for _, r := range []clickReq{
		{uri: "/?c=" + clickCampaign + "&click_id=dup&sub1=second", ua: clickIPhoneUA},
		{uri: "/" + clickCampaign + "?tid=dup&sub1=third&gaid=38400000-8cf0-11bd-b23e-10b96e40000d", ua: clickDesktopUA},
		{uri: "/noios?click_id=dup", ua: clickAndroidUA},
	} {
		resp := e.do(t, r)
		if resp.status != 302 || resp.location == "" {
			t.Fatalf("%s: %+v", r.uri, resp)
		}
		if d := clickDiff(e.mustGet(t, "dup"), want); d != "" {
			t.Fatalf("after %s:%s", r.uri, d)
		}
	}
	if want["sub1"] != "first" || want["platform"] != "android" {
		t.Fatalf("first click stored as %v", want)
	}
	if d := clickCounter(t, "duplicate") - dup0; d != 3 {
		t.Fatalf("duplicate counter rose by %v, want 3", d)
	}
	if d := clickCounter(t, "stored") - stored0; d != 1 {
		t.Fatalf("stored counter rose by %v, want 1", d)
	}
}

// TestClickBots: link previews and crawlers are redirected and stored
// flagged; plain HTTP libraries are not bots (see bots.go).
func TestClickBots(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	rows := []struct {
		name, ua, extra string
		bot             bool
	}{
		{"facebook", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "", true},
		{"slack", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "", true},
		{"googlebot", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "", true},
		{"twitter", "Twitterbot/1.0", "", true},
		{"whatsapp", "WhatsApp/2.23.20.0", "", true},
		{"telegram", "TelegramBot (like TwitterBot)", "", true},
		{"discord", "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", "", true},
		{"linkedin", "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)", "", true},
		{"iphone sent as ua=, fetched by slack", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "&ua=" + url.QueryEscape(clickIPhoneUA), true},
		{"bot sent as ua=", clickIPhoneUA, "&ua=" + url.QueryEscape("facebookexternalhit/1.1"), true},

		{"curl", "curl/8.5.0", "", false},
		{"go", "Go-http-client/1.1", "", false},
		{"python", "python-requests/2.31.0", "", false},
		{"okhttp", "okhttp/4.12.0", "", false},
		{"android chrome", clickAndroidUA, "", false},
		{"cubot phone", "Mozilla/5.0 (Linux; Android 11; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36", "", false},
		{"linkedin in-app browser", clickIPhoneUA + " [LinkedInApp]", "", false},
	}
	for i, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			id := "bot" + strconv.Itoa(i)
			r := e.do(t, clickReq{uri: "/?c=" + clickCampaign + "&click_id=" + id + row.extra, ua: row.ua})
			if r.status != 302 || r.location == "" || r.cacheControl != "no-store" {
				t.Fatalf("%+v", r)
			}
			got := e.mustGet(t, id)
			if isBot := strings.Contains(got["flags"], "bot"); isBot != row.bot {
				t.Fatalf("flags %q, bot %v", got["flags"], row.bot)
			}
		})
	}
}

// TestClickClientIP: the ip parameter, else the trusted proxies' header read
// from the right, else the peer.
func TestClickClientIP(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	const xff = "X-Forwarded-For"
	rows := []struct {
		name, peer, query string
		header            []string
		ip, country       string
	}{
		{"untrusted peer", clickPeer, "", nil, clickPeerIP, ""},
		{"untrusted peer's header is ignored", clickPeer, "", []string{xff, "203.0.113.9"}, clickPeerIP, ""},
		{"trusted peer, no header", "10.1.2.3:80", "", nil, "10.1.2.3", ""},
		{"trusted peer: rightmost untrusted", "10.1.2.3:80", "", []string{xff, "203.0.113.9, 198.51.100.7, 10.0.0.2"}, "198.51.100.7", ""},
		{"trusted peer: repeated headers", "10.1.2.3:80", "", []string{xff, "203.0.113.9", xff, "198.51.100.8, 10.0.0.2"}, "198.51.100.8", ""},
		{"trusted peer: every hop trusted, leftmost", "10.1.2.3:80", "", []string{xff, "10.9.9.9, 10.0.0.2"}, "10.9.9.9", ""},
		{"trusted peer: garbage skipped", "10.1.2.3:80", "", []string{xff, "203.0.113.9, unknown, 10.0.0.2"}, "203.0.113.9", ""},
		{"trusted peer: nothing usable", "10.1.2.3:80", "", []string{xff, "unknown, "}, "10.1.2.3", ""},
		{"trusted peer: address with port", "10.1.2.3:80", "", []string{xff, "198.51.100.7:5100"}, "198.51.100.7", ""},
		{"trusted peer: ipv6", "10.1.2.3:80", "", []string{xff, "[2001:db8::42]:443, 2001:db8:ffff::9"}, "2001:db8::42", ""},
		{"trusted ipv6 peer", "[2001:db8:ffff::1]:443", "", []string{xff, "198.51.100.9"}, "198.51.100.9", ""},
		{"untrusted ipv6 peer", "[2001:db8::5]:443", "", []string{xff, "198.51.100.9"}, "2001:db8::5", ""},
		{"ipv4-mapped peer", "[::ffff:198.51.100.3]:443", "", nil, "198.51.100.3", ""},
		{"ip parameter wins", "10.1.2.3:80", "&ip=192.0.2.77", []string{xff, "203.0.113.9"}, "192.0.2.77", ""},
		{"af_ip parameter wins", clickPeer, "&af_ip=192.0.2.78", nil, "192.0.2.78", ""},
		{"country header", "10.1.2.3:80", "", []string{xff, "203.0.113.9", "CF-IPCountry", "IN"}, "203.0.113.9", "IN"},
		{"country header, overlong, ignored", "10.1.2.3:80", "", []string{"CF-IPCountry", "Narnia and beyond"}, "10.1.2.3", ""},
		{"untrusted peer's country header is ignored", clickPeer, "", []string{"CF-IPCountry", "IN"}, clickPeerIP, ""},
	}
	for i, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			id := "ip" + strconv.Itoa(i)
			r := e.do(t, clickReq{uri: "/?c=" + clickCampaign + "&click_id=" + id + row.query, peer: row.peer, header: row.header})
			r.check302(t, clickWebURL)
			got := e.mustGet(t, id)
			if got["ip"] != row.ip || got["country"] != row.country {
				t.Fatalf("ip %q country %q, want %q %q", got["ip"], got["country"], row.ip, row.country)
			}
		})
	}

	t.Run("client_ip_header configured", func(t *testing.T) {
		yaml := strings.Replace(clickConfigYAML, `country_header: "CF-IPCountry"`, `client_ip_header: "True-Client-IP"`, 1)
		e := clickNewEnvYAML(t, store.Async, yaml)
		r := e.do(t, clickReq{uri: "/?c=" + clickCampaign + "&click_id=tci", peer: "10.1.2.3:80",
			header: []string{xff, "203.0.113.1", "True-Client-IP", "203.0.113.2", "CF-IPCountry", "IN"}})
		r.check302(t, clickWebURL)
		if got := e.mustGet(t, "tci"); got["ip"] != "203.0.113.2" || got["country"] != "" {
			t.Fatalf("stored %v", got)
		}
	})
}

// TestClickClientIPLines: a header sent on several lines is one list, read
// from the right across the lines.
func TestClickClientIPLines(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	peer := netip.MustParseAddr("10.0.0.1")
	f := func(peer netip.Addr, lines []string, want string) {
		t.Helper()
		var b [][]byte
		for _, l := range lines {
			b = append(b, []byte(l))
		}
		if got := string(tracker.ClientIPLines(peer, b, trusted, nil)); got != want {
			t.Errorf("ClientIPLines(%v, %q) = %q, want %q", peer, lines, got, want)
		}
		if len(lines) == 1 {
			if got := string(tracker.ClientIP(peer, b[0], trusted, nil)); got != want {
				t.Errorf("ClientIP(%v, %q) = %q, want %q", peer, lines[0], got, want)
			}
		}
	}
	f(peer, nil, "10.0.0.1")
	f(peer, []string{""}, "10.0.0.1")
	f(peer, []string{"", ""}, "10.0.0.1")
	f(peer, []string{"203.0.113.1"}, "203.0.113.1")
	f(peer, []string{"203.0.113.1", "198.51.100.2"}, "198.51.100.2")
	f(peer, []string{"203.0.113.1", "198.51.100.2, 10.0.0.3"}, "198.51.100.2")
	f(peer, []string{"203.0.113.1, 10.0.0.4", "10.0.0.3"}, "203.0.113.1")
	f(peer, []string{"10.0.0.5, 10.0.0.4", "10.0.0.3"}, "10.0.0.5")
	f(peer, []string{"198.51.100.9", "garbage", ""}, "198.51.100.9")
	f(netip.MustParseAddr("192.0.2.1"), []string{"203.0.113.1", "198.51.100.2"}, "192.0.2.1")
}

// TestClickFlaggedValues: oversize, invalid UTF-8 and macro values are
// stored flagged and never block the redirect.
func TestClickFlaggedValues(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	oversize := "a" + strings.Repeat("é", 300) // 601 bytes; a cut at 512 would split an é
	rows := []struct {
		name, query string
		id          string // the stored click_id
		field, want string
		flags       string
	}{
		{"oversize, cut at a rune boundary", "click_id=f1&sub1=" + url.QueryEscape(oversize), "f1", "sub1", oversize[:511], "oversize"},
		{"512 bytes is not oversize", "click_id=f2&sub1=" + strings.Repeat("x", 512), "f2", "sub1", strings.Repeat("x", 512), ""},
		{"513 bytes is", "click_id=f3&sub1=" + strings.Repeat("x", 513), "f3", "sub1", strings.Repeat("x", 512), "oversize"},
		{"invalid utf-8", "click_id=f4&sub2=%FF%FEab%C3", "f4", "sub2", "\uFFFD\uFFFDab\uFFFD", "bad_utf8"},
		{"truncated sequence is one U+FFFD", "click_id=f5&sub2=x%E2%82y", "f5", "sub2", "x\uFFFDy", "bad_utf8"},
		{"macro {click_id}", "click_id=f6&sub3=%7Bclick_id%7D", "f6", "sub3", "{click_id}", "macro"},
		{"macro %7Bgaid%7D", "click_id=f7&gaid=%257Bgaid%257D", "f7", "gaid", "%7Bgaid%7D", "macro"},
		{"macro [clickid]", "click_id=f8&sub4=%5Bclickid%5D", "f8", "sub4", "[clickid]", "macro"},
		{"macro {{sub5}} inside a value", "click_id=f9&sub5=pre-%7B%7Bsub5%7D%7D", "f9", "sub5", "pre-{{sub5}}", "macro"},
		{"macro click_id", "click_id=%7Bclick_id%7D", "{click_id}", "click_id", "{click_id}", "invalid_id|macro"},
		{"macro tid", "tid=%5Bclickid%5D", "[clickid]", "click_id", "[clickid]", "invalid_id|macro"},
		{"oversize click_id", "click_id=" + strings.Repeat("k", 600), strings.Repeat("k", 512), "click_id", strings.Repeat("k", 512), "invalid_id|oversize"},
		{"invalid utf-8 click_id", "click_id=ab%FF", "ab\uFFFD", "click_id", "ab\uFFFD", "invalid_id|bad_utf8"},
		{"everything at once", "click_id=f10&sub1=%FF&sub2=" + strings.Repeat("y", 600) + "&sub3=%7Bx%7D", "f10", "sub1", "\uFFFD", "oversize|bad_utf8|macro"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			r := e.do(t, clickReq{uri: "/?c=" + clickCampaign + "&" + row.query, ua: clickAndroidUA})
			r.check302(t, clickPlayLocation(clickPlayURL, row.id, clickCampaign))
			got := e.mustGet(t, row.id)
			if got[row.field] != row.want {
				t.Fatalf("%s %q, want %q", row.field, got[row.field], row.want)
			}
			if !utf8.ValidString(got[row.field]) {
				t.Fatalf("%s stored invalid UTF-8", row.field)
			}
			if got["flags"] != row.flags {
				t.Fatalf("flags %q, want %q", got["flags"], row.flags)
			}
		})
	}
	t.Run("oversize user agent", func(t *testing.T) {
		ua := clickAndroidUA + strings.Repeat(" padding", 100)
		r := e.do(t, clickReq{uri: "/?c=" + clickCampaign + "&click_id=f11", ua: ua})
		r.check302(t, clickPlayLocation(clickPlayURL, "f11", clickCampaign))
		got := e.mustGet(t, "f11")
		if got["user_agent"] != ua[:512] || got["flags"] != "oversize" || got["platform"] != "android" {
			t.Fatalf("stored %v", got)
		}
	})
}

func TestClickHealthz(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	r := e.do(t, clickReq{uri: "/healthz"})
	if r.status != 200 || strings.TrimSpace(r.body) != "ok" || !strings.HasPrefix(r.contentType, "text/plain") {
		t.Fatalf("%+v", r)
	}
}

// clickCounter reads clickedge_clicks_total{result="…"} from the process's
// metrics, as /metrics shows them.
func clickCounter(t testing.TB, result string) float64 {
	t.Helper()
	return clickMetric(t, `clickedge_clicks_total{result="`+result+`"}`)
}

// clickMetric reads one series from the process's Prometheus text; a
// series not written yet is 0.
func clickMetric(t testing.TB, series string) float64 {
	t.Helper()
	var buf bytes.Buffer
	metrics.WritePrometheus(&buf, false)
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if ok && name == series {
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				t.Fatalf("%s: %v", sc.Text(), err)
			}
			return v
		}
	}
	return 0
}

// TestClickMetrics: each outcome moves its counter, and only its own.
func TestClickMetrics(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	results := []string{"stored", "flagged", "bot", "duplicate", "unknown_campaign", "head", "rejected", "error"}
	before := map[string]float64{}
	for _, r := range results {
		before[r] = clickCounter(t, r)
	}
	durBefore := clickMetric(t, "clickedge_click_duration_seconds_count")

	c := clickCampaign
	for _, r := range []clickReq{
		{uri: "/?c=" + c + "&click_id=m1", ua: clickAndroidUA},                            // stored
		{uri: "/" + c + "?sub1=x", ua: clickIPhoneUA},                                     // stored, generated id
		{uri: "/?c=" + c + "&click_id=m1", ua: clickAndroidUA},                            // duplicate
		{uri: "/?c=" + c + "&click_id=m2", ua: "Twitterbot/1.0"},                          // bot
		{uri: "/?c=" + c + "&click_id=m3&sub1=%7Bsub1%7D", ua: clickAndroidUA},            // flagged: macro
		{uri: "/?c=" + c + "&click_id=m4&sub2=%FF", ua: clickAndroidUA},                   // flagged: bad UTF-8
		{uri: "/?c=" + c + "&click_id=" + strings.Repeat("z", 600), ua: clickAndroidUA},   // flagged: invalid id
		{uri: "/?c=" + c + "&click_id=m5&sub1=%7Bsub1%7D", ua: "facebookexternalhit/1.1"}, // bot wins over flagged
		{uri: "/?c=nope&click_id=m6", ua: clickAndroidUA},                                 // unknown_campaign
		{uri: "/a/b", ua: clickAndroidUA},                                                 // unknown_campaign
		{method: "HEAD", uri: "/?c=" + c + "&click_id=m7", ua: clickAndroidUA},            // head
		{uri: "/v1/click?click_id=m8"},                                                    // rejected: no campaign
		{uri: "/v1/click?c=" + c + "&click_id=m9&click_time=1"},                           // rejected: too old
		{uri: "/v1/click?c=" + c + "&click_id=m10"},                                       // stored
		{uri: "/v1/click?c=" + c + "&click_id=m10"},                                       // duplicate
		{method: "POST", uri: "/?c=" + c + "&click_id=m11", ua: clickAndroidUA},           // none: 405
		{uri: "/healthz"}, // none
	} {
		e.do(t, r)
	}
	want := map[string]float64{
		"stored": 3, "flagged": 3, "bot": 2, "duplicate": 2, "unknown_campaign": 2, "head": 1, "rejected": 2, "error": 0,
	}
	for _, r := range results {
		if d := clickCounter(t, r) - before[r]; d != want[r] {
			t.Errorf(`clickedge_clicks_total{result=%q} rose by %v, want %v`, r, d, want[r])
		}
	}
	// Every redirect is timed, HEAD included; 404s and S2S clicks are not.
	if d := clickMetric(t, "clickedge_click_duration_seconds_count") - durBefore; d != 9 {
		t.Errorf("clickedge_click_duration_seconds_count rose by %v, want 9", d)
	}
}

// clickHTTP sends one request over a real connection.
func clickHTTP(t testing.TB, client *fasthttp.Client, method, rawURL string, header ...string) clickResp {
	t.Helper()
	r, err := clickHTTPDo(client, method, rawURL, header...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// clickHTTPDo is clickHTTP for goroutines other than the test's.
func clickHTTPDo(client *fasthttp.Client, method, rawURL string, header ...string) (clickResp, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod(method)
	req.SetRequestURI(rawURL)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if method == "HEAD" {
		resp.SkipBody = true
	}
	if err := client.DoTimeout(req, resp, 10*time.Second); err != nil {
		return clickResp{}, fmt.Errorf("%s %s: %w", method, rawURL, err)
	}
	return clickResp{
		status:       resp.StatusCode(),
		location:     string(resp.Header.Peek("Location")),
		cacheControl: string(resp.Header.Peek("Cache-Control")),
		contentType:  string(resp.Header.ContentType()),
		body:         string(resp.Body()),
	}, nil
}

// TestClickOverHTTP drives the handler through a real listener and client,
// with a sync store: the click is on disk when the 302 arrives.
func TestClickOverHTTP(t *testing.T) {
	e := clickNewEnv(t, store.Sync)
	base := "http://" + serveTracker(t, e.tr)
	client := &fasthttp.Client{}

	r := clickHTTP(t, client, "GET", base+"/?c="+clickCampaign+"&click_id=h%20ttp%26%E2%82%AC&sub1=x", "User-Agent", clickAndroidUA,
		"X-Forwarded-For", "203.0.113.9, 10.0.0.2", "CF-IPCountry", "DE")
	r.check302(t, clickPlayLocation(clickPlayURL, "h ttp&€", clickCampaign))
	want := map[string]string{
		"click_id": "h ttp&€", "campaign": clickCampaign, "app": "com.example.app", "time": "2026-11-26T12:00:00Z",
		"platform": "android", "os": "14", "sub1": "x", "ip": "203.0.113.9", "country": "DE", "user_agent": clickAndroidUA,
	}
	if d := clickDiff(e.mustGet(t, "h ttp&€"), want); d != "" {
		t.Fatal(d) // 127.0.0.1 is a trusted proxy in clickConfigYAML
	}

	r = clickHTTP(t, client, "GET", base+"/"+clickCampaign+"?click_id=h2", "User-Agent", clickIPhoneUA)
	r.check302(t, clickIOSURL)
	if got := e.mustGet(t, "h2"); got["ip"] != "127.0.0.1" || got["platform"] != "ios" {
		t.Fatalf("stored %v", got)
	}

	head := clickHTTP(t, client, "HEAD", base+"/?c="+clickCampaign+"&click_id=h3", "User-Agent", clickAndroidUA)
	head.check302(t, clickPlayLocation(clickPlayURL, "h3", clickCampaign))
	e.mustNotStore(t, "h3")

	if r := clickHTTP(t, client, "POST", base+"/?c="+clickCampaign+"&click_id=h4"); r.status != 405 {
		t.Fatalf("POST: %+v", r)
	}
	e.mustNotStore(t, "h4")
	clickHTTP(t, client, "GET", base+"/nope?click_id=h5").check404(t)
	e.mustNotStore(t, "h5")

	if r := clickHTTP(t, client, "GET", base+"/healthz"); r.status != 200 || strings.TrimSpace(r.body) != "ok" {
		t.Fatalf("healthz: %+v", r)
	}
	r = clickHTTP(t, client, "GET", base+"/v1/click?c="+clickCampaign+"&click_id=h6&user_agent="+url.QueryEscape(clickAndroidUA), "User-Agent", "Go-http-client/1.1")
	if r.status != 200 || r.location != "" || r.body != `{"click_id":"h6","stored":true,"reason":"stored"}`+"\n" {
		t.Fatalf("/v1/click: %+v", r)
	}
}

// TestClickOverHTTPConcurrent: many connections clicking at once on a sync
// store (their fsyncs shared) each get their 302 after their own click is
// stored, and generated ids never collide.
func TestClickOverHTTPConcurrent(t *testing.T) {
	e := clickNewEnv(t, store.Sync)
	base := "http://" + serveTracker(t, e.tr)
	client := &fasthttp.Client{MaxConnsPerHost: 64}
	const workers, each = 32, 25
	ids := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				uri := base + "/?c=" + clickCampaign + "&sub1=" + strconv.Itoa(w) + "-" + strconv.Itoa(i)
				if i%2 == 0 {
					uri += "&click_id=w" + strconv.Itoa(w) + "-" + strconv.Itoa(i)
				}
				r, err := clickHTTPDo(client, "GET", uri, "User-Agent", clickAndroidUA)
				if err != nil || r.status != 302 {
					t.Errorf("%s: %+v %v", uri, r, err)
					return
				}
				u, err := url.Parse(r.location)
				if err != nil {
					t.Error(err)
					return
				}
				id := tracker.ClickIDFromReferrer(u.Query().Get("referrer"))
				var c store.Click
				if _, ok, err := e.st.GetClick([]byte(id), &c, nil); !ok || err != nil {
					t.Errorf("%s: 302 before click %q was stored (%v)", uri, id, err)
				}
				ids[w] = append(ids[w], id)
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for w := range ids {
		for _, id := range ids[w] {
			if seen[id] {
				t.Fatalf("click_id %q twice", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != workers*each {
		t.Fatalf("%d clicks, want %d", len(seen), workers*each)
	}
}

// TestClickLongLink: a tracking link whose values are oversize (a network's
// nested, encoded redirect URLs; a long user agent) is still redirected and
// stored, its long values flagged, up to a request head of MaxRequestHead
// bytes. Until the public server's read buffer was raised, a head over
// fasthttp's default 4 KiB got 431 and the click was lost.
func TestClickLongLink(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	base := "http://" + serveTracker(t, e.tr)
	client := &fasthttp.Client{ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10}
	long := strings.Repeat("y", 3900)
	for _, row := range []struct {
		name, id, query, ua string
	}{
		{"a 3.9 KB value", "long1", "&sub3=" + long, clickAndroidUA},
		{"five of them", "long2", "&sub1=" + long + "&sub2=" + long + "&sub3=" + long, clickAndroidUA},
		{"a 4 KB user agent", "long3", "&sub1=x", clickAndroidUA + strings.Repeat(" x", 2000)},
	} {
		t.Run(row.name, func(t *testing.T) {
			r := clickHTTP(t, client, "GET", base+"/?c="+clickCampaign+"&click_id="+row.id+row.query, "User-Agent", row.ua)
			if r.status != 302 {
				t.Fatalf("status %d, want 302", r.status)
			}
			if got := e.mustGet(t, row.id); got["flags"] != "oversize" {
				t.Fatalf("flags %q, want oversize", got["flags"])
			}
		})
	}
	// Past the limit the request is answered 431 unread, and counted: no
	// handler, and so no click counter, ever sees it.
	const unread = `clickedge_requests_unread_total{reason="head_too_large"}`
	before := clickMetric(t, unread)
	r := clickHTTP(t, client, "GET", base+"/?c="+clickCampaign+"&click_id=long4&sub1="+strings.Repeat("z", tracker.MaxRequestHead), "User-Agent", clickAndroidUA)
	if r.status != 431 || r.cacheControl != "no-store" {
		t.Fatalf("a head over MaxRequestHead: status %d Cache-Control %q, want 431 and no-store", r.status, r.cacheControl)
	}
	if got := clickMetric(t, unread) - before; got != 1 {
		t.Fatalf("%s rose by %v, want 1", unread, got)
	}
}

// TestUnreadRequest: a request the server cannot parse is answered 400,
// closed, and counted.
func TestUnreadRequest(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	addr := serveTracker(t, e.tr)
	const unread = `clickedge_requests_unread_total{reason="malformed"}`
	before := clickMetric(t, unread)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("NOT HTTP AT ALL\r\nX\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	answer, err := io.ReadAll(conn) // the server closes the connection
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(answer, []byte("HTTP/1.1 400 ")) || !bytes.Contains(answer, []byte("Cache-Control: no-store")) {
		t.Fatalf("answer %q, want a 400 with Cache-Control: no-store", answer)
	}
	if got := clickMetric(t, unread) - before; got != 1 {
		t.Fatalf("%s rose by %v, want 1", unread, got)
	}
}
