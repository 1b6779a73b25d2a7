package tracker

import (
	"net/url"
	"testing"
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
