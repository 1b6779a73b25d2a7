package tracker

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/clickedge/clickedge/store"
)

const playURL = "https://play.google.com/store/apps/details?id=com.example.app"

func TestAppendLocation(t *testing.T) {
	f := func(appURL, clickID, campaign, want string) {
		t.Helper()
		got := AppendLocation([]byte("L:"), appURL, []byte(clickID), []byte(campaign))
		if string(got) != "L:"+want {
			t.Errorf("AppendLocation(%q, %q, %q)\n got %s\nwant %s", appURL, clickID, campaign, got[2:], want)
		}
	}
	f(playURL, "abc", "demo", playURL+"&referrer=click_id%3Dabc%26c%3Ddemo")
	f("https://play.google.com/store/apps/details", "abc", "demo",
		"https://play.google.com/store/apps/details?referrer=click_id%3Dabc%26c%3Ddemo")
	f("https://play.google.com/store/apps/details?", "abc", "demo",
		"https://play.google.com/store/apps/details?referrer=click_id%3Dabc%26c%3Ddemo")
	f(playURL+"&", "abc", "demo", playURL+"&referrer=click_id%3Dabc%26c%3Ddemo")
	f(playURL+"#top", "abc", "demo", playURL+"&referrer=click_id%3Dabc%26c%3Ddemo#top")
	// '&', space and unicode in the click id: encoded, then encoded again
	// with the rest of the referrer.
	f(playURL, "a1b2 c3&d", "OgWmhiSXhG", playURL+"&referrer=click_id%3Da1b2%2520c3%2526d%26c%3DOgWmhiSXhG")
	f(playURL, "é€", "demo", playURL+"&referrer=click_id%3D%25C3%25A9%25E2%2582%25AC%26c%3Ddemo")
	f(playURL, "-._~+=%/", "a b", playURL+"&referrer=click_id%3D-._~%252B%253D%2525%252F%26c%3Da%2520b")
	f(playURL, "", "", playURL+"&referrer=click_id%3D%26c%3D")

	// Everything else unchanged.
	for _, u := range []string{
		"https://apps.apple.com/app/id1234567890",
		"https://apps.apple.com/us/app/example/id1234567890?mt=8",
		"https://example.com/",
		"https://example.com/?a=b&c=d#x",
		"https://play.google.com.evil.example/store?id=x",
		"https://evil.example/?u=https://play.google.com/",
		"market://details?id=com.example.app",
		"",
	} {
		f(u, "a b", "demo", u)
	}
}

// TestAppendLocationRoundTrip: what the app's SDK gets back from Play (the
// referrer, decoded once by Play's URL handling) parses as a query holding
// the click id exactly.
func TestAppendLocationRoundTrip(t *testing.T) {
	for _, id := range []string{"a1b2c3", "a1b2 c3&d", "x=y&c=evil", "100%", "é€😀", "{click_id}", "\x00\xff"} {
		loc := AppendLocation(nil, playURL, []byte(id), []byte("Og Wm&x"))
		u, err := url.Parse(string(loc))
		if err != nil {
			t.Fatalf("%q: %v", loc, err)
		}
		ref, err := url.ParseQuery(u.Query().Get("referrer"))
		if err != nil {
			t.Fatalf("%q: %v", loc, err)
		}
		if ref.Get("click_id") != id || ref.Get("c") != "Og Wm&x" || u.Query().Get("id") != "com.example.app" {
			t.Errorf("%q: referrer %v", id, ref)
		}
	}
}

// TestAppendAppURL: an app URL's redirect macros (an extension) are filled
// in from the click as a postback's are: percent-encoded, empty when
// absent, unknown {…} left byte for byte, one pass.
func TestAppendAppURL(t *testing.T) {
	c := &store.Click{
		ClickID: []byte("a b&c"), Campaign: []byte("OgWmhiSXhG"), Platform: store.PlatformIOS,
		AffID: []byte("4471"), PubID: []byte("site_209"), OfferID: []byte("88"), CreativeID: []byte("7"),
		Country: []byte("IN"), GAID: []byte("38400000-8cf0-11bd-b23e-10b96e40000d"),
	}
	c.Sub[0], c.Sub[1], c.Sub[2] = []byte("x/y"), []byte("{click_id}"), []byte("é")
	for _, tt := range []struct{ in, want string }{
		{"https://example.com/", "https://example.com/"},
		{"https://example.com/l?cid={click_id}&c={campaign_id}&n={campaign_name}",
			"https://example.com/l?cid=a%20b%26c&c=OgWmhiSXhG&n=Diwali%20Sale"},
		{"https://example.com/{aff_id}/{pub_id}?o={offer_id}&cr={creative_id}&p={platform}&cc={country}",
			"https://example.com/4471/site_209?o=88&cr=7&p=ios&cc=IN"},
		{"https://example.com/?s={sub1},{sub2},{sub3},{sub4},{sub5}", "https://example.com/?s=x%2Fy,%7Bclick_id%7D,%C3%A9,,"},
		// The postback aliases.
		{"https://example.com/?t={tid}&a={s2}&b={s3}&c={s4}", "https://example.com/?t=a%20b%26c&a=%7Bclick_id%7D&b=%C3%A9&c="},
		// Not redirect macros: left as they are. (Device ids and the IP are
		// not handed to a landing page.)
		{"https://example.com/?g={gaid}&u={unknown}&x={CLICK_ID}&e={}&o={&c=}", "https://example.com/?g={gaid}&u={unknown}&x={CLICK_ID}&e={}&o={&c=}"},
		{"https://example.com/{click_id", "https://example.com/{click_id"},
		{"https://example.com/#{click_id}", "https://example.com/#a%20b%26c"},
	} {
		got := AppendAppURL([]byte("L:"), tt.in, c, "Diwali Sale")
		if string(got) != "L:"+tt.want {
			t.Errorf("AppendAppURL(%q)\n got %s\nwant %s", tt.in, got[2:], tt.want)
		}
	}
	dst := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() {
		dst = AppendAppURL(dst[:0], "https://example.com/l?cid={click_id}&s={sub1}&c={campaign_name}", c, "Diwali Sale")
	}); n != 0 {
		t.Errorf("AppendAppURL: %v allocations, want 0", n)
	}
}

// FuzzAppendAppURL: whatever the URL and the click's values, a URL without
// '{' comes out as it went in, and a filled-in value adds no byte that
// needs encoding (so it cannot end the Location header or add a query
// parameter).
func FuzzAppendAppURL(f *testing.F) {
	f.Add("https://example.com/l?cid={click_id}&s={sub1}", "a b&c", "x\r\ny")
	f.Add("https://example.com/{", "{click_id}", "}")
	f.Add("{click_id}{sub1}{tid}{}{{sub1}}", "é", "%41")
	f.Fuzz(func(t *testing.T, appURL, clickID, sub1 string) {
		c := &store.Click{ClickID: []byte(clickID), Campaign: []byte("camp")}
		c.Sub[0] = []byte(sub1)
		got := AppendAppURL(nil, appURL, c, "name")
		if !strings.Contains(appURL, "{") {
			if string(got) != appURL {
				t.Fatalf("%q without macros became %q", appURL, got)
			}
			return
		}
		// With the values' bytes all encodable, the only raw bytes are
		// the template's.
		for _, b := range got {
			if !isUnreserved(b) && b != '%' && !strings.ContainsRune(appURL, rune(b)) && b < 0x80 {
				t.Fatalf("%q with click_id %q, sub1 %q gave %q: byte %q from a value", appURL, clickID, sub1, got, b)
			}
		}
	})
}

func TestRedirectAllowed(t *testing.T) {
	hosts := []string{"shop.example", "*.promo.example"}
	for _, tc := range []struct {
		u    string
		want bool
	}{
		{"https://shop.example", true},
		{"https://shop.example/", true},
		{"http://shop.example?x=1", true},
		{"https://shop.example#f", true},
		{"HTTPS://SHOP.EXAMPLE/A", true},
		{"https://shop.example:443/", true},
		{"https://a.promo.example/", true},
		{"https://a.b.promo.example/", true},
		{"https://A.Promo.Example/", true},
		{"https://shop.example/path/with/@/and:colon?q=@", true},
		{"", false},
		{"https://", false},
		{"https:///shop.example", false},
		{"https://:443/", false},
		{"https://promo.example/", false},
		{"https://.promo.example/", false},
		{"https://xpromo.example/", false},
		{"https://shop.example.", false},
		{"https://shop.example:/", true}, // an empty port is the scheme's
		{"https://shop.example:44a/", false},
		{"https://shop.example@evil.example/", false},
		{"https://evil.example#@shop.example", false},
		{"https://evil.example?.shop.example", false},
		{"https://evil.example\\.shop.example/", false},
		{"https://evil.example%2f.shop.example/", false},
		{"ftp://shop.example/", false},
		{"https:shop.example", false},
		{"https://shop.example/\xff", false},
		{"https://shop.example/\t", false},
		{"https://[::1]/", false},
	} {
		if got := RedirectAllowed([]byte(tc.u), hosts); got != tc.want {
			t.Errorf("RedirectAllowed(%q) = %v, want %v", tc.u, got, tc.want)
		}
	}
	if RedirectAllowed([]byte("https://shop.example/"), nil) {
		t.Error("allowed with no hosts listed")
	}
}

// FuzzRedirectAllowed: whatever RedirectAllowed lets through, Go's URL
// parser (which follows browsers on these points) reads as an http(s) URL
// without user info whose host is a listed one.
func FuzzRedirectAllowed(f *testing.F) {
	f.Add("https://shop.example/spring?utm=x#top")
	f.Add("https://a.promo.example:8443/")
	f.Add("https://shop.example@evil.example/")
	f.Add("https://evil.example\\.shop.example/")
	f.Add("HTTP://Shop.Example")
	hosts := []string{"shop.example", "*.promo.example"}
	f.Fuzz(func(t *testing.T, u string) {
		if !RedirectAllowed([]byte(u), hosts) {
			return
		}
		// Browsers pass a bad escape in a path or fragment through, where
		// Go's parser refuses it; escaping every '%' leaves the host alone
		// (RedirectAllowed refuses a '%' in it) and lets the rest parse.
		p, err := url.Parse(strings.ReplaceAll(u, "%", "%25"))
		if err != nil {
			t.Fatalf("allowed %q, which does not parse: %v", u, err)
		}
		host := strings.ToLower(p.Hostname())
		scheme := strings.ToLower(p.Scheme)
		if (scheme != "http" && scheme != "https") || p.User != nil || p.Opaque != "" {
			t.Fatalf("allowed %q: scheme %q, user %v, opaque %q", u, p.Scheme, p.User, p.Opaque)
		}
		if !slices.Contains(hosts, host) && !strings.HasSuffix(host, ".promo.example") {
			t.Fatalf("allowed %q, whose host is %q", u, host)
		}
	})
}
