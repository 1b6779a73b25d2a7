package store

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// lookupClick is one click of a lookup case: id, time relative to the
// case's "now", and an optional edit.
type lookupClick struct {
	id   string
	at   time.Duration
	edit func(c *Click)
}

const (
	gaidLower = "38400000-8cf0-11bd-b23e-10b96e40000d"
	gaidUpper = "38400000-8CF0-11BD-B23E-10B96E40000D"
	gaidMixed = "38400000-8cF0-11BD-b23e-10B96E40000d"
)

func setGAID(v string) func(*Click) { return func(c *Click) { c.GAID = []byte(v) } }

// Clicks are spread over hours with a 4h retention, so over several 1h
// buckets; "now" is mid-bucket.
var lookupNow = t0.Add(10*time.Hour + 17*time.Minute + 3*time.Second)

func putLookupClicks(t *testing.T, clicks []lookupClick) *Store {
	t.Helper()
	clk := newClock(lookupNow)
	s := openClock(t, Async, 4*time.Hour, clk)
	for _, lc := range clicks {
		c := testClick(lc.id, lookupNow.Add(lc.at))
		if lc.edit != nil {
			lc.edit(c)
		}
		mustPut(t, s, c)
	}
	return s
}

func TestLatestByDevice(t *testing.T) {
	sec := time.Second
	refuse := func(ids ...string) Match {
		return func(c *Click) bool {
			for _, id := range ids {
				if string(c.ClickID) == id {
					return false
				}
			}
			return true
		}
	}
	for _, tc := range []struct {
		name     string
		clicks   []lookupClick
		app      string // default the test click's
		kind     DeviceKind
		id       string // default gaidLower
		at       time.Duration
		lookback time.Duration // default 3h
		match    Match
		want     string
	}{
		{name: "none", want: ""},
		{name: "one", clicks: []lookupClick{{"a", -time.Minute, nil}}, want: "a"},
		{name: "newest of several in one bucket",
			clicks: []lookupClick{{"a", -10 * time.Minute, nil}, {"b", -time.Minute, nil}, {"c", -5 * time.Minute, nil}}, want: "b"},
		{name: "newest across buckets",
			clicks: []lookupClick{{"a", -170 * time.Minute, nil}, {"b", -75 * time.Minute, nil}, {"c", -130 * time.Minute, nil}}, want: "b"},
		{name: "newest in the same second by milliseconds",
			clicks: []lookupClick{{"z", -time.Minute, nil}, {"a", -time.Minute + 500*time.Millisecond, nil}, {"m", -time.Minute + 200*time.Millisecond, nil}}, want: "a"},
		{name: "click exactly at oldest", lookback: time.Hour,
			clicks: []lookupClick{{"edge", -time.Hour, nil}}, want: "edge"},
		{name: "click at oldest's last millisecond", lookback: time.Hour,
			clicks: []lookupClick{{"edge", -time.Hour + 999*time.Millisecond, nil}}, want: "edge"},
		{name: "click one second before oldest", lookback: time.Hour,
			clicks: []lookupClick{{"old", -time.Hour - sec, nil}}, want: ""},
		{name: "click one millisecond before oldest", lookback: time.Hour,
			clicks: []lookupClick{{"old", -time.Hour - time.Millisecond, nil}}, want: ""},
		{name: "click in the same second as the install",
			clicks: []lookupClick{{"same", 999 * time.Millisecond, nil}}, want: "same"},
		{name: "click one second after the install",
			clicks: []lookupClick{{"before", -sec, nil}, {"after", sec, nil}}, want: "before"},
		{name: "clicks after the install in a later bucket",
			clicks: []lookupClick{{"before", -2 * time.Hour, nil}, {"after", 2 * time.Hour, nil}}, want: "before"},
		{name: "match refuses the newest",
			clicks: []lookupClick{{"a", -3 * time.Minute, nil}, {"b", -2 * time.Minute, nil}, {"c", -time.Minute, nil}},
			match:  refuse("c"), want: "b"},
		{name: "match refuses the newest two across buckets",
			clicks: []lookupClick{{"a", -150 * time.Minute, nil}, {"b", -80 * time.Minute, nil}, {"c", -time.Minute, nil}, {"d", -2 * time.Minute, nil}},
			match:  refuse("c", "d"), want: "b"},
		{name: "match refuses all",
			clicks: []lookupClick{{"a", -3 * time.Minute, nil}, {"b", -2 * time.Minute, nil}},
			match:  refuse("a", "b"), want: ""},
		{name: "other app", app: "com.other.app", clicks: []lookupClick{{"a", -time.Minute, nil}}, want: ""},
		{name: "other device", id: "11111111-2222-3333-4444-555555555555", clicks: []lookupClick{{"a", -time.Minute, nil}}, want: ""},
		{name: "idfa with the gaid's bytes", kind: DeviceIDFA, clicks: []lookupClick{{"a", -time.Minute, nil}}, want: ""},
		{name: "oaid", kind: DeviceOAID, id: "fcbe7ff7d5f9a1b2",
			clicks: []lookupClick{{"a", -time.Minute, func(c *Click) { c.OAID = []byte("fcbe7ff7d5f9a1b2") }}}, want: "a"},
		{name: "idfa", kind: DeviceIDFA, id: "6d92078a-8246-4ba4-ae5b-76104861e7dc",
			clicks: []lookupClick{
				{"g", -time.Minute, nil},
				{"i", -2 * time.Minute, func(c *Click) { c.IDFA = []byte("6D92078A-8246-4BA4-AE5B-76104861E7DC"); c.Platform = PlatformIOS }},
			}, want: "i"},
		{name: "gaid stored upper, asked lower", clicks: []lookupClick{{"a", -time.Minute, setGAID(gaidUpper)}}, want: "a"},
		{name: "gaid stored lower, asked upper", id: gaidUpper, clicks: []lookupClick{{"a", -time.Minute, nil}}, want: "a"},
		{name: "gaid stored mixed, asked lower", clicks: []lookupClick{{"a", -time.Minute, setGAID(gaidMixed)}}, want: "a"},
		{name: "non-uuid id", id: "my-device-7",
			clicks: []lookupClick{{"a", -time.Minute, setGAID("my-device-7")}, {"b", -30 * time.Second, setGAID("my-device-8")}}, want: "a"},
		{name: "non-uuid id is exact", id: "MY-DEVICE-7",
			clicks: []lookupClick{{"a", -time.Minute, setGAID("my-device-7")}}, want: ""},
		{name: "uuid without dashes is not the uuid", id: strings.ReplaceAll(gaidLower, "-", ""),
			clicks: []lookupClick{{"a", -time.Minute, nil}}, want: ""},
		{name: "bot newer than a good click",
			clicks: []lookupClick{{"good", -time.Hour, nil}, {"bot", -time.Minute, func(c *Click) { c.Flags = FlagBot }}}, want: "good"},
		{name: "long lookback across all buckets", lookback: 5 * time.Hour,
			clicks: []lookupClick{{"a", -4*time.Hour - 10*time.Minute, nil}}, want: "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := putLookupClicks(t, tc.clicks)
			app := tc.app
			if app == "" {
				app = "com.example.app"
			}
			kind := tc.kind
			if kind == 0 {
				kind = DeviceGAID
			}
			id := tc.id
			if id == "" {
				id = gaidLower
			}
			lookback := tc.lookback
			if lookback == 0 {
				lookback = 3 * time.Hour
			}
			match := tc.match
			if match == nil {
				match = acceptAll
			}
			at := lookupNow.Add(tc.at).Unix()
			var c Click
			_, ok, err := s.LatestByDevice([]byte(app), kind, []byte(id), at, at-int64(lookback/time.Second), match, &c, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if ok {
				got = string(c.ClickID)
				// The click came back whole.
				var want Click
				if _, _, err := s.GetClick(c.ClickID, &want, nil); err != nil {
					t.Fatal(err)
				}
				if d := clickDiff(&want, &c, false); d != "" {
					t.Fatalf("returned click differs from the stored one: %s", d)
				}
			}
			if got != tc.want {
				t.Fatalf("LatestByDevice = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLatestByFingerprint(t *testing.T) {
	setIP := func(ip string) func(*Click) { return func(c *Click) { c.IP = []byte(ip) } }
	for _, tc := range []struct {
		name     string
		clicks   []lookupClick
		app      string
		ip       string // default 203.0.113.10
		platform Platform
		os       string // default "14"
		at       time.Duration
		lookback time.Duration // default 1h
		want     string
	}{
		{name: "none", want: ""},
		{name: "newest", clicks: []lookupClick{{"a", -20 * time.Minute, nil}, {"b", -10 * time.Minute, nil}}, want: "b"},
		{name: "newest across buckets", lookback: 3 * time.Hour,
			clicks: []lookupClick{{"a", -150 * time.Minute, nil}, {"b", -70 * time.Minute, nil}}, want: "b"},
		{name: "exactly at oldest", clicks: []lookupClick{{"a", -time.Hour, nil}}, want: "a"},
		{name: "one second before oldest", clicks: []lookupClick{{"a", -time.Hour - time.Second, nil}}, want: ""},
		{name: "same second as at", clicks: []lookupClick{{"a", 999 * time.Millisecond, nil}}, want: "a"},
		{name: "one second after at", clicks: []lookupClick{{"a", time.Second, nil}}, want: ""},
		{name: "other ip", ip: "203.0.113.11", clicks: []lookupClick{{"a", -time.Minute, nil}}, want: ""},
		{name: "other os major", os: "13", clicks: []lookupClick{{"a", -time.Minute, nil}}, want: ""},
		{name: "other os minor", os: "14.1", clicks: []lookupClick{{"a", -time.Minute, nil}}, want: ""},
		{name: "os patch ignored", os: "14.0.3", clicks: []lookupClick{{"a", -time.Minute, nil}}, want: "a"},
		{name: "other platform", platform: PlatformIOS, clicks: []lookupClick{{"a", -time.Minute, nil}}, want: ""},
		{name: "other app", app: "com.other.app", clicks: []lookupClick{{"a", -time.Minute, nil}}, want: ""},
		{name: "ipv6", ip: "2001:db8::7", clicks: []lookupClick{{"a", -time.Minute, setIP("2001:db8::7")}}, want: "a"},
		{name: "ipv6 non-canonical text", ip: "2001:db8::7", clicks: []lookupClick{{"a", -time.Minute, setIP("2001:DB8:0::7")}}, want: "a"},
		{name: "ipv4-mapped click, ipv4 install", clicks: []lookupClick{{"a", -time.Minute, setIP("::FFFF:203.0.113.10")}}, want: "a"},
		{name: "zoned click ip not indexed", ip: "fe80::1", clicks: []lookupClick{{"a", -time.Minute, setIP("fe80::1%eth0")}}, want: ""},
		{name: "click without platform not indexed", platform: PlatformUnknown,
			clicks: []lookupClick{{"a", -time.Minute, func(c *Click) { c.Platform = PlatformUnknown }}}, want: ""},
		{name: "bot", clicks: []lookupClick{{"a", -time.Minute, func(c *Click) { c.Flags = FlagBot }}}, want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := putLookupClicks(t, tc.clicks)
			app := tc.app
			if app == "" {
				app = "com.example.app"
			}
			ip := tc.ip
			if ip == "" {
				ip = "203.0.113.10"
			}
			p := tc.platform
			if p == 0 && tc.name != "click without platform not indexed" {
				p = PlatformAndroid
			}
			os := tc.os
			if os == "" {
				os = "14"
			}
			lookback := tc.lookback
			if lookback == 0 {
				lookback = time.Hour
			}
			at := lookupNow.Add(tc.at).Unix()
			var c Click
			_, ok, err := s.LatestByFingerprint([]byte(app), netip.MustParseAddr(ip), p, []byte(os), at, at-int64(lookback/time.Second), acceptAll, &c, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if ok {
				got = string(c.ClickID)
			}
			if got != tc.want {
				t.Fatalf("LatestByFingerprint = %q, want %q", got, tc.want)
			}
		})
	}
}

// collidingApps returns two app ids with the same four-byte app hash, which
// index keys use. The pair was found by a birthday search over
// "com.app%d"; the search runs again should the hash ever change.
func collidingApps(t *testing.T) (string, string) {
	if a, b := "com.app181191", "com.app755080"; appHash([]byte(a)) == appHash([]byte(b)) {
		return a, b
	}
	seen := make(map[uint32]string, 1<<20)
	for i := 0; i < 1<<22; i++ {
		a := fmt.Sprintf("com.app%d", i)
		h := appHash([]byte(a))
		if b, ok := seen[h]; ok {
			return b, a
		}
		seen[h] = a
	}
	t.Skip("no app hash collision found")
	return "", ""
}

// TestLookupAppHashCollision: two apps whose ids hash alike share index
// prefixes; a click for one must never be attributed to the other.
func TestLookupAppHashCollision(t *testing.T) {
	a, b := collidingApps(t)
	t.Logf("apps %q and %q share hash %08x", a, b, appHash([]byte(a)))
	s := putLookupClicks(t, []lookupClick{{"for-a", -time.Minute, func(c *Click) { c.App = []byte(a) }}})
	at := lookupNow.Unix()
	var c Click
	if _, ok, err := s.LatestByDevice([]byte(b), DeviceGAID, []byte(gaidLower), at, at-3600, acceptAll, &c, nil); ok || err != nil {
		t.Fatalf("LatestByDevice for app %q returned app %q's click %q (%v)", b, c.App, c.ClickID, err)
	}
	if _, ok, err := s.LatestByFingerprint([]byte(b), mustAddr("203.0.113.10"), PlatformAndroid, []byte("14"), at, at-3600, acceptAll, &c, nil); ok || err != nil {
		t.Fatalf("LatestByFingerprint for app %q returned app %q's click %q (%v)", b, c.App, c.ClickID, err)
	}
	if _, ok, err := s.LatestByDevice([]byte(a), DeviceGAID, []byte(gaidLower), at, at-3600, acceptAll, &c, nil); !ok || err != nil {
		t.Fatalf("LatestByDevice for the click's own app = %v, %v", ok, err)
	}
}

// TestLookupDeviceHashCollision forces what a collision of the 16-byte hash
// of two non-UUID device ids would do: an index entry under one id's prefix
// that points at a click of another device. The lookup must check the
// click's own id and refuse it.
func TestLookupDeviceHashCollision(t *testing.T) {
	s := putLookupClicks(t, []lookupClick{{"other-device", -time.Minute, setGAID("device-B")}})
	b, _ := s.bucketFor(lookupNow.Add(-time.Minute).Unix())
	key := appendDevicePrefix(nil, b.start, appHash([]byte("com.example.app")), deviceGAID, []byte("device-A"))
	key = appendInvSecond(key, lookupNow.Add(-time.Minute).Unix())
	key = append(key, "other-device"...)
	if err := s.db.Set(key, nil, nil); err != nil {
		t.Fatal(err)
	}
	at := lookupNow.Unix()
	var c Click
	if _, ok, err := s.LatestByDevice([]byte("com.example.app"), DeviceGAID, []byte("device-A"), at, at-3600, acceptAll, &c, nil); ok || err != nil {
		t.Fatalf("LatestByDevice(device-A) returned %q whose gaid is %q (%v)", c.ClickID, c.GAID, err)
	}
}

// TestLatestReturnsWholeClick: the click LatestByDevice returns is intact
// even when the caller's match looked at (and refused) others after it in
// the scan, and the caller's buffer is reused.
func TestLatestReturnsWholeClick(t *testing.T) {
	s := putLookupClicks(t, []lookupClick{
		{"old-in-older-bucket", -90 * time.Minute, func(c *Click) { c.Sub[0] = []byte("old") }},
		{"wanted", -80 * time.Minute, func(c *Click) { c.Sub[0] = []byte("wanted"); c.IP = []byte("2001:db8::1") }},
		{"refused", -time.Minute, func(c *Click) { c.Sub[0] = []byte("refused") }},
	})
	at := lookupNow.Unix()
	buf := make([]byte, 0, 4)
	var c Click
	buf, ok, err := s.LatestByDevice([]byte("com.example.app"), DeviceGAID, []byte(gaidLower), at, at-3*3600,
		func(c *Click) bool { return string(c.Sub[0]) != "refused" }, &c, buf)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if string(c.ClickID) != "wanted" || string(c.Sub[0]) != "wanted" || string(c.IP) != "2001:db8::1" || string(c.GAID) != gaidLower {
		t.Fatalf("got %q sub1 %q ip %q gaid %q", c.ClickID, c.Sub[0], c.IP, c.GAID)
	}
	_ = buf
}

// TestBlockCacheHolds: reading the same click twice is served from the
// block cache the second time. Pebble charges memtables to the block cache,
// so a cache no larger than the memtables holds no block at all, and every
// lookup reads and decompresses its index, filter and data blocks from the
// file.
func TestBlockCacheHolds(t *testing.T) {
	clicks := realisticClicks(2000)
	s := openOpts(t, Options{Durability: Async, Now: newClock(t0).Now})
	// Pebble grows memtables to their full size as writes go on: write
	// enough (under a table the store never reads) to get there.
	big := make([]byte, 1<<20)
	for i := range 100 {
		if err := s.db.Set([]byte{'z', byte(i)}, big, pebble.NoSync); err != nil {
			t.Fatal(err)
		}
	}
	for i := range clicks {
		mustPut(t, s, &clicks[i])
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	var c Click
	read := func() {
		for i := range 100 {
			if _, ok, err := s.GetClick(clicks[i].ClickID, &c, nil); !ok || err != nil {
				t.Fatal(ok, err)
			}
		}
	}
	read()
	before := s.db.Metrics().BlockCache
	read()
	after := s.db.Metrics().BlockCache
	hits, misses := after.Hits-before.Hits, after.Misses-before.Misses
	if hits == 0 || misses > hits/10 {
		t.Fatalf("second read of 100 clicks: %d block cache hits, %d misses", hits, misses)
	}
}
