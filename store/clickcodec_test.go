package store

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestClickCodecRoundTrip(t *testing.T) {
	long := bytes.Repeat([]byte("v"), MaxValueLen)
	full := func() *Click {
		c := testClick("rt", t0)
		c.OfferID, c.CreativeID, c.PubID = []byte("o-9"), []byte("cr_1"), []byte("p77")
		c.Sub = [5][]byte{[]byte("s1"), []byte("s2"), []byte("s3"), []byte("s4"), []byte("s5")}
		c.IDFA = []byte("6D92078A-8246-4BA4-AE5B-76104861E7DC")
		c.OAID = []byte("0f6e7c2b-1a2b-4c3d-8e9f-0123456789ab")
		return c
	}
	allFlags := FlagBot | FlagInvalidID | FlagOversize | FlagBadUTF8 | FlagMacro | FlagGeneratedID | FlagServerToServer
	for _, tc := range []struct {
		name string
		edit func(c *Click)
	}{
		{"full", func(*Click) {}},
		{"empty", func(c *Click) { *c = Click{ClickID: []byte("x")} }},
		{"gaid lower", func(c *Click) { c.GAID = []byte("38400000-8cf0-11bd-b23e-10b96e40000d") }},
		{"gaid upper", func(c *Click) { c.GAID = []byte("38400000-8CF0-11BD-B23E-10B96E40000D") }},
		{"gaid mixed", func(c *Click) { c.GAID = []byte("38400000-8cF0-11bd-B23E-10b96e40000d") }},
		{"gaid digits only", func(c *Click) { c.GAID = []byte("38400000-8000-1100-2300-109600400000") }},
		{"gaid not uuid", func(c *Click) { c.GAID = []byte("38400000_8cf0_11bd_b23e_10b96e40000d") }},
		{"gaid uuid without dashes", func(c *Click) { c.GAID = []byte("384000008cf011bdb23e10b96e40000d") }},
		{"gaid braces", func(c *Click) { c.GAID = []byte("{38400000-8cf0-11bd-b23e-10b96e40000d}") }},
		{"gaid zero", func(c *Click) { c.GAID = []byte("00000000-0000-0000-0000-000000000000") }},
		{"idfa mixed", func(c *Click) { c.IDFA = []byte("6d92078A-8246-4BA4-AE5B-76104861E7DC") }},
		{"oaid hex", func(c *Click) { c.OAID = []byte("fcbe7ff7d5f9a1b2") }},
		{"ipv4", func(c *Click) { c.IP = []byte("1.2.3.4") }},
		{"ipv6", func(c *Click) { c.IP = []byte("2001:db8::1") }},
		{"ipv6 full", func(c *Click) { c.IP = []byte("2001:0db8:0000:0000:0000:0000:0000:0001") }},
		{"ipv6 upper", func(c *Click) { c.IP = []byte("2001:DB8::1") }},
		{"ipv4-mapped upper", func(c *Click) { c.IP = []byte("::FFFF:1.2.3.4") }},
		{"ipv4-mapped", func(c *Click) { c.IP = []byte("::ffff:1.2.3.4") }},
		{"ipv4 leading zero", func(c *Click) { c.IP = []byte("01.2.3.4") }},
		{"ipv6 zone", func(c *Click) { c.IP = []byte("fe80::1%eth0") }},
		{"ip garbage", func(c *Click) { c.IP = []byte("not an ip") }},
		{"ip with port", func(c *Click) { c.IP = []byte("1.2.3.4:80") }},
		{"no ua", func(c *Click) { c.UserAgent = nil }},
		{"512-byte values", func(c *Click) {
			c.Campaign, c.App, c.OSVersion, c.AffID, c.PubID = long, long, long, long, long
			c.OfferID, c.CreativeID, c.GAID, c.IDFA, c.OAID = long, long, long, long, long
			c.Sub = [5][]byte{long, long, long, long, long}
			c.IP, c.UserAgent, c.Country = long, long, long
		}},
		{"all flags", func(c *Click) { c.Flags = allFlags }},
		{"every flag bit", func(c *Click) { c.Flags = 0xffff }},
		{"ios", func(c *Click) { c.Platform = PlatformIOS; c.OSVersion = []byte("17.2") }},
		{"unknown platform", func(c *Click) { c.Platform = PlatformUnknown; c.OSVersion = nil }},
		{"time zero", func(c *Click) { c.Time = 0 }},
		{"time negative", func(c *Click) { c.Time = -1 }},
		{"time max", func(c *Click) { c.Time = 1<<63 - 1 }},
		{"utf8", func(c *Click) { c.Sub[0] = []byte("दिवाली \uFFFD {gaid}") }},
		{"deep link", func(c *Click) { c.DeepLink = []byte("exampleapp://product/42?ref=spring sale") }},
		{"deep link only", func(c *Click) { *c = Click{ClickID: []byte("x"), DeepLink: []byte("p/1")} }},
		{"512-byte deep link", func(c *Click) { c.DeepLink = long }},
		{"view-through lookback", func(c *Click) { c.Flags = FlagImpression; c.ViewLookback = 3600 }},
		{"deep link and view-through lookback", func(c *Click) { c.DeepLink = []byte("app://x"); c.ViewLookback = 86400 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := full()
			tc.edit(c)
			var h uint64
			if len(c.UserAgent) != 0 {
				h = hash64(c.UserAgent, 0)
			}
			val := appendClickValue(nil, c, h)
			var got Click
			buf, gotH, err := decodeClick(val, &got, make([]byte, 0, 8))
			if err != nil {
				t.Fatal(err)
			}
			got.ClickID = c.ClickID
			if d := clickDiff(c, &got, false); d != "" {
				t.Fatal(d)
			}
			if gotH != h {
				t.Fatalf("ua hash %x, want %x", gotH, h)
			}
			// Expanded fields live in buf, not in the record.
			for _, f := range [][]byte{got.GAID, got.IDFA, got.OAID, got.IP} {
				if len(f) > 0 && cap(f) > len(f) {
					t.Fatalf("field %q has spare capacity %d: appending to it would overwrite its neighbour", f, cap(f)-len(f))
				}
			}
			_ = buf
		})
	}
}

// TestClickCodecCompactForms checks that the common forms are stored in
// binary, not as text: that is the point of the forms.
func TestClickCodecCompactForms(t *testing.T) {
	for _, tc := range []struct {
		gaid, ip string
		want     int // record length with only these set
	}{
		{"", "", 0},
		{"38400000-8cf0-11bd-b23e-10b96e40000d", "", 16},
		{"38400000-8CF0-11BD-B23E-10B96E40000D", "", 16},
		{"", "203.0.113.10", 4},
		{"", "2001:db8::1", 16},
	} {
		c := &Click{ClickID: []byte("x"), GAID: []byte(tc.gaid), IP: []byte(tc.ip)}
		base := len(appendClickValue(nil, &Click{ClickID: []byte("x")}, 0))
		if got := len(appendClickValue(nil, c, 0)) - base; got != tc.want {
			t.Errorf("gaid %q ip %q: %d extra bytes, want %d", tc.gaid, tc.ip, got, tc.want)
		}
	}
}

// TestClickDecodeCorrupt: every truncation, a wrong version, trailing bytes
// and unknown forms are ErrCorrupt, never a panic.
func TestClickDecodeCorrupt(t *testing.T) {
	c := testClick("abc", t0)
	c.IDFA = []byte("6D92078A-8246-4BA4-AE5B-76104861E7DC")
	c.OAID = []byte("odd-oaid")
	val := appendClickValue(nil, c, 42)
	var got Click
	check := func(name string, v []byte) {
		t.Helper()
		_, _, err := decodeClick(v, &got, nil)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s (%x): err = %v, want ErrCorrupt", name, v, err)
		}
	}
	check("nil", nil)
	check("empty", []byte{})
	for n := 1; n < len(val); n++ {
		check("truncated", val[:n:n])
	}
	check("version 0", append([]byte{0}, val[1:]...))
	check("version 2", append([]byte{2}, val[1:]...))
	check("trailing byte", append(append([]byte(nil), val...), 0))
	// Flip every byte to every value that breaks a form or a length: no
	// panic whatever the result.
	for i := range val {
		for _, b := range []byte{0x00, 0x07, 0x7f, 0x80, 0xff} {
			v := append([]byte(nil), val...)
			v[i] = b
			_, _, _ = decodeClick(v, &got, nil)
		}
	}
	// The optional fields after the first version's (see appendClickValue).
	dl := testClick("abc", t0)
	dl.DeepLink = []byte("app://x")
	withDL := appendClickValue(nil, dl, 42)
	for n := len(val) + 1; n < len(withDL); n++ {
		check("deep link truncated", withDL[:n:n])
	}
	check("optional field empty", append(append([]byte(nil), val...), optDeepLink, 0))
	check("optional fields out of order", append(append([]byte(nil), withDL...), optDeepLink, 1, 'y'))
	check("view lookback not a uvarint", append(append([]byte(nil), val...), optViewLookback, 1, 0x80))
	check("view lookback with trailing bytes", append(append([]byte(nil), val...), optViewLookback, 2, 5, 5))
	check("view lookback zero", append(append([]byte(nil), val...), optViewLookback, 1, 0))
	check("optional field tag 0", append(append([]byte(nil), val...), 0, 1, 'y'))
	// A field a later version adds is skipped by this one.
	later := append(append([]byte(nil), withDL...), 0x7f, 2, 'z', 'z')
	if _, _, err := decodeClick(later, &got, nil); err != nil || string(got.DeepLink) != "app://x" {
		t.Errorf("record with a later optional field: deep link %q, err %v", got.DeepLink, err)
	}
	// A huge length prefix.
	check("huge length", []byte{clickVersion, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	// A varint longer than 64 bits.
	check("long varint", append([]byte{clickVersion}, bytes.Repeat([]byte{0x80}, 11)...))
}

func TestInstallEventCodec(t *testing.T) {
	long := strings.Repeat("x", MaxValueLen)
	ins := []Install{
		{},
		{InstallID: "i1", EventID: "e1", App: "com.example.app", Platform: PlatformAndroid, Time: 1764115200,
			Match: MatchClickID, ClickID: "abc", Campaign: "demo", Partner: "acme", ClickTime: 1764115100123,
			AffID: "4471", PubID: "p", OfferID: "o", CreativeID: "cr", Sub: [5]string{"1", "", "3", "", long},
			GAID: "38400000-8cf0-11bd-b23e-10b96e40000d", IDFA: "X", OAID: "Y", IP: "::FFFF:1.2.3.4",
			UserAgent: "Mozilla/5.0", Country: "IN", AppVersion: "1.2.3"},
		{InstallID: long, Time: -5, ClickTime: -1, Match: MatchFingerprint, Platform: PlatformIOS},
		{InstallID: "i2", Match: MatchClickID, ClickID: "abc", DeepLink: "exampleapp://product/42"},
		{DeepLink: long},
	}
	for i, in := range ins {
		v := in.encode(nil)
		var got Install
		if err := got.decode(v); err != nil {
			t.Fatalf("install %d: %v", i, err)
		}
		if got != in {
			t.Fatalf("install %d: got %+v, want %+v", i, got, in)
		}
		without := in
		without.DeepLink = ""
		firstVersion := len(without.encode(nil)) // ends where the optional fields begin
		for n := 0; n < len(v); n++ {
			if n == firstVersion {
				continue
			}
			if err := new(Install).decode(v[:n:n]); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("install %d truncated to %d: err = %v", i, n, err)
			}
		}
		if err := new(Install).decode(append(v, 0)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("install %d with a trailing byte: err = %v", i, err)
		}
	}
	// A record from before the optional fields decodes, and one whose
	// optional fields this version does not know yet skips them.
	old := ins[1]
	v := old.encode(nil)
	unknown := append(append([]byte(nil), v...), optDeepLink+1, 3, 'n', 'e', 'w')
	var got Install
	if err := got.decode(unknown); err != nil || got != old {
		t.Fatalf("install with an unknown optional field: %+v, %v; want %+v", got, err, old)
	}
	for _, bad := range [][]byte{
		append(append([]byte(nil), v...), optDeepLink, 0),                             // empty
		append(append([]byte(nil), v...), optDeepLink+1, 1, 'a', optDeepLink, 1, 'b'), // out of order
	} {
		if err := new(Install).decode(bad); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("install optional fields %x: err = %v, want ErrCorrupt", bad[len(v):], err)
		}
	}
	evs := []Event{
		{},
		{EventID: "e1", InstallID: "i1", Kind: 3, Name: "purchase", Time: 1764115200, Revenue: "-12.50",
			Currency: "EUR", Match: MatchDeviceID, Attributed: true, ClickID: "abc", Campaign: "demo",
			Postback: "queued", PostbackID: 1<<63 + 5},
		{EventID: long, Time: -1, Postback: "none"},
	}
	for i, ev := range evs {
		v := ev.encode(nil)
		var got Event
		if err := got.decode(v); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if got != ev {
			t.Fatalf("event %d: got %+v, want %+v", i, got, ev)
		}
		for n := 0; n < len(v); n++ {
			if err := new(Event).decode(v[:n:n]); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("event %d truncated to %d: err = %v", i, n, err)
			}
		}
	}
}

func TestParseUUID(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"38400000-8cf0-11bd-b23e-10b96e40000d", true},
		{"38400000-8CF0-11BD-B23E-10B96E40000D", true},
		{"38400000-8cf0-11bd-b23e-10b96e40000", false},
		{"38400000-8cf0-11bd-b23e-10b96e40000dd", false},
		{"38400000x8cf0-11bd-b23e-10b96e40000d", false},
		{"38400000-8cf0-11bd-b23e-10b96e40000g", false},
		{"3840000--8cf0-11bd-b23e-10b96e40000d", false},
		{"", false},
	} {
		var u [16]byte
		if got := parseUUID([]byte(tc.in), &u); got != tc.ok {
			t.Errorf("parseUUID(%q) = %v", tc.in, got)
		}
	}
}

func TestParseOSVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint16
	}{
		{"", 0}, {"14", 14 << 8}, {"17.2", 17<<8 | 2}, {"17.2.1", 17<<8 | 2}, {"17_2_1", 17<<8 | 2},
		{"999", 255 << 8}, {"10.300", 10<<8 | 255}, {"14 beta", 14 << 8}, {"x", 0},
	} {
		if got := parseOSVersion([]byte(tc.in)); got != tc.want {
			t.Errorf("parseOSVersion(%q) = %#x, want %#x", tc.in, got, tc.want)
		}
	}
}
