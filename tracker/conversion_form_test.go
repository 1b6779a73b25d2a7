package tracker

import (
	"errors"
	"strings"
	"testing"
)

func TestParseConversionForm(t *testing.T) {
	base := Conversion{Type: ConversionInstall, InstallID: "i"}
	with := func(f func(*Conversion)) Conversion { c := base; f(&c); return c }
	tests := []struct {
		name string
		body string
		want Conversion
		err  string
	}{
		{"purchase", "type=event&install_id=inst_7f3a9c&event_name=purchase&event_id=evt_0001&event_time=1764115200" +
			"&click_id=a1b2+c3%26d&install_referrer=click_id%3Da1b2%2520c3%2526d%26c%3DOgWmhiSXhG&app=com.example.app" +
			"&platform=ANDROID&gaid=38400000-8cf0-11bd-b23e-10b96e40000d&idfa=&ip=2001%3Adb8%3A85a3%3A%3A8a2e%3A370%3A7334" +
			"&user_agent=Dalvik%2F2.1.0+(Linux%3B+U%3B+Android+14%3B+Pixel+8+Build%2FAP1A)&country=IN&app_version=2.4.1&revenue=9.99&currency=usd",
			func() Conversion {
				c := convPurchase
				c.InstallReferrer = "click_id=a1b2%20c3%26d&c=OgWmhiSXhG"
				return c
			}(), ""},
		{"minimal", "type=install&install_id=i", base, ""},
		{"empty body", "", Conversion{}, ""},
		{"empty pairs", "&&type=install&&install_id=i&", base, ""},
		{"encoded key", "type=install&install%5Fid=i", base, ""},
		{"encoded key with plus", "type=install&install_id=i&user+agent=x", base, ""},
		{"plus is space", "type=install&install_id=i&click_id=a+b", with(func(c *Conversion) { c.ClickID = "a b" }), ""},
		{"decoded once", "type=install&install_id=i&click_id=a%2520b", with(func(c *Conversion) { c.ClickID = "a%20b" }), ""},
		{"UTF-8", "type=install&install_id=i&click_id=caf%C3%A9+%E2%98%95", with(func(c *Conversion) { c.ClickID = "café ☕" }), ""},
		{"empty value is absent", "type=install&install_id=i&revenue=&currency=&gaid=&event_time=", base, ""},
		{"key alone is absent", "type=install&install_id=i&revenue", base, ""},
		{"last wins", "type=install&install_id=a&install_id=i", base, ""},
		{"last empty wins", "type=install&install_id=i&click_id=a&click_id=", base, ""},
		{"earlier bad value unseen", "type=install&install_id=%ff&install_id=i", base, ""},
		{"unknown keys unread", "type=install&install_id=i&x=%zz&y=%ff&=v", base, ""},
		{"equals in value", "type=install&install_id=i&install_referrer=click_id=a&c=b", with(func(c *Conversion) { c.InstallReferrer = "click_id=a" }), ""},
		{"revenue and currency", "type=install&install_id=i&revenue=-12.5&currency=eur", with(func(c *Conversion) { c.Revenue, c.HasRevenue, c.Currency = convDec("-12.5"), true, "EUR" }), ""},
		{"revenue escaped plus", "type=install&install_id=i&revenue=%2B5&currency=USD", with(func(c *Conversion) { c.Revenue, c.HasRevenue, c.Currency = convDec("5"), true, "USD" }), ""},
		{"currency alone dropped", "type=install&install_id=i&currency=XYZ", base, ""},
		{"zero gaid dropped", "type=install&install_id=i&gaid=00000000-0000-0000-0000-000000000000", base, ""},
		{"event_time", "type=install&install_id=i&event_time=1764115200", with(func(c *Conversion) { c.EventTime = 1764115200 }), ""},
		{"install_begin_time", "type=install&install_id=i&install_begin_time=1764115100", with(func(c *Conversion) { c.InstallBeginTime = 1764115100 }), ""},

		{"bad escape", "type=install&install_id=a%zz", Conversion{}, "install_id: invalid percent-encoding"},
		{"truncated escape", "type=install&install_id=a%4", Conversion{}, "install_id: invalid percent-encoding"},
		{"bare percent", "type=install&install_id=100%", Conversion{}, "install_id: invalid percent-encoding"},
		{"invalid UTF-8", "type=install&install_id=a%ffb", Conversion{}, "install_id: invalid UTF-8"},
		{"raw invalid UTF-8", "type=install&install_id=i&user_agent=\xc0\xaf", Conversion{}, "user_agent: invalid UTF-8"},
		{"unknown type", "type=foo&install_id=i", Conversion{}, `type: unknown type "foo"`},
		{"semicolon is no separator", "type=install;install_id=i", Conversion{}, `type: unknown type "install;install_id=i"`},
		{"revenue exponent", "type=install&install_id=i&revenue=1e5", Conversion{}, "revenue: not a finite decimal"},
		{"revenue raw plus is a space", "type=install&install_id=i&revenue=+5", Conversion{}, "revenue: not a finite decimal"},
		{"revenue comma", "type=install&install_id=i&revenue=1%2C5", Conversion{}, "revenue: not a finite decimal"},
		{"event_time not integer", "type=install&install_id=i&event_time=soon", Conversion{}, "event_time: not an integer"},
		{"event_time negative", "type=install&install_id=i&event_time=-1", Conversion{}, "event_time: negative"},
		{"install_begin_time not integer", "type=install&install_id=i&install_begin_time=soon", Conversion{}, "install_begin_time: not an integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Conversion
			err := ParseConversionForm([]byte(tt.body), &c)
			convCheckErr(t, err, tt.err)
			if tt.err == "" && c != tt.want {
				t.Fatalf("got  %+v\nwant %+v", c, tt.want)
			}
		})
	}
}

func TestParseConversionFormTooLarge(t *testing.T) {
	body := []byte("type=install&install_id=i&x=" + strings.Repeat("a", MaxConversionBody))
	var c Conversion
	if err := ParseConversionForm(body, &c); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("err %v, want ErrBodyTooLarge", err)
	}
}
