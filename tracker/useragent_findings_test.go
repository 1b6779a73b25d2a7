package tracker

import (
	"testing"

	"github.com/clickedge/clickedge/store"
)

// Agents the edge misread: real people flagged as bots (never credited),
// a feature phone sent to Google Play, a Google crawler taken for a
// person; with near misses that must keep their reading.
func TestUserAgentMisreadings(t *testing.T) {
	for _, tc := range []struct {
		ua       string
		platform store.Platform
		os       string
		bot      bool
	}{
		// Logicom phones and tablets (France) are named "… bot …"; web
		// views, so every in-app browser, carry the model.
		{"Mozilla/5.0 (Linux; Android 7.0; M bot 60 Build/NRD90M; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/67.0.3396.87 Mobile Safari/537.36", store.PlatformAndroid, "7.0", false},
		{"Mozilla/5.0 (Linux; Android 7.1.1; M_bot_tab_1150 Build/N9F27F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/67.0.3396.87 Safari/537.36", store.PlatformAndroid, "7.1", false},
		{"Mozilla/5.0 (Linux; Android 6.0; IDbot553 Build/MRA58K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/59.0.3071.125 Mobile Safari/537.36", store.PlatformAndroid, "6.0", false},
		{"Mozilla/5.0 (Linux; Android 6.0; B BOT 550 Build/MRA58K; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/53.0.2785.124 Mobile Safari/537.36", store.PlatformAndroid, "6.0", false},
		{"Mozilla/5.0 (Linux; Android 6.0.1; M BOT TAB 101 Build/MOB30R) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/54.0.2840.85 Safari/537.36", store.PlatformAndroid, "6.0", false},
		// KaiOS feature phones (JioPhone) say ";Android;" and have no
		// Google Play: the web URL.
		{"Mozilla/5.0 (Mobile; LYF/F300B/LYF-F300B-001-01-15-130718-i;Android; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5", store.PlatformUnknown, "", false},
		{"Mozilla/5.0 (Mobile; LYF/F320B/LYF-F320B-002-02-56-250322;Android; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5.3.2", store.PlatformUnknown, "", false},
		{"Mozilla/5.0 (Mobile; LYF/F101K/LYF-F101K-000-01-33-120318;Android; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.0", store.PlatformUnknown, "", false},
		// Google's crawler for its other products.
		{"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.6533.119 Mobile Safari/537.36 (compatible; GoogleOther)", store.PlatformAndroid, "6.0", true},
		{"Mozilla/5.0 (compatible; GoogleOther)", store.PlatformUnknown, "", true},

		// Near misses: unchanged.
		{"Mozilla/5.0 (Linux; Android 10; CUBOT KINGKONG 5 Pro Build/QP1A.190711.020; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36", store.PlatformAndroid, "10", false},
		{"Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)", store.PlatformUnknown, "", true},
		{"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", store.PlatformAndroid, "6.0", true},
		{"Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0", store.PlatformAndroid, "14", false},
		{"Opera/9.80 (Android; Opera Mini/7.5.54678/191.330; U; en) Presto/2.12.423 Version/12.16", store.PlatformAndroid, "", false},
		{"Mozilla/5.0 (Mobile; Nokia 2780 Flip; rv:84.0) Gecko/84.0 Firefox/84.0 KAIOS/3.1", store.PlatformUnknown, "", false},
	} {
		p, os := ParseUserAgent([]byte(tc.ua))
		bot := IsBot([]byte(tc.ua))
		if p != tc.platform || string(os) != tc.os || bot != tc.bot {
			t.Errorf("%q\n got %v %q bot=%v, want %v %q bot=%v", tc.ua, p, os, bot, tc.platform, tc.os, tc.bot)
		}
	}
}
