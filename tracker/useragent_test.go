package tracker

import (
	"bytes"
	"testing"

	"github.com/clickedge/clickedge/store"
)

// realUserAgents are agents as browsers, web views and apps send them, with
// the platform and OS version each should read as.
var realUserAgents = []struct {
	ua       string
	platform store.Platform
	os       string
}{
	// Android
	// Chrome's reduced agent (since Chrome 110) says "Android 10; K" on
	// every Android version: it names none.
	{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36", store.PlatformAndroid, ""},
	{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36", store.PlatformAndroid, ""},
	{"Mozilla/5.0 (Linux; Android 10; SM-G973F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/83.0.4103.106 Mobile Safari/537.36", store.PlatformAndroid, "10"},
	{"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36", store.PlatformAndroid, "14"},
	{"Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230805.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.5845.163 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/431.0.0.31.108;]", store.PlatformAndroid, "13"},
	{"Mozilla/5.0 (Linux; Android 12; SM-G991B Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/118.0.5993.111 Mobile Safari/537.36 Instagram 307.0.0.34.111 Android (31/12; 480dpi; 1080x2176; samsung; SM-G991B; o1s; exynos2100; en_US; 532277011)", store.PlatformAndroid, "12"},
	{"Mozilla/5.0 (Linux; U; Android 4.4.2; en-us; SCH-I535 Build/KOT49H) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30", store.PlatformAndroid, "4.4"},
	{"Mozilla/5.0 (Linux; Android 8.1.0; Redmi 5 Plus) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36", store.PlatformAndroid, "8.1"},
	{"Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0", store.PlatformAndroid, "14"},
	{"Dalvik/2.1.0 (Linux; U; Android 11; SM-A505F Build/RP1A.200720.012)", store.PlatformAndroid, "11"},
	{"Mozilla/5.0 (Linux; Android 11; CUBOT_X50) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Mobile Safari/537.36", store.PlatformAndroid, "11"},
	{"Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00; HMSCore 6.11.0.302) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.88 HuaweiBrowser/14.0.0.322 Mobile Safari/537.36", store.PlatformAndroid, "12"},
	{"Telegram-Android/10.2.0 (Samsung SM-G991B; Android 13; SDK 33; AVERAGE)", store.PlatformAndroid, "13"},
	{"Mozilla/5.0 (Linux; Android 14)", store.PlatformAndroid, "14"}, // corpus tl007
	{"Mozilla/5.0 (Linux; Android; Mobile)", store.PlatformAndroid, ""},
	// iOS
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1", store.PlatformIOS, "17.2"},
	{"Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1", store.PlatformIOS, "16.6"},
	{"Mozilla/5.0 (iPod touch; CPU iPhone OS 12_5_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1.2 Mobile/15E148 Safari/604.1", store.PlatformIOS, "12.5"},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1", store.PlatformIOS, "17.0"},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBDV/iPhone13,2;FBMD/iPhone;FBSN/iOS;FBSV/16.5;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]", store.PlatformIOS, "16.5"},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 309.1.1.28.108 (iPhone15,3; iOS 17_1_2; en_US; en; scale=3.00; 1290x2796; 537288532)", store.PlatformIOS, "17.1"},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.29.8960", store.PlatformIOS, "17.3"},
	// Safari 26 freezes "iPhone OS 18_6" (later 18_7) whatever the iOS;
	// its Version is the OS's (WebKit's blog, September 2025).
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Mobile/15E148 Safari/604.1", store.PlatformIOS, "26.0"},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.3 Mobile/15E148 Safari/604.1", store.PlatformIOS, "26.3"},
	{"Mozilla/5.0 (iPad; CPU OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.1 Mobile/15E148 Safari/604.1", store.PlatformIOS, "26.1"},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Mobile/15E148 Safari/604.1", store.PlatformIOS, "18.6"},
	{"Mozilla/5.0 (iPhone; U; CPU iPhone OS 4_3_3 like Mac OS X; en-us) AppleWebKit/533.17.9 (KHTML, like Gecko) Version/5.0.2 Mobile/8J2 Safari/6533.18.5", store.PlatformIOS, "4.3"},
	{"Snapchat/12.60.0.43 (iPhone14,5; iOS 17.1.2; gzip)", store.PlatformIOS, "17.1"},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 26_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148", store.PlatformIOS, "26.0"},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 123_4 like Mac OS X)", store.PlatformIOS, ""},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_25 like Mac OS X)", store.PlatformIOS, "17"},
	{"Mozilla/5.0 (iPhone)", store.PlatformIOS, ""}, // corpus tl035
	{"MyApp/1.2.3 CFNetwork/1474 Darwin/23.0.0", store.PlatformIOS, ""},
	// Desktop and everything else
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", store.PlatformUnknown, ""},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15", store.PlatformUnknown, ""},
	{"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", store.PlatformUnknown, ""},
	{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", store.PlatformUnknown, ""},
	{"", store.PlatformUnknown, ""},
	{"{declared_user_agent}", store.PlatformUnknown, ""},
}

func TestParseUserAgent(t *testing.T) {
	for _, tc := range realUserAgents {
		p, os := ParseUserAgent([]byte(tc.ua))
		if p != tc.platform || string(os) != tc.os {
			t.Errorf("%q\n got %v %q, want %v %q", tc.ua, p, os, tc.platform, tc.os)
		}
		if cap(os) != len(os) {
			t.Errorf("%q: version %q has spare capacity", tc.ua, os)
		}
	}
}

// FuzzUserAgent: no panic; the version is short digits with at most one
// dot, and an Android version is read from the agent itself.
func FuzzUserAgent(f *testing.F) {
	for _, tc := range realUserAgents {
		f.Add([]byte(tc.ua))
	}
	f.Fuzz(func(t *testing.T, ua []byte) {
		p, os := ParseUserAgent(ua)
		_ = IsBot(ua)
		if len(os) > 7 || cap(os) != len(os) {
			t.Fatalf("version %q (cap %d)", os, cap(os))
		}
		if bytes.Count(os, []byte(".")) > 1 || len(os) > 0 && (os[0] == '.' || os[len(os)-1] == '.') {
			t.Fatalf("version %q", os)
		}
		for _, c := range os {
			if c != '.' && (c < '0' || c > '9') {
				t.Fatalf("version %q", os)
			}
		}
		if p == store.PlatformUnknown && os != nil {
			t.Fatalf("version %q without a platform", os)
		}
		if p == store.PlatformAndroid && len(os) > 0 && !bytes.Contains(ua, os) {
			t.Fatalf("android version %q not in %q", os, ua)
		}
	})
}
