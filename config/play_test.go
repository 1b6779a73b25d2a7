package config_test

import (
	"testing"

	"github.com/clickedge/clickedge/config"
)

// TestIsPlayStoreURL: the URLs the tracker appends its referrer= to.
func TestIsPlayStoreURL(t *testing.T) {
	for u, want := range map[string]bool{
		"https://play.google.com/store/apps/details?id=com.example.app": true,
		"http://play.google.com/store/apps/details?id=x":                true,
		"HTTPS://PLAY.GOOGLE.COM/store/apps/details?id=x":               true,
		"https://play.google.com:443/store?id=x":                        true,
		"https://play.google.com":                                       true,
		"https://play.google.com?id=x":                                  true,
		"https://play.google.com.evil.example/":                         false,
		"https://user@play.google.com/":                                 false,
		"https://evil.example/play.google.com":                          false,
		"https://apps.apple.com/app/id1":                                false,
		"market://details?id=x":                                         false,
		"play.google.com/store":                                         false,
		"":                                                              false,
	} {
		if got := config.IsPlayStoreURL(u); got != want {
			t.Errorf("IsPlayStoreURL(%q) = %v", u, got)
		}
	}
}
