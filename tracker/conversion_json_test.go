package tracker

import (
	"errors"
	"strings"
	"testing"
)

// convCheckErr fails t unless err is a *FieldError whose text is want, or nil
// when want is "".
func convCheckErr(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want *FieldError %q", err, err, want)
	}
	if got := fe.Error(); got != want {
		t.Fatalf("error %q, want %q", got, want)
	}
}

func convDec(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(s)
	}
	return d
}

// convPurchaseJSON is the corpus's C1_android_purchase as an SDK would send it.
const convPurchaseJSON = `{
 "type": "event",
 "install_id": "inst_7f3a9c",
 "event_name": "purchase",
 "event_id": "evt_0001",
 "event_time": 1764115200,
 "click_id": "a1b2 c3&d",
 "install_referrer": "click_id=a1b2%20c3%26d&c=OgWmhiSXhG",
 "app": "com.example.app",
 "platform": "android",
 "gaid": "38400000-8cf0-11bd-b23e-10b96e40000d",
 "idfa": "",
 "ip": "2001:db8:85a3::8a2e:370:7334",
 "user_agent": "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A)",
 "country": "IN",
 "app_version": "2.4.1",
 "revenue": "9.99",
 "currency": "USD"
}`

var convPurchase = Conversion{
	Type:            ConversionEvent,
	InstallID:       "inst_7f3a9c",
	EventName:       "purchase",
	EventID:         "evt_0001",
	EventTime:       1764115200,
	ClickID:         "a1b2 c3&d",
	InstallReferrer: "click_id=a1b2%20c3%26d&c=OgWmhiSXhG",
	App:             "com.example.app",
	Platform:        "android",
	GAID:            "38400000-8cf0-11bd-b23e-10b96e40000d",
	IP:              "2001:db8:85a3::8a2e:370:7334",
	UserAgent:       "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A)",
	Country:         "IN",
	AppVersion:      "2.4.1",
	Revenue:         convDec("9.99"),
	HasRevenue:      true,
	Currency:        "USD",
}

func TestParseConversionJSON(t *testing.T) {
	inst := func(extra string) string { return `{"type":"install","install_id":"i"` + extra + `}` }
	base := Conversion{Type: ConversionInstall, InstallID: "i"}
	with := func(f func(*Conversion)) Conversion { c := base; f(&c); return c }
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

	tests := []struct {
		name string
		body string
		want Conversion
		err  string
	}{
		{"corpus purchase", convPurchaseJSON, convPurchase, ""},
		{"minimal install", inst(""), base, ""},
		{"empty object", `{}`, Conversion{}, ""},
		{"spaces everywhere", " \r\n\t{ \"type\" : \"install\" ,\n\"install_id\"\t:\"i\" } \n", base, ""},
		{"signup", `{"type":"signup","install_id":"i"}`, with(func(c *Conversion) { c.Type = ConversionSignup }), ""},
		{"type ignores case", `{"type":"INSTALL","install_id":"i"}`, base, ""},

		// strings and escapes
		{"escapes", inst(`,"click_id":"q\"b\\s\/n\nt\tr\rb\bf\f"`), with(func(c *Conversion) { c.ClickID = "q\"b\\s/n\nt\tr\rb\bf\f" }), ""},
		{"unicode escapes", inst(`,"click_id":"caf\u00e9 \u2615 \ud83d\ude00 \u0041"`), with(func(c *Conversion) { c.ClickID = "café ☕ 😀 A" }), ""},
		{"raw UTF-8", inst(`,"click_id":"café ☕ 😀"`), with(func(c *Conversion) { c.ClickID = "café ☕ 😀" }), ""},
		{"upper-case hex escape", inst(`,"click_id":"caf\u00E9\uD83D\uDE00"`), with(func(c *Conversion) { c.ClickID = "café😀" }), ""},
		{"NUL escape", inst(`,"click_id":"a\u0000b"`), with(func(c *Conversion) { c.ClickID = "a\x00b" }), ""},
		{"escaped key", `{"type":"install","install\u005fid":"i"}`, base, ""},
		{"empty string is absent", inst(`,"click_id":""`), base, ""},

		// numbers and strings
		{"event_time number", inst(`,"event_time":1764115200`), with(func(c *Conversion) { c.EventTime = 1764115200 }), ""},
		{"event_time string", inst(`,"event_time":"1764115200"`), with(func(c *Conversion) { c.EventTime = 1764115200 }), ""},
		{"event_time zero is absent", inst(`,"event_time":0`), base, ""},
		{"event_time minus zero", inst(`,"event_time":"-0"`), base, ""},
		{"event_time max", inst(`,"event_time":9223372036854775807`), with(func(c *Conversion) { c.EventTime = 1<<63 - 1 }), ""},
		{"install_begin_time", inst(`,"install_begin_time":1764115100`), with(func(c *Conversion) { c.InstallBeginTime = 1764115100 }), ""},
		{"install_begin_time string", inst(`,"install_begin_time":"1764115100"`), with(func(c *Conversion) { c.InstallBeginTime = 1764115100 }), ""},
		{"revenue number", inst(`,"revenue":9.99,"currency":"USD"`), with(func(c *Conversion) { c.Revenue, c.HasRevenue, c.Currency = convDec("9.99"), true, "USD" }), ""},
		{"revenue number keeps its text", inst(`,"revenue":1234.50,"currency":"INR"`), with(func(c *Conversion) { c.Revenue, c.HasRevenue, c.Currency = convDec("1234.50"), true, "INR" }), ""},
		{"revenue negative", inst(`,"revenue":-5,"currency":"EUR"`), with(func(c *Conversion) { c.Revenue, c.HasRevenue, c.Currency = convDec("-5"), true, "EUR" }), ""},
		{"revenue string many digits", inst(`,"revenue":"1.00499999999999999999","currency":"USD"`), with(func(c *Conversion) {
			c.Revenue, c.HasRevenue, c.Currency = convDec("1.00499999999999999999"), true, "USD"
		}), ""},
		{"revenue zero", inst(`,"revenue":"0","currency":"USD"`), with(func(c *Conversion) { c.Revenue, c.HasRevenue, c.Currency = convDec("0"), true, "USD" }), ""},
		{"string field as number", `{"type":"install","install_id":12345}`, with(func(c *Conversion) { c.InstallID = "12345" }), ""},
		{"number text kept", `{"type":"install","install_id":1.5e3}`, with(func(c *Conversion) { c.InstallID = "1.5e3" }), ""},

		// normalisation
		{"platform lower-cased", inst(`,"platform":"Android"`), with(func(c *Conversion) { c.Platform = "android" }), ""},
		{"currency upper-cased", inst(`,"revenue":"1","currency":"usd"`), with(func(c *Conversion) { c.Revenue, c.HasRevenue, c.Currency = convDec("1"), true, "USD" }), ""},
		{"currency without revenue dropped", inst(`,"currency":"XYZ"`), base, ""},
		{"zero ad ids dropped", inst(`,"gaid":"00000000-0000-0000-0000-000000000000","idfa":"00000000-0000-0000-0000-000000000000","oaid":"00000000000000000000000000000000"`), base, ""},
		{"escaped zero ad id dropped", inst(`,"gaid":"\u0030000"`), base, ""},
		{"real ad ids kept", inst(`,"idfa":"6D92078A-8246-4BA4-AE5B-76104861E7DC","oaid":"0-1"`), with(func(c *Conversion) { c.IDFA, c.OAID = "6D92078A-8246-4BA4-AE5B-76104861E7DC", "0-1" }), ""},

		// duplicates, null, unknown keys
		{"last wins", inst(`,"click_id":"a","click_id":"b"`), with(func(c *Conversion) { c.ClickID = "b" }), ""},
		{"last null wins", inst(`,"click_id":"a","click_id":null`), base, ""},
		{"null is absent", inst(`,"revenue":null,"currency":null,"event_time":null`), base, ""},
		{"earlier bad duplicate unseen", inst(`,"revenue":"bad","revenue":"1.5","currency":"USD"`), with(func(c *Conversion) { c.Revenue, c.HasRevenue, c.Currency = convDec("1.5"), true, "USD" }), ""},
		{"unknown scalars", inst(`,"x":1,"y":true,"z":null,"w":"s","v":-0.5e-3`), base, ""},
		{"unknown nested", inst(`,"extra":{"a":[1,"two",{"three":[null,true,false]}],"b":{}},"list":[],"o":{"type":"signup"}`), base, ""},
		{"unknown nested 64 deep", inst(`,"x":` + deep(64)), base, ""},
		{"unknown key looks known", inst(`,"Install_ID":"x","install_id ":"y","install_referrer_x":"z"`), base, ""},
		{"long escaped unknown key", inst(`,"` + strings.Repeat(`\u0061`, 40) + `":1`), base, ""},

		// body errors
		{"empty body", ``, Conversion{}, "body: not a JSON object"},
		{"blank body", " \n", Conversion{}, "body: not a JSON object"},
		{"array", `[{"type":"install"}]`, Conversion{}, "body: not a JSON object"},
		{"string", `"x"`, Conversion{}, "body: not a JSON object"},
		{"null", `null`, Conversion{}, "body: not a JSON object"},
		{"BOM", "\xef\xbb\xbf{}", Conversion{}, "body: not a JSON object"},
		{"unterminated object", `{`, Conversion{}, "body: invalid JSON at offset 1"},
		{"unterminated after value", `{"type":"install"`, Conversion{}, "body: invalid JSON at offset 17"},
		{"unterminated string", `{"type":"inst`, Conversion{}, "body: invalid JSON at offset 13"},
		{"trailing garbage", `{"type":"install"} x`, Conversion{}, "body: data after the JSON object at offset 19"},
		{"two objects", `{}{}`, Conversion{}, "body: data after the JSON object at offset 2"},
		{"trailing comma", `{"type":"install",}`, Conversion{}, "body: invalid JSON at offset 18"},
		{"missing colon", `{"type" "install"}`, Conversion{}, "body: invalid JSON at offset 8"},
		{"bare key", `{type:"install"}`, Conversion{}, "body: invalid JSON at offset 1"},
		{"single quotes", `{'type':'install'}`, Conversion{}, "body: invalid JSON at offset 1"},
		{"missing comma", `{"a":1 "b":2}`, Conversion{}, "body: invalid JSON at offset 7"},
		{"leading zero", `{"a":01}`, Conversion{}, "body: invalid JSON at offset 6"},
		{"known leading zero", `{"revenue":01}`, Conversion{}, "body: invalid JSON at offset 12"},
		{"bare point", `{"a":1.}`, Conversion{}, "body: invalid JSON at offset 7"},
		{"bare minus", `{"a":-}`, Conversion{}, "body: invalid JSON at offset 6"},
		{"bare exponent", `{"revenue":1e}`, Conversion{}, "body: invalid JSON at offset 13"},
		{"plus sign", `{"revenue":+1}`, Conversion{}, "body: invalid JSON at offset 11"},
		{"NaN literal", `{"revenue":NaN}`, Conversion{}, "body: invalid JSON at offset 11"},
		{"bad literal", `{"a":tru}`, Conversion{}, "body: invalid JSON at offset 5"},
		{"known bad null", `{"click_id":nul}`, Conversion{}, "body: invalid JSON at offset 12"},
		{"bad escape", `{"a":"x\q"}`, Conversion{}, "body: invalid JSON at offset 7"},
		{"bad unicode escape", `{"click_id":"\u12G4"}`, Conversion{}, "body: invalid JSON at offset 13"},
		{"raw control char", "{\"click_id\":\"a\tb\"}", Conversion{}, "body: invalid JSON at offset 14"},
		{"nested trailing comma", `{"a":[1,]}`, Conversion{}, "body: invalid JSON at offset 8"},
		{"nested key without value", `{"a":{"b"}}`, Conversion{}, "body: invalid JSON at offset 9"},
		{"nested unclosed", `{"a":[}`, Conversion{}, "body: invalid JSON at offset 6"},
		{"nested too deep", inst(`,"x":` + deep(65)), Conversion{}, "body: JSON nested too deep at offset 103"},
		{"bad UTF-8 in key", "{\"a\xff\":1}", Conversion{}, "body: invalid UTF-8 at offset 3"},
		{"bad UTF-8 in unknown value", "{\"a\":\"\xff\"}", Conversion{}, "body: invalid UTF-8 at offset 6"},
		{"bad UTF-8 nested", "{\"a\":[\"\xc0\xaf\"]}", Conversion{}, "body: invalid UTF-8 at offset 7"},

		// field errors
		{"object for known field", `{"install_id":{"a":1}}`, Conversion{}, "install_id: must be a string or number"},
		{"array for known field", `{"revenue":[1]}`, Conversion{}, "revenue: must be a string or number"},
		{"bool for known field", `{"type":true}`, Conversion{}, "type: must be a string or number"},
		{"false for known field", `{"gaid":false}`, Conversion{}, "gaid: must be a string or number"},
		{"invalid UTF-8", "{\"install_id\":\"a\xffb\"}", Conversion{}, "install_id: invalid UTF-8"},
		{"overlong UTF-8", "{\"user_agent\":\"\xc0\xaf\"}", Conversion{}, "user_agent: invalid UTF-8"},
		{"raw surrogate", "{\"click_id\":\"\xed\xa0\x80\"}", Conversion{}, "click_id: invalid UTF-8"},
		{"truncated UTF-8", "{\"country\":\"\xe2\x98\"}", Conversion{}, "country: invalid UTF-8"},
		{"lone high surrogate", `{"event_name":"\ud800"}`, Conversion{}, "event_name: invalid UTF-8"},
		{"lone low surrogate", `{"event_name":"\udc00x"}`, Conversion{}, "event_name: invalid UTF-8"},
		{"high then non-low", `{"event_name":"\ud800\u0041"}`, Conversion{}, "event_name: invalid UTF-8"},
		{"invalid UTF-8 in overwritten value", "{\"app\":\"\xff\",\"app\":\"ok\"}", Conversion{}, "app: invalid UTF-8"},
		{"unknown type", inst(`,"type":"foo"`), Conversion{}, `type: unknown type "foo"`},
		{"empty type", `{"type":""}`, Conversion{}, `type: unknown type ""`},
		{"numeric type", `{"type":1}`, Conversion{}, `type: unknown type "1"`},
		{"long type cut", `{"type":"` + strings.Repeat("x", 40) + `"}`, Conversion{}, `type: unknown type "` + strings.Repeat("x", 32) + `..."`},
		{"long type cut at a rune", `{"type":"a` + strings.Repeat("é", 20) + `"}`, Conversion{}, `type: unknown type "a` + strings.Repeat("é", 15) + `..."`},
		{"event_time fraction", inst(`,"event_time":1764115200.5`), Conversion{}, "event_time: not an integer"},
		{"event_time point zero", inst(`,"event_time":"1764115200.0"`), Conversion{}, "event_time: not an integer"},
		{"event_time exponent", inst(`,"event_time":1.7e9`), Conversion{}, "event_time: not an integer"},
		{"event_time negative", inst(`,"event_time":-5`), Conversion{}, "event_time: negative"},
		{"install_begin_time fraction", inst(`,"install_begin_time":1.5`), Conversion{}, "install_begin_time: not an integer"},
		{"event_time empty", inst(`,"event_time":""`), Conversion{}, "event_time: not an integer"},
		{"event_time space", inst(`,"event_time":" 5"`), Conversion{}, "event_time: not an integer"},
		{"event_time plus", inst(`,"event_time":"+5"`), Conversion{}, "event_time: not an integer"},
		{"event_time overflow", inst(`,"event_time":9223372036854775808`), Conversion{}, "event_time: out of range"},
		{"revenue exponent string", inst(`,"revenue":"1e5"`), Conversion{}, "revenue: not a finite decimal"},
		{"revenue exponent number", inst(`,"revenue":1e5`), Conversion{}, "revenue: not a finite decimal"},
		{"revenue NaN", inst(`,"revenue":"NaN"`), Conversion{}, "revenue: not a finite decimal"},
		{"revenue Infinity", inst(`,"revenue":"Infinity"`), Conversion{}, "revenue: not a finite decimal"},
		{"revenue comma", inst(`,"revenue":"1,5"`), Conversion{}, "revenue: not a finite decimal"},
		{"revenue empty", inst(`,"revenue":""`), Conversion{}, "revenue: not a finite decimal"},
		{"revenue double minus", inst(`,"revenue":"--1"`), Conversion{}, "revenue: not a finite decimal"},
		{"revenue 10^15", inst(`,"revenue":1000000000000000`), Conversion{}, "revenue: not a finite decimal"},
		{"revenue -10^15", inst(`,"revenue":"-1000000000000000.00"`), Conversion{}, "revenue: not a finite decimal"},
		{"revenue bare point", inst(`,"revenue":".5"`), Conversion{}, "revenue: not a finite decimal"},
		{"revenue currency sign", inst(`,"revenue":"$5"`), Conversion{}, "revenue: not a finite decimal"},
		{"revenue escaped", inst(`,"revenue":"\u0039.99","currency":"USD"`), with(func(c *Conversion) { c.Revenue, c.HasRevenue, c.Currency = convDec("9.99"), true, "USD" }), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Conversion
			err := ParseConversionJSON([]byte(tt.body), &c)
			convCheckErr(t, err, tt.err)
			if tt.err == "" && c != tt.want {
				t.Fatalf("got  %+v\nwant %+v", c, tt.want)
			}
		})
	}
}

func TestParseConversionJSONOverwrites(t *testing.T) {
	c := convPurchase
	convCheckErr(t, ParseConversionJSON([]byte(`{"type":"install","install_id":"x"}`), &c), "")
	if want := (Conversion{Type: ConversionInstall, InstallID: "x"}); c != want {
		t.Fatalf("got %+v, want %+v", c, want)
	}
}

func TestParseConversionJSONTooLarge(t *testing.T) {
	body := []byte(`{"type":"install","install_id":"i","x":"` + strings.Repeat("a", MaxConversionBody) + `"}`)
	var c Conversion
	if err := ParseConversionJSON(body, &c); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("err %v, want ErrBodyTooLarge", err)
	}
	convCheckErr(t, ErrBodyTooLarge, "body: over 64 KiB")
	// exactly the limit is accepted
	pad := MaxConversionBody - len(`{"type":"install","install_id":"i","x":""}`)
	body = []byte(`{"type":"install","install_id":"i","x":"` + strings.Repeat("a", pad) + `"}`)
	convCheckErr(t, ParseConversionJSON(body, &c), "")
}

// A value with escapes and one without share the single backing string, and
// a large body still parses (past the stack scratch buffer).
func TestParseConversionJSONLargeValues(t *testing.T) {
	ua := strings.Repeat("Mozilla/5.0 ", 40)
	ref := strings.Repeat("utm_source=x&", 30) + "click_id=abc"
	body := `{"type":"install","install_id":"i","user_agent":"` + ua + `","install_referrer":"` + ref + `","click_id":"\u00e9"}`
	var c Conversion
	convCheckErr(t, ParseConversionJSON([]byte(body), &c), "")
	if c.UserAgent != ua || c.InstallReferrer != ref || c.ClickID != "é" {
		t.Fatalf("got %+v", c)
	}
	if got := c.AttributionClickIDs(); got != [2]string{"é", "abc"} {
		t.Fatalf("AttributionClickIDs %q", got)
	}
	c.ClickID = ""
	if got := c.AttributionClickIDs(); got != [2]string{"abc", ""} {
		t.Fatalf("AttributionClickIDs from the referrer alone %q", got)
	}
}

func TestConversionTypeString(t *testing.T) {
	for _, tt := range []struct {
		t    ConversionType
		want string
	}{{ConversionInstall, "install"}, {ConversionSignup, "signup"}, {ConversionEvent, "event"}, {0, ""}, {9, "ConversionType(9)"}} {
		if got := tt.t.String(); got != tt.want {
			t.Errorf("%d: %q, want %q", tt.t, got, tt.want)
		}
		if tt.t >= 1 && tt.t <= 3 {
			if back, ok := ParseConversionType(strings.ToUpper(tt.want)); !ok || back != tt.t {
				t.Errorf("ParseConversionType(%q) = %v, %v", tt.want, back, ok)
			}
		}
	}
	if _, ok := ParseConversionType("installs"); ok {
		t.Error("ParseConversionType accepted installs")
	}
}
