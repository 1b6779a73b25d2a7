package tracker

import (
	"math/rand/v2"
	"net/url"
	"testing"
)

func TestClickIDFromReferrer(t *testing.T) {
	tests := []struct{ ref, want string }{
		{"click_id=abc&c=demo&utm_source=x", "abc"},
		{"c=demo&click_id=abc", "abc"},
		{"click_id=abc", "abc"},
		{"click_id%3Dabc%26c%3Ddemo", "abc"},
		{"click_id=a1b2%20c3%26d&c=demo", "a1b2 c3&d"},
		{"click_id%3Da1b2%2520c3%2526d%26c%3Ddemo", "a1b2 c3&d"},
		{"click_id=a1b2+c3", "a1b2 c3"},
		{"click_id=xYz-789_~.&c=OgWmhiSXhG", "xYz-789_~."},
		{"click%5Fid=abc", "abc"},
		{"click_id=caf%C3%A9", "café"},
		{"click_id=100%", "100%"},
		{"click_id=a&click_id=b", "a"},
		{"utm_source=google-play&utm_medium=organic", ""},
		{"utm_source=google-play&utm_medium=organic%20x", ""},
		{"", ""},
		{"click_id", ""},
		{"click_id=", ""},
		{"click_id=&c=x%26click_id%3Dzzz", ""},
		{"xclick_id=abc", ""},
		{"CLICK_ID=abc", ""},
		{"click_id=%ff", ""},
		{"click_id=\xff", ""},
	}
	for _, tt := range tests {
		if got := ClickIDFromReferrer(tt.ref); got != tt.want {
			t.Errorf("ClickIDFromReferrer(%q) = %q, want %q", tt.ref, got, tt.want)
		}
	}
}

// The referrer the click edge builds (CONTRACT §3) gives back its click_id,
// whether the app forwards what Play decoded or the raw parameter value.
func TestClickIDFromReferrerRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("abcXYZ019-_.~ +&=%/?#é☕\"'")
	for n := 0; n < 2000; n++ {
		id := make([]rune, 1+r.IntN(12))
		for i := range id {
			id[i] = alphabet[r.IntN(len(alphabet))]
		}
		clickID := string(id)
		inner := "click_id=" + url.QueryEscape(clickID) + "&c=demo"
		param := url.QueryEscape(inner) // the value of referrer= in the store URL
		played, err := url.QueryUnescape(param)
		if err != nil {
			t.Fatal(err)
		}
		if got := ClickIDFromReferrer(played); got != clickID {
			t.Fatalf("decoded referrer %q: got %q, want %q", played, got, clickID)
		}
		if got := ClickIDFromReferrer(param); got != clickID {
			t.Fatalf("raw referrer %q: got %q, want %q", param, got, clickID)
		}
	}
}
