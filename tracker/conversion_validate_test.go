package tracker

import (
	"strings"
	"testing"
	"time"
)

func TestConversionValidate(t *testing.T) {
	now := time.Unix(1764115200, 0)
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name string
		edit func(c *Conversion)
		err  string
	}{
		{"valid purchase", func(c *Conversion) {}, ""},
		{"valid install", func(c *Conversion) { *c = Conversion{Type: ConversionInstall, InstallID: "i"} }, ""},
		{"valid signup", func(c *Conversion) { *c = Conversion{Type: ConversionSignup, InstallID: "i"} }, ""},
		{"type missing", func(c *Conversion) { c.Type = 0 }, "type: missing"},
		{"type out of range", func(c *Conversion) { c.Type = 9 }, `type: unknown type "ConversionType(9)"`},
		{"install_id missing", func(c *Conversion) { c.InstallID = "" }, "install_id: missing"},
		{"install_id at limit", func(c *Conversion) { c.InstallID = long(256) }, ""},
		{"install_id oversize", func(c *Conversion) { c.InstallID = long(257) }, "install_id: oversize (max 256 bytes)"},
		{"event_name missing", func(c *Conversion) { c.EventName = "" }, "event_name: required for type event"},
		{"event_name optional for install", func(c *Conversion) { c.Type, c.EventName = ConversionInstall, "" }, ""},
		{"event_name at limit", func(c *Conversion) { c.EventName = long(128) }, ""},
		{"event_name oversize", func(c *Conversion) { c.EventName = long(129) }, "event_name: oversize (max 128 bytes)"},
		{"event_name oversize for install", func(c *Conversion) { c.Type, c.EventName = ConversionInstall, long(129) }, "event_name: oversize (max 128 bytes)"},
		{"event_id at limit", func(c *Conversion) { c.EventID = long(128) }, ""},
		{"event_id oversize", func(c *Conversion) { c.EventID = long(129) }, "event_id: oversize (max 128 bytes)"},
		{"event_time absent", func(c *Conversion) { c.EventTime = 0 }, ""},
		{"event_time negative", func(c *Conversion) { c.EventTime = -1 }, "event_time: negative"},
		{"event_time 1 h ahead", func(c *Conversion) { c.EventTime = now.Unix() + 3600 }, ""},
		{"event_time 1 h 1 s ahead", func(c *Conversion) { c.EventTime = now.Unix() + 3601 }, "event_time: more than 1 h in the future (unix seconds expected)"},
		{"event_time in ms", func(c *Conversion) { c.EventTime = now.UnixMilli() }, "event_time: more than 1 h in the future (unix seconds expected)"},
		{"event_time long ago", func(c *Conversion) { c.EventTime = 1 }, ""},
		{"install_begin_time", func(c *Conversion) { c.InstallBeginTime = now.Unix() - 30 }, ""},
		{"install_begin_time negative", func(c *Conversion) { c.InstallBeginTime = -1 }, "install_begin_time: negative"},
		{"install_begin_time 1 h 1 s ahead", func(c *Conversion) { c.InstallBeginTime = now.Unix() + 3601 }, "install_begin_time: more than 1 h in the future (unix seconds expected)"},
		{"install_begin_time after event_time", func(c *Conversion) { c.EventTime, c.InstallBeginTime = now.Unix()-60, now.Unix()-59 }, "install_begin_time: after event_time"},
		{"install_begin_time at event_time", func(c *Conversion) { c.EventTime, c.InstallBeginTime = now.Unix()-60, now.Unix()-60 }, ""},
		{"install_begin_time after now", func(c *Conversion) { c.InstallBeginTime = now.Unix() + 60 }, "install_begin_time: after event_time"},
		{"platform ios", func(c *Conversion) { c.Platform = "ios" }, ""},
		{"platform any case", func(c *Conversion) { c.Platform = "IOS" }, ""},
		{"platform empty", func(c *Conversion) { c.Platform = "" }, ""},
		{"platform web", func(c *Conversion) { c.Platform = "web" }, `platform: unknown platform "web" (android or ios)`},
		{"revenue without currency", func(c *Conversion) { c.Currency = "" }, "currency: required with revenue"},
		{"unknown currency", func(c *Conversion) { c.Currency = "XYZ" }, `currency: unknown currency "XYZ"`},
		{"withdrawn currency", func(c *Conversion) { c.Currency = "HRK" }, `currency: unknown currency "HRK"`},
		{"lower-case currency built by hand", func(c *Conversion) { c.Currency = "usd" }, `currency: unknown currency "usd"`},
		{"long currency cut in message", func(c *Conversion) { c.Currency = long(40) }, `currency: unknown currency "` + long(32) + `..."`},
		{"currency without revenue", func(c *Conversion) { c.HasRevenue, c.Revenue, c.Currency = false, Decimal{}, "XYZ" }, ""},
		{"revenue text oversize", func(c *Conversion) { c.Revenue = convDec("1." + long(0) + strings.Repeat("0", 511)) }, "revenue: oversize (max 512 bytes)"},
		{"first rule wins", func(c *Conversion) { c.Type, c.InstallID = 0, "" }, "type: missing"},
		// The referrer wraps an encoded click_id of up to 512 bytes: it has
		// six times the room.
		{"install_referrer oversize", func(c *Conversion) { c.InstallReferrer = long(3073) }, "install_referrer: oversize (max 3072 bytes)"},
		{"install_referrer at limit", func(c *Conversion) { c.InstallReferrer = long(3072) }, ""},
	}
	for _, f := range []struct {
		name string
		p    func(c *Conversion) *string
	}{
		{"click_id", func(c *Conversion) *string { return &c.ClickID }},
		{"app", func(c *Conversion) *string { return &c.App }},
		{"gaid", func(c *Conversion) *string { return &c.GAID }},
		{"idfa", func(c *Conversion) *string { return &c.IDFA }},
		{"oaid", func(c *Conversion) *string { return &c.OAID }},
		{"ip", func(c *Conversion) *string { return &c.IP }},
		{"user_agent", func(c *Conversion) *string { return &c.UserAgent }},
		{"country", func(c *Conversion) *string { return &c.Country }},
		{"app_version", func(c *Conversion) *string { return &c.AppVersion }},
		{"platform", func(c *Conversion) *string { return &c.Platform }},
		{"currency", func(c *Conversion) *string { return &c.Currency }},
	} {
		p := f.p
		tests = append(tests,
			struct {
				name string
				edit func(c *Conversion)
				err  string
			}{f.name + " oversize", func(c *Conversion) { *p(c) = long(513) }, f.name + ": oversize (max 512 bytes)"})
		if f.name != "platform" && f.name != "currency" {
			tests = append(tests, struct {
				name string
				edit func(c *Conversion)
				err  string
			}{f.name + " at limit", func(c *Conversion) { *p(c) = long(512) }, ""})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := convPurchase
			tt.edit(&c)
			before := c
			convCheckErr(t, c.Validate(now), tt.err)
			if c != before {
				t.Fatal("Validate changed the conversion")
			}
		})
	}
}

func TestConversionTidy(t *testing.T) {
	e := "\u00e9" // two bytes
	tests := []struct {
		name       string
		edit       func(c *Conversion)
		check      func(c *Conversion) string
		want       string
		validation string // Validate's answer after Tidy
	}{
		{"short values are kept", func(c *Conversion) { c.UserAgent = "ua" }, func(c *Conversion) string { return c.UserAgent }, "ua", ""},
		{"512 bytes are kept", func(c *Conversion) { c.UserAgent = strings.Repeat("u", 512) }, func(c *Conversion) string { return c.UserAgent }, strings.Repeat("u", 512), ""},
		{"a long user agent is cut", func(c *Conversion) { c.UserAgent = strings.Repeat("u", 600) }, func(c *Conversion) string { return c.UserAgent }, strings.Repeat("u", 512), ""},
		{"at a rune boundary", func(c *Conversion) { c.AppVersion = "a" + strings.Repeat(e, 300) }, func(c *Conversion) string { return c.AppVersion }, "a" + strings.Repeat(e, 255), ""},
		{"a long click_id is cut", func(c *Conversion) { c.ClickID = strings.Repeat("k", 513) }, func(c *Conversion) string { return c.ClickID }, strings.Repeat("k", 512), ""},
		{"platform web is dropped", func(c *Conversion) { c.Platform = "web" }, func(c *Conversion) string { return c.Platform }, "", ""},
		{"platform in any case is kept", func(c *Conversion) { c.Platform = "IOS" }, func(c *Conversion) string { return c.Platform }, "IOS", ""},
		{"a long install_id is left to Validate", func(c *Conversion) { c.InstallID = strings.Repeat("i", 257) }, func(c *Conversion) string { return c.InstallID }, strings.Repeat("i", 257), "install_id: oversize (max 256 bytes)"},
		{"a long event_id is left to Validate", func(c *Conversion) { c.EventID = strings.Repeat("e", 129) }, func(c *Conversion) string { return c.EventID }, strings.Repeat("e", 129), "event_id: oversize (max 128 bytes)"},
		{"a long currency is left to Validate", func(c *Conversion) { c.Currency = strings.Repeat("C", 513) }, func(c *Conversion) string { return c.Currency }, strings.Repeat("C", 513), "currency: oversize (max 512 bytes)"},
	}
	now := time.Unix(1764115200, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := convPurchase
			tt.edit(&c)
			c.Tidy()
			if got := tt.check(&c); got != tt.want {
				t.Fatalf("after Tidy %q (%d bytes), want %q (%d bytes)", got, len(got), tt.want, len(tt.want))
			}
			convCheckErr(t, c.Validate(now), tt.validation)
		})
	}
}

// Parse, Tidy and Validate together, as the handler runs them.
func TestConversionParseThenValidate(t *testing.T) {
	now := time.Unix(1764115200, 0)
	tests := []struct{ body, err string }{
		{convPurchaseJSON, ""},
		{`{"type":"install","install_id":"i","revenue":"1"}`, "currency: required with revenue"},
		{`{"type":"install","install_id":"i","revenue":"1","currency":"xyz"}`, `currency: unknown currency "XYZ"`},
		{`{"type":"install","install_id":"i","currency":"xyz"}`, ""},
		{`{"type":"install"}`, "install_id: missing"},
		{`{"install_id":"i"}`, "type: missing"},
		{`{"type":"event","install_id":"i"}`, "event_name: required for type event"},
		{`{"type":"install","install_id":"i","platform":"Web"}`, ""},
		{`{"type":"install","install_id":"i","user_agent":"` + strings.Repeat("u", 513) + `"}`, ""},
		{`{"type":"install","install_id":"i","event_time":1764118801}`, "event_time: more than 1 h in the future (unix seconds expected)"},
		{`{"type":"install","install_id":"i","event_time":"1764118800"}`, ""},
	}
	for _, tt := range tests {
		var c Conversion
		err := ParseConversionJSON([]byte(tt.body), &c)
		if err == nil {
			c.Tidy()
			err = c.Validate(now)
		}
		t.Run(tt.body, func(t *testing.T) { convCheckErr(t, err, tt.err) })
	}
}
