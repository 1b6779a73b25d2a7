package tracker

import (
	"strings"
	"testing"
)

func TestIsBot(t *testing.T) {
	bots := []string{
		"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
		"facebookexternalhit/1.1 Facebot Twitterbot/1.0", // iMessage previews
		"Mozilla/5.0 (compatible; Facebot/1.0)",
		"meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)",
		"Twitterbot/1.0",
		"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
		"Slackbot 1.0 (+https://api.slack.com/robots)",
		"Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
		"TelegramBot (like TwitterBot)",
		"WhatsApp/2.23.20.0 A",
		"WhatsApp/2.2343.5 i",
		"LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
		"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"Googlebot-Image/1.0",
		"AdsBot-Google (+http://www.google.com/adsbot.html)",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 14_7_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.1.2 Mobile/15E148 Safari/604.1 (compatible; AdsBot-Google-Mobile; +http://www.google.com/mobile/adsbot.html)",
		"Mediapartners-Google",
		"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
		"Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com",
		"Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)",
		"Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)",
		"Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
		"Iframely/1.3.1 (+https://iframely.com/docs/about)",
		"Mozilla/5.0 (compatible; Snap URL Preview Service; bot; snapchat; https://developers.snap.com/robots)",
		"Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
		"DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
		"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
		"Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
		"Mastodon/4.2.1 (http.rb/5.1.1; +https://mastodon.social/)",
		"Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
		"Mozilla/5.0 (compatible; SomeCrawler/1.0)",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36",
		"FACEBOOKEXTERNALHIT/1.1", // case does not matter
		"cubotbot",
	}
	humans := []string{
		"",
		"Mozilla/5.0 (Linux; Android 11; CUBOT_X50) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Mobile Safari/537.36",
		"Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Mobile Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.29.8960",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [Pinterest/iOS]",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Twitter for iPhone/10.19",
		"Snapchat/12.60.0.43 (iPhone14,5; iOS 17.1.2; gzip)",
		"MyApp/1.2.3 CFNetwork/1474 Darwin/23.0.0",
		"{declared_user_agent}",
		// HTTP libraries are neither previews nor crawlers (see bots.go).
		"curl/8.4.0",
		"Wget/1.21.4",
		"python-requests/2.31.0",
		"Go-http-client/1.1",
		"Java/17.0.2",
	}
	for _, tc := range realUserAgents {
		humans = append(humans, tc.ua)
	}
	for _, ua := range bots {
		if !IsBot([]byte(ua)) {
			t.Errorf("not a bot: %q", ua)
		}
	}
	for _, ua := range humans {
		if IsBot([]byte(ua)) {
			t.Errorf("a bot: %q", ua)
		}
	}
}

// TestBotTokens keeps the table well formed: lower case, so the folded
// comparison can match; two bytes at least, for botPairs; no duplicates.
func TestBotTokens(t *testing.T) {
	seen := map[string]bool{}
	for _, b := range botTokens {
		if len(b.token) < 2 || b.token != strings.ToLower(b.token) {
			t.Errorf("token %q must be lower case, two bytes or more", b.token)
		}
		for _, n := range b.notAfter {
			if n == "" || n != strings.ToLower(n) {
				t.Errorf("token %q: notAfter %q must be lower case, not empty", b.token, n)
			}
		}
		if seen[b.token] {
			t.Errorf("duplicate token %q", b.token)
		}
		seen[b.token] = true
	}
}
