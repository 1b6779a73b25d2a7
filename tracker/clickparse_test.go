package tracker

import (
	"bufio"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/store"
)

// parseQuery runs the click parser on a raw query string as the handler
// would: fasthttp decodes it, Parse reads it.
func parseQuery(t testing.TB, in *ClickInput, query, headerUA string) {
	t.Helper()
	var args fasthttp.Args
	args.Parse(query)
	in.Reset()
	in.Parse(&args, []byte(headerUA))
}

// clickFields lists what Parse set, by parameter name, for comparison.
func clickFields(in *ClickInput) map[string]string {
	m := map[string]string{}
	put := func(k string, v []byte) {
		if v != nil {
			m[k] = string(v)
		}
	}
	c := &in.Click
	put("c", in.Campaign)
	put("click_time", in.ClickTime)
	put("click_id", c.ClickID)
	put("aff_id", c.AffID)
	put("pub_id", c.PubID)
	put("offer_id", c.OfferID)
	put("creative_id", c.CreativeID)
	for i, s := range c.Sub {
		put("sub"+string(rune('1'+i)), s)
	}
	put("gaid", c.GAID)
	put("idfa", c.IDFA)
	put("oaid", c.OAID)
	put("ip", c.IP)
	put("user_agent", c.UserAgent)
	put("deep_link", c.DeepLink)
	if c.Platform != store.PlatformUnknown {
		m["platform"] = c.Platform.String()
	}
	put("os", c.OSVersion)
	if c.Flags != 0 {
		m["flags"] = flagNames(c.Flags)
	}
	return m
}

func flagNames(f store.ClickFlags) string {
	names := []string{"bot", "invalid_id", "oversize", "bad_utf8", "macro", "generated_id", "s2s"}
	var out []string
	for i, n := range names {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return strings.Join(out, "|")
}

// kv builds a want map from "key", "value" pairs.
func kv(pairs ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return m
}

const (
	androidUA = "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"
	iosUA     = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1"
	desktopUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
	gaid      = "38400000-8cf0-11bd-b23e-10b96e40000d"
	idfa      = "6D92078A-8246-4BA4-AE5B-76104861E7DC"
	zeroID    = "00000000-0000-0000-0000-000000000000"
)

// realisticQuery is a click with 15 parameters, aliases and escapes among
// them, as a partner's tracking link sends it.
const realisticQuery = "c=OgWmhiSXhG&click_id=a1b2c3d4e5f6a7b8&aff_id=4471&pub_id=site_209&offer_id=88" +
	"&creative_id=cr_300x250&sub1=newsletter&s2=top%20banner&af_sub3=slot_b&sub4=x&sub5=%E2%82%AC5" +
	"&advertising_id=38400000-8cf0-11bd-b23e-10b96e40000d&oaid=e1f2a3b4c5d6&af_ip=203.0.113.10" +
	"&ua=Mozilla%2F5.0%20(Linux%3B%20Android%2014%3B%20SM-S918B)%20AppleWebKit%2F537.36%20(KHTML%2C%20like%20Gecko)%20Chrome%2F120.0.0.0%20Mobile%20Safari%2F537.36"

func TestParseParameters(t *testing.T) {
	f := func(name, query, headerUA string, want map[string]string) {
		t.Helper()
		var in ClickInput
		parseQuery(t, &in, query, headerUA)
		if got := clickFields(&in); !maps.Equal(got, want) {
			t.Errorf("%s: %q\n got %v\nwant %v", name, query, got, want)
		}
	}

	f("every named parameter",
		"c=camp&click_id=id1&aff_id=a&pub_id=p&offer_id=o&creative_id=cr&sub1=1&sub2=2&sub3=3&sub4=4&sub5=5&gaid="+gaid+"&idfa="+idfa+"&oaid=oa&ip=198.51.100.7&user_agent=UA&click_time=1751021400",
		"", kv("c", "camp", "click_id", "id1", "aff_id", "a", "pub_id", "p", "offer_id", "o", "creative_id", "cr",
			"sub1", "1", "sub2", "2", "sub3", "3", "sub4", "4", "sub5", "5", "gaid", gaid, "idfa", idfa, "oaid", "oa",
			"ip", "198.51.100.7", "user_agent", "UA", "click_time", "1751021400"))
	f("unknown parameters ignored", "pid=x&af_siteid=y&C=z&Click_ID=w&sub6=v&aff_sub=u", "", kv())
	f("no args", "", "", kv())

	// Each alias alone.
	f("tid", "tid=t", "", kv("click_id", "t"))
	f("clickid", "clickid=t", "", kv("click_id", "t"))
	f("s2", "s2=x", "", kv("sub2", "x"))
	f("s3", "s3=x", "", kv("sub3", "x"))
	f("s4", "s4=x", "", kv("sub4", "x"))
	f("af_sub1..5", "af_sub1=1&af_sub2=2&af_sub3=3&af_sub4=4&af_sub5=5", "", kv("sub1", "1", "sub2", "2", "sub3", "3", "sub4", "4", "sub5", "5"))
	f("af_ip", "af_ip=198.51.100.7", "", kv("ip", "198.51.100.7"))
	f("af_ua", "af_ua=UA", "", kv("user_agent", "UA"))
	f("ua", "ua=UA", "", kv("user_agent", "UA"))

	// A named parameter wins over its alias, before or after it.
	f("click_id after tid", "tid=alias&click_id=named", "", kv("click_id", "named"))
	f("click_id before clickid", "click_id=named&clickid=alias", "", kv("click_id", "named"))
	f("sub1 after af_sub1", "af_sub1=alias&sub1=named", "", kv("sub1", "named"))
	f("sub2 after s2 and af_sub2", "s2=alias&af_sub2=alias2&sub2=named", "", kv("sub2", "named"))
	f("sub5 before af_sub5", "sub5=named&af_sub5=alias", "", kv("sub5", "named"))
	f("ip after af_ip", "af_ip=203.0.113.1&ip=198.51.100.7", "", kv("ip", "198.51.100.7"))
	f("user_agent after ua", "ua=alias&af_ua=alias2&user_agent=named", "", kv("user_agent", "named"))
	f("gaid after advertising_id", "advertising_id=alias&gaid=named", androidUA,
		kv("gaid", "named", "user_agent", androidUA, "platform", "android", "os", "14"))
	f("idfa after advertising_id", "advertising_id="+idfa+"&idfa=named", iosUA,
		kv("idfa", "named", "user_agent", iosUA, "platform", "ios", "os", "17.2"))

	// Between aliases, and for a repeated parameter, the first wins.
	f("tid before clickid", "tid=first&clickid=second", "", kv("click_id", "first"))
	f("clickid before tid", "clickid=first&tid=second", "", kv("click_id", "first"))
	f("s3 before af_sub3", "s3=first&af_sub3=second", "", kv("sub3", "first"))
	f("repeated click_id", "click_id=first&click_id=second", "", kv("click_id", "first"))
	f("repeated c", "c=first&c=second", "", kv("c", "first"))
	f("repeated alias", "tid=first&tid=second", "", kv("click_id", "first"))

	// Empty and all-zero values are absent, so a later one fills in.
	f("empty click_id", "click_id=&tid=t", "", kv("click_id", "t"))
	f("empty then repeated", "click_id=&click_id=second", "", kv("click_id", "second"))
	f("empty everything", "click_id=&sub1=&ip=&user_agent=&c=", "", kv())
	f("no-value key", "click_id&sub1", "", kv())
	f("zero gaid", "gaid="+zeroID, "", kv())
	f("zero idfa, oaid", "idfa="+zeroID+"&oaid=0000000000000000", "", kv())
	f("zero gaid then advertising_id", "gaid="+zeroID+"&advertising_id="+gaid, androidUA,
		kv("gaid", gaid, "user_agent", androidUA, "platform", "android", "os", "14"))
	f("zero advertising_id", "advertising_id="+zeroID, androidUA, kv("user_agent", androidUA, "platform", "android", "os", "14"))

	// advertising_id by platform.
	f("advertising_id android", "advertising_id="+gaid, androidUA, kv("gaid", gaid, "user_agent", androidUA, "platform", "android", "os", "14"))
	f("advertising_id ios", "advertising_id="+gaid, iosUA, kv("idfa", gaid, "user_agent", iosUA, "platform", "ios", "os", "17.2"))
	f("advertising_id unknown, upper-case uuid", "advertising_id="+idfa, desktopUA, kv("idfa", idfa, "user_agent", desktopUA))
	f("advertising_id unknown, lower-case uuid", "advertising_id="+gaid, "", kv("gaid", gaid))
	f("advertising_id unknown, other", "advertising_id=xyz", "", kv("gaid", "xyz"))
	f("advertising_id never overrides the other named id", "gaid=g&advertising_id="+idfa, "", kv("gaid", "g", "idfa", idfa))
	f("advertising_id yields to its target only", "idfa=i&advertising_id="+gaid, androidUA,
		kv("idfa", "i", "gaid", gaid, "user_agent", androidUA, "platform", "android", "os", "14"))

	// The user agent: parameter, else header.
	f("header UA", "", iosUA, kv("user_agent", iosUA, "platform", "ios", "os", "17.2"))
	f("parameter beats header", "user_agent="+strings.ReplaceAll(androidUA, " ", "%20"), iosUA,
		kv("user_agent", androidUA, "platform", "android", "os", "14"))
	f("empty parameter falls back to header", "ua=", iosUA, kv("user_agent", iosUA, "platform", "ios", "os", "17.2"))
	f("bot header", "click_id=x", "facebookexternalhit/1.1", kv("click_id", "x", "user_agent", "facebookexternalhit/1.1", "flags", "bot"))
	f("bot parameter", "af_ua=Twitterbot/1.0", desktopUA, kv("user_agent", "Twitterbot/1.0", "flags", "bot"))
	// A person's agent in the link, fetched by a preview bot: still a bot.
	f("bot header under a parameter", "ua=Mozilla/5.0%20(iPhone)", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
		kv("user_agent", "Mozilla/5.0 (iPhone)", "platform", "ios", "flags", "bot"))
	f("S2S: no header", "ua=Mozilla/5.0%20(iPhone)", "", kv("user_agent", "Mozilla/5.0 (iPhone)", "platform", "ios"))

	// Values are stored as decoded once, never twice.
	f("decoded once", "click_id=a%2520b&sub1=x+y&sub2=%E2%82%AC", "", kv("click_id", "a%20b", "sub1", "x y", "sub2", "€"))

	// Flags: a flagged click_id is also an invalid id; other fields are not.
	f("macro click_id", "click_id={click_id}", "", kv("click_id", "{click_id}", "flags", "invalid_id|macro"))
	f("encoded macro click_id", "click_id=%257Bclick_id%257D", "", kv("click_id", "%7Bclick_id%7D", "flags", "invalid_id|macro"))
	f("bad UTF-8 click_id", "click_id=a%FFb", "", kv("click_id", "a\uFFFDb", "flags", "invalid_id|bad_utf8"))
	f("oversize click_id", "click_id="+strings.Repeat("x", 600), "", kv("click_id", strings.Repeat("x", 512), "flags", "invalid_id|oversize"))
	f("macro sub only", "click_id=ok&sub1=[clickid]", "", kv("click_id", "ok", "sub1", "[clickid]", "flags", "macro"))
	f("bad UTF-8 in header UA", "", "Mozilla/5.0 (\xff)", kv("user_agent", "Mozilla/5.0 (\uFFFD)", "flags", "bad_utf8"))

	// Impression parameters (GET /v1/impression) set no click value.
	f("impression parameters", "impression_id=i1&impression_time=1751021400&vt_lookback=24h&tid=t", "", kv("click_id", "t"))

	// The deep link (an extension) and its aliases: AppsFlyer's
	// deep_link_value and af_dp.
	f("deep_link", "deep_link=exampleapp%3A%2F%2Fproduct%2F42", "", kv("deep_link", "exampleapp://product/42"))
	f("deep_link_value", "deep_link_value=product-42", "", kv("deep_link", "product-42"))
	f("af_dp", "af_dp=exampleapp%3A%2F%2F", "", kv("deep_link", "exampleapp://"))
	f("deep_link after its aliases", "af_dp=a&deep_link_value=b&deep_link=named", "", kv("deep_link", "named"))
	f("deep_link_value before af_dp", "deep_link_value=first&af_dp=second", "", kv("deep_link", "first"))
	f("macro deep_link", "click_id=ok&deep_link={deep_link}", "", kv("click_id", "ok", "deep_link", "{deep_link}", "flags", "macro"))
	f("oversize deep_link", "deep_link="+strings.Repeat("d", 600), "", kv("deep_link", strings.Repeat("d", 512), "flags", "oversize"))
}

func TestParseKeepsHandlerFields(t *testing.T) {
	var in ClickInput
	in.Reset()
	in.Campaign = []byte("from-path")
	in.Click.Flags = store.FlagServerToServer
	in.Click.Time = 42
	var args fasthttp.Args
	args.Parse("click_id=x")
	in.Parse(&args, nil)
	if string(in.Campaign) != "from-path" || in.Click.Flags != store.FlagServerToServer || in.Click.Time != 42 {
		t.Fatalf("Parse changed what the handler set: %q %b %d", in.Campaign, in.Click.Flags, in.Click.Time)
	}
	in.Parse(nil, nil) // no args: nothing to do, no panic
}

// corpusLink is one line of testdata/tracking_links.jsonl, copied from
// shared/corpus.
type corpusLink struct {
	ID  string `json:"id"`
	URL string `json:"template_or_url"`
}

// corpusWant is what each corpus link parses to. Every line of the file
// must have an entry.
var corpusWant = map[string]map[string]string{
	"tl001": kv("c", "OgWmhiSXhG", "click_id", "a1b2c3d4e5", "aff_id", "4471", "pub_id", "site_209", "offer_id", "88",
		"sub1", "newsletter", "gaid", gaid, "ip", "203.0.113.10"),
	"tl003": kv("c", "OgWmhiSXhG", "click_id", "{click_id}", "sub2", "{campaign_id}", "sub3", "{publisher_id}",
		"gaid", "{gaid}", "flags", "invalid_id|macro"),
	"tl005": kv("c", "OgWmhiSXhG", "click_id", "{transaction_id}", "sub2", "{offer_id}", "sub3", "{affiliate_id}",
		"gaid", "{google_aid}", "idfa", "{idfa}", "flags", "invalid_id|macro"),
	"tl007": kv("c", "OgWmhiSXhG", "click_id", "a1b2c3d4e6", "ip", "49.36.10.20",
		"user_agent", "Mozilla/5.0 (Linux; Android 14)", "platform", "android", "os", "14"),
	"tl009": kv("c", "OgWmhiSXhG", "click_id", "{impression_id}", "sub2", "{campaign_id}", "gaid", "{gaid}",
		"flags", "invalid_id|macro"),
	"tl011": kv("c", "GreatCampaign"),
	"tl013": kv(),
	// Placeholders with spaces and '/', as AppsFlyer's docs print them.
	"tl015": kv("c", "{campaign name}", "sub1", "{free value}", "idfa", "{idfa value}", "flags", "macro"),
	// clickid, af_ua, af_ip, advertising_id: aliases, all unexpanded.
	"tl017": kv("c", "appsflyer_offer_name", "click_id", "{click_id}", "user_agent", "{declared_user_agent}",
		"ip", "{declared_user_ip}", "gaid", "{gaid}", "flags", "invalid_id|macro"),
	"tl019": kv(),
	"tl021": kv("idfa", "[your_idfa_macro]", "flags", "macro"),
	"tl023": kv("click_id", "{LOGID}", "flags", "invalid_id|macro"),
	"tl025": kv(),
	"tl027": kv(),
	"tl029": kv("offer_id", "123"),
	"tl031": kv(),
	"tl033": kv(),
	// fasthttp, unlike net/url, keeps the pair with a bad escape as is.
	"tl035": kv("c", "OgWmhiSXhG", "click_id", "a1b2 c3", "sub3", "a b=c%d", "ip", "2001:db8::1",
		"user_agent", "Mozilla/5.0 (iPhone)", "platform", "ios"),
	// First click_id wins; empty sub1 and all-zero gaid are absent.
	"tl037": kv("c", "OgWmhiSXhG", "click_id", "first"),
}

func readCorpus(t testing.TB) []corpusLink {
	t.Helper()
	f, err := os.Open("testdata/tracking_links.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var links []corpusLink
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l corpusLink
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", sc.Text(), err)
		}
		links = append(links, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return links
}

// queryOf returns the query of a URL as it appears on the request line.
func queryOf(u string) string {
	_, q, _ := strings.Cut(u, "?")
	q, _, _ = strings.Cut(q, "#")
	return q
}

func TestParseCorpus(t *testing.T) {
	links := readCorpus(t)
	if len(links) != len(corpusWant) {
		t.Errorf("corpus has %d links, corpusWant %d", len(links), len(corpusWant))
	}
	for _, l := range links {
		want, ok := corpusWant[l.ID]
		if !ok {
			t.Errorf("%s: no expectation", l.ID)
			continue
		}
		var in ClickInput
		parseQuery(t, &in, queryOf(l.URL), "")
		if got := clickFields(&in); !maps.Equal(got, want) {
			t.Errorf("%s: %s\n got %v\nwant %v", l.ID, l.URL, got, want)
		}
	}
}

// TestParseArena fills every field with a maximal value, mostly bad bytes
// that triple in size, and checks that no value overwrote another, that
// each is capped at its end, and that the arena was sized once.
func TestParseArena(t *testing.T) {
	names := []string{"click_id", "aff_id", "pub_id", "offer_id", "creative_id", "sub1", "sub2", "sub3", "sub4", "sub5",
		"gaid", "idfa", "oaid", "ip", "user_agent"}
	var q strings.Builder
	want := map[string]string{}
	for i, name := range names {
		// 200 bad bytes → 600 bytes of U+FFFD, cut to 510; a distinct
		// ASCII head tells the fields apart.
		head := strings.Repeat(string(rune('a'+i)), 10)
		q.WriteString(name + "=" + head + strings.Repeat("%FF", 200) + "&")
		want[name] = head + strings.Repeat("\uFFFD", (512-10)/3)
	}
	want["flags"] = "invalid_id|oversize|bad_utf8"

	var in ClickInput
	var args fasthttp.Args
	args.Parse(q.String())
	for round := range 3 { // a reused input must give the same result
		in.Reset()
		before := cap(in.scratch)
		in.Parse(&args, []byte(androidUA))
		if round > 0 && cap(in.scratch) != before {
			t.Errorf("round %d: arena grew from %d to %d", round, before, cap(in.scratch))
		}
		got := clickFields(&in)
		for _, name := range names {
			if got[name] != want[name] {
				t.Fatalf("round %d: %s = %q, want %q", round, name, got[name], want[name])
			}
		}
		if got["flags"] != want["flags"] {
			t.Errorf("flags %s, want %s", got["flags"], want["flags"])
		}
		// Appending to one value must not write over the next.
		c := &in.Click
		for _, v := range [][]byte{c.ClickID, c.AffID, c.Sub[0], c.Sub[4], c.GAID, c.IP, c.UserAgent, c.OSVersion} {
			if cap(v) != len(v) {
				t.Fatalf("value %q has spare capacity %d", v, cap(v)-len(v))
			}
		}
		_ = append(c.ClickID, "XXXX"...)
		if string(c.AffID) != want["aff_id"] {
			t.Fatalf("appending to ClickID changed AffID")
		}
	}
	// Room is left for what the handler adds.
	in.SetClientIP(mustAddr("198.51.100.7"), nil, nil)
	in.GenerateClickID(NewClickIDGen("r"), testNow)
	if string(in.Click.IP) != want["ip"] || string(in.Click.ClickID) != want["click_id"] {
		t.Fatalf("SetClientIP/GenerateClickID replaced values Parse set")
	}
}

func TestSetClientIPAndGenerateClickID(t *testing.T) {
	var in ClickInput
	parseQuery(t, &in, "c=demo&sub1=x", "")
	in.SetClientIP(mustAddr("198.51.100.7"), nil, nil)
	g := NewClickIDGen("local")
	in.GenerateClickID(g, testNow)
	if string(in.Click.IP) != "198.51.100.7" {
		t.Errorf("IP %q", in.Click.IP)
	}
	if !strings.HasPrefix(string(in.Click.ClickID), "local-") || len(in.Click.ClickID) != g.Len() {
		t.Errorf("ClickID %q", in.Click.ClickID)
	}
	if in.Click.Flags != store.FlagGeneratedID {
		t.Errorf("flags %s", flagNames(in.Click.Flags))
	}
	if string(in.Click.Sub[0]) != "x" {
		t.Errorf("sub1 %q", in.Click.Sub[0])
	}
	for _, v := range [][]byte{in.Click.IP, in.Click.ClickID} {
		if cap(v) != len(v) {
			t.Errorf("%q not capped", v)
		}
	}

	// Sent by the click: left alone.
	parseQuery(t, &in, "click_id=sent&ip=203.0.113.1", "")
	in.SetClientIP(mustAddr("198.51.100.7"), nil, nil)
	in.GenerateClickID(g, testNow)
	if string(in.Click.IP) != "203.0.113.1" || string(in.Click.ClickID) != "sent" || in.Click.Flags != 0 {
		t.Errorf("overrode sent values: %q %q %s", in.Click.IP, in.Click.ClickID, flagNames(in.Click.Flags))
	}
}

// FuzzClickParse feeds raw query strings through fasthttp and Parse: no
// panic, and every stored value is valid UTF-8, at most MaxValueLen bytes
// and capped at its end.
func FuzzClickParse(f *testing.F) {
	for _, l := range readCorpus(f) {
		f.Add(queryOf(l.URL), "")
	}
	f.Add("click_id=%FF%FE&ua=%E2%82&sub1=%7Bx%7D", androidUA)
	f.Add("advertising_id="+idfa+"&gaid="+zeroID, iosUA)
	f.Fuzz(func(t *testing.T, query, headerUA string) {
		var in ClickInput
		parseQuery(t, &in, query, headerUA)
		c := &in.Click
		values := [][]byte{c.ClickID, c.AffID, c.PubID, c.OfferID, c.CreativeID, c.GAID, c.IDFA, c.OAID, c.IP, c.UserAgent}
		values = append(values, c.Sub[:]...)
		for _, v := range values {
			if len(v) > store.MaxValueLen || !utf8.Valid(v) || cap(v) != len(v) {
				t.Fatalf("bad stored value %q (cap %d)", v, cap(v))
			}
		}
		if c.Flags&store.FlagInvalidID != 0 && c.ClickID == nil {
			t.Fatalf("invalid id flagged without a click_id")
		}
		if c.Platform != store.PlatformUnknown && c.UserAgent == nil {
			t.Fatalf("platform without a user agent")
		}
		if slices.ContainsFunc(values, func(v []byte) bool { return v != nil && len(v) == 0 }) {
			t.Fatalf("an empty value was stored")
		}
	})
}
