package tracker

// botToken is a lower-case substring of a user agent that marks a bot. A
// link pasted into a chat or a feed is fetched by the platform's preview bot
// before (or instead of) any person clicking it: counted as clicks those
// fetches would be attributed installs nobody made.
type botToken struct {
	token string
	// notAfter lists lower-case texts that cancel the match when one
	// immediately precedes the token (phone models named "… bot …").
	notAfter []string
}

// botTokens is the one list of bots and crawlers. Each entry says why it is
// there; the generic ones at the end catch crawlers not named above.
var botTokens = [...]botToken{
	// Link previews in social apps and messengers: the main source of fake
	// clicks on tracking links.
	{token: "facebookexternalhit"},   // Facebook, Messenger, Instagram previews; also sent by iMessage
	{token: "facebot"},               // Facebook's crawler
	{token: "facebookcatalog"},       // Facebook catalog crawler
	{token: "meta-externalagent"},    // Meta's crawler
	{token: "twitterbot"},            // X/Twitter cards
	{token: "slackbot"},              // Slack unfurling (Slackbot-LinkExpanding)
	{token: "slack-imgproxy"},        // Slack image proxy
	{token: "discordbot"},            // Discord embeds
	{token: "telegrambot"},           // Telegram previews
	{token: "whatsapp"},              // WhatsApp previews: the app opens links in the system browser, so only its fetcher says WhatsApp
	{token: "linkedinbot"},           // LinkedIn previews (the in-app browser says LinkedInApp, not a bot)
	{token: "skypeuripreview"},       // Skype and Microsoft Teams previews
	{token: "bingpreview"},           // Bing, Outlook and Teams previews
	{token: "pinterestbot"},          // Pinterest pins
	{token: "redditbot"},             // Reddit previews
	{token: "embedly"},               // Embedly, used by many sites for embeds
	{token: "iframely"},              // Iframely, used by Notion, Medium and others
	{token: "vkshare"},               // VK previews
	{token: "snap url preview"},      // Snapchat previews
	{token: "cardyb"},                // Bluesky previews
	{token: "applebot"},              // Siri, Spotlight and Safari suggestions
	{token: "googlebot"},             // Google search
	{token: "adsbot-google"},         // Google Ads landing-page checks: one per ad review
	{token: "mediapartners-google"},  // AdSense crawler
	{token: "google-inspectiontool"}, // Search Console URL inspection
	{token: "googleother"},           // Google's crawler for its other products (GoogleOther, -Image, -Video)
	{token: "chrome-lighthouse"},     // PageSpeed Insights and Lighthouse audits
	{token: "bingbot"},               // Bing search
	{token: "yandexbot"},             // Yandex search
	{token: "baiduspider"},           // Baidu search
	{token: "yahoo! slurp"},          // Yahoo search: its contact URL has no '+'
	{token: "yahoo link preview"},    // Yahoo Mail previews

	// Headless browsers and crawler frameworks: what preview services and
	// scrapers run. Plain HTTP libraries (curl, Go, Python, Java clients)
	// are not listed: they are neither previews nor crawlers (CONTRACT §3),
	// and ad networks, QA scripts and server-side integrations click with
	// them; judging them is fraud scoring, not bot filtering.
	{token: "scrapy"},
	{token: "headlesschrome"},
	{token: "phantomjs"},

	// Generic: most crawlers call themselves …bot, …crawler or …spider
	// (DuckDuckBot, AhrefsBot, GPTBot, Bytespider), and by convention put a
	// contact URL in the agent, "(compatible; Name/1.0; +http://…)", which
	// no browser does. Cubot is an Android phone brand whose model names
	// ("CUBOT X30") appear in web-view user agents, as do Logicom's
	// ("; M bot 60", "; M_bot_tab_1150", "; B BOT 550", "; IDbot553"),
	// the model following the "Android N; " of the agent.
	{token: "bot", notAfter: []string{"cu", "; m ", "; m_", "; b ", "; id"}},
	{token: "crawler"},
	{token: "spider"},
	{token: "+http"},
}

// botsByFirstByte indexes botTokens by their first byte, and botPairs is the
// set of their first two bytes: IsBot looks at each byte of the user agent
// once, and compares tokens only where two bytes could start one, which in a
// browser's agent is a handful of places.
var botsByFirstByte, botPairs = func() (idx [256][]uint8, pairs [1 << 16 / 64]uint64) {
	for i, t := range botTokens {
		idx[t.token[0]] = append(idx[t.token[0]], uint8(i))
		pair := uint16(t.token[0])<<8 | uint16(t.token[1])
		pairs[pair/64] |= 1 << (pair % 64)
	}
	return idx, pairs
}()

// IsBot reports whether ua belongs to a link-preview bot, a crawler or a
// script. The match is case-insensitive and allocates nothing; an empty user
// agent is not a bot (some privacy tools strip it).
func IsBot(ua []byte) bool {
	for i := 0; i+1 < len(ua); i++ {
		first := lowerTable[ua[i]]
		pair := uint16(first)<<8 | uint16(lowerTable[ua[i+1]])
		if botPairs[pair/64]&(1<<(pair%64)) == 0 {
			continue
		}
		for _, k := range botsByFirstByte[first] {
			t := &botTokens[k]
			if hasPrefixFold(ua[i:], t.token) && !precededBy(ua[:i], t.notAfter) {
				return true
			}
		}
	}
	return false
}

// precededBy reports whether b ends with one of lower, lower-case texts,
// ignoring the case of b.
func precededBy(b []byte, lower []string) bool {
	for _, l := range lower {
		if hasSuffixFold(b, l) {
			return true
		}
	}
	return false
}

// lowerTable maps each byte to its ASCII lower case.
var lowerTable = func() (t [256]byte) {
	for c := range t {
		t[c] = toLower(byte(c))
	}
	return t
}()

func toLower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasPrefixFold reports whether b starts with lower, a lower-case ASCII text,
// ignoring the case of b.
func hasPrefixFold(b []byte, lower string) bool {
	if len(b) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		if lowerTable[b[i]] != lower[i] {
			return false
		}
	}
	return true
}

// hasSuffixFold is hasPrefixFold for the end of b.
func hasSuffixFold(b []byte, lower string) bool {
	if len(b) < len(lower) {
		return false
	}
	return hasPrefixFold(b[len(b)-len(lower):], lower)
}

// indexFold returns the index of the first occurrence of lower, a lower-case
// ASCII text, in b ignoring case, or -1.
func indexFold(b []byte, lower string) int {
	if len(lower) == 0 {
		return 0
	}
	for i := 0; i+len(lower) <= len(b); i++ {
		if toLower(b[i]) == lower[0] && hasPrefixFold(b[i:], lower) {
			return i
		}
	}
	return -1
}
