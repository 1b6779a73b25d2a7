package dispatch

import (
	"slices"
	"testing"
)

// testValues is a conversion whose values exercise encoding: C1 of the
// corpus plus distinct values for every alias target and extension.
func testValues() *Values {
	var v Values
	for name, val := range map[string]string{
		"click_id":       "a1b2 c3&d",
		"install_id":     "inst_7f3a9c",
		"event_id":       "evt_0001",
		"event_name":     "purchase",
		"event_time":     "1764115200",
		"event_time_iso": "2025-11-26T00:00:00Z",
		"revenue":        "9.99",
		"currency":       "USD",
		"platform":       "android",
		"advertising_id": "38400000-8cf0-11bd-b23e-10b96e40000d",
		"gaid":           "38400000-8cf0-11bd-b23e-10b96e40000d",
		"ip":             "2001:db8::1",
		"country":        "IN",
		"app_id":         "com.example.app",
		"app_version":    "3.0 (45)",
		"campaign_id":    "OgWmhiSXhG",
		"campaign_name":  "Diwali Sale 50% off & more",
		"sub1":           "newsletter",
		"sub2":           "café ☕",
		"sub3":           "a+b=c%d",
		"sub4":           "s4/v",
		"timestamp":      "1764115260",
		"aff_id":         "4471",
		"pub_id":         "site_209",
		"offer_id":       "88",
		"creative_id":    "cr#1",
		"click_time":     "1764110000",
		"match_type":     "click_id",
	} {
		m, ok := LookupMacroString(name)
		if !ok {
			panic("BUG: " + name + " is not a macro")
		}
		v.SetString(m, val)
	}
	return &v // idfa, oaid and sub5 stay unset.
}

func TestAppendURL(t *testing.T) {
	v := testValues()
	f := func(tmpl, want string) {
		t.Helper()
		got := string(CompileTemplate(tmpl).AppendURL(nil, v))
		if got != want {
			t.Errorf("AppendURL(%q)\n got %q\nwant %q", tmpl, got, want)
		}
	}
	// Values are percent-encoded, upper-case hex, space as %20, in path and
	// query alike.
	f("{click_id}", "a1b2%20c3%26d")
	f("https://p.example/pb/{click_id}/{sub4}?c={click_id}", "https://p.example/pb/a1b2%20c3%26d/s4%2Fv?c=a1b2%20c3%26d")
	f("{sub3}", "a%2Bb%3Dc%25d")
	f("{campaign_name}", "Diwali%20Sale%2050%25%20off%20%26%20more")
	f("{ip}", "2001%3Adb8%3A%3A1")
	f("{event_time_iso}", "2025-11-26T00%3A00%3A00Z")
	f("{creative_id}", "cr%231")
	f("{app_version}", "3.0%20%2845%29")
	// Unicode: each UTF-8 byte encoded.
	f("{sub2}", "caf%C3%A9%20%E2%98%95")
	// RFC 3986 unreserved bytes pass through.
	f("{gaid}", "38400000-8cf0-11bd-b23e-10b96e40000d")
	// Recognised macro with no value (unset) renders empty.
	f("a={idfa}&b={oaid}&c={sub5}", "a=&b=&c=")
	// Aliases render their canonical value.
	f("{tid}|{event}|{sale_amount}|{amount}|{s2}|{s3}|{s4}", "a1b2%20c3%26d|purchase|9.99|9.99|caf%C3%A9%20%E2%98%95|a%2Bb%3Dc%25d|s4%2Fv")
	// Extensions.
	f("{timestamp}|{aff_id}|{pub_id}|{offer_id}|{click_time}|{match_type}", "1764115260|4471|site_209|88|1764110000|click_id")
	// Unknown names, click-URL aliases and other vendors' names stay.
	f("{foo}&{clickid}&{s1}&{s5}&{user_agent}", "{foo}&{clickid}&{s1}&{s5}&{user_agent}")
	// Upper case is not a macro.
	f("{CLICK_ID}{Click_id}{click_ID}", "{CLICK_ID}{Click_id}{click_ID}")
	// Spaces and other bytes inside the braces: not a name.
	f("{ click_id}{click_id }{click-id}{click id}{click.id}", "{ click_id}{click_id }{click-id}{click id}{click.id}")
	// Empty, lone, unbalanced and nested braces.
	f("{}", "{}")
	f("{", "{")
	f("}", "}")
	f("{{}}", "{{}}")
	f("{click_id", "{click_id")
	f("click_id}", "click_id}")
	f("{{click_id}}", "{a1b2%20c3%26d}")
	f("}{click_id}{", "}a1b2%20c3%26d{")
	f("{foo{click_id}}", "{fooa1b2%20c3%26d}")
	f("{click_id{click_id}", "{click_ida1b2%20c3%26d")
	f("{{{{", "{{{{")
	// Adjacent macros.
	f("{click_id}{event_name}", "a1b2%20c3%26dpurchase")
	// Other vendors' syntaxes: only a {name} of ours inside them is replaced.
	f("${click_id}", "$a1b2%20c3%26d")
	f("${ (event_data.cg)!}", "${ (event_data.cg)!}")
	f("(idfa)[clickid]#s2#%%CLICK_ID%%", "(idfa)[clickid]#s2#%%CLICK_ID%%")
	f("{{click_id}}", "{a1b2%20c3%26d}")
	// Template literals are never normalised or re-encoded.
	f("https://x.example/a b?r=https%3a%2F%2Fy&p=a+b&u=é&h=%7e#frag {event}",
		"https://x.example/a b?r=https%3a%2F%2Fy&p=a+b&u=é&h=%7e#frag purchase")
	// Templates without macros, and the empty template.
	f("https://p.example/pb?x=1", "https://p.example/pb?x=1")
	f("", "")
}

func TestAppendURLOnePass(t *testing.T) {
	var v Values
	v.SetString(MacroClickID, "{click_id}")
	v.SetString(MacroSub1, "{sub2}")
	v.SetString(MacroSub2, "x")
	tmpl := CompileTemplate("{click_id}|{sub1}")
	if got, want := string(tmpl.AppendURL(nil, &v)), "%7Bclick_id%7D|%7Bsub2%7D"; got != want {
		t.Errorf("AppendURL = %q; want %q", got, want)
	}
	// JSON leaves braces raw, which shows most plainly that a value is
	// never expanded again.
	if got, want := string(tmpl.AppendJSON(nil, &v)), "{click_id}|{sub2}"; got != want {
		t.Errorf("AppendJSON = %q; want %q", got, want)
	}
}

func TestAppendNilAndEmptyValues(t *testing.T) {
	tmpl := CompileTemplate("a={click_id}&b={foo}&c={tid}")
	want := "a=&b={foo}&c="
	if got := string(tmpl.AppendURL(nil, nil)); got != want {
		t.Errorf("AppendURL(nil Values) = %q; want %q", got, want)
	}
	if got := string(tmpl.AppendJSON(nil, &Values{})); got != want {
		t.Errorf("AppendJSON(empty Values) = %q; want %q", got, want)
	}
	var v Values
	v.Set(MacroClickID, []byte{})
	if got := string(tmpl.AppendURL(nil, &v)); got != want {
		t.Errorf("AppendURL(click_id set empty) = %q; want %q", got, want)
	}
}

func TestAppendKeepsDst(t *testing.T) {
	tmpl := CompileTemplate("?c={click_id}")
	v := testValues()
	if got, want := string(tmpl.AppendURL([]byte("https://x"), v)), "https://x?c=a1b2%20c3%26d"; got != want {
		t.Errorf("AppendURL = %q; want %q", got, want)
	}
	if got, want := string(tmpl.AppendJSON([]byte("["), v)), "[?c=a1b2 c3&d"; got != want {
		t.Errorf("AppendJSON = %q; want %q", got, want)
	}
}

func TestAppendJSON(t *testing.T) {
	f := func(val, want string) {
		t.Helper()
		var v Values
		v.SetString(MacroClickID, val)
		got := string(CompileTemplate(`{"click_id":"{click_id}","n":{foo}}`).AppendJSON(nil, &v))
		want = `{"click_id":"` + want + `","n":{foo}}`
		if got != want {
			t.Errorf("AppendJSON(%q)\n got %s\nwant %s", val, got, want)
		}
	}
	f("a1b2 c3&d", "a1b2 c3&d")
	f(`say "hi"`, `say \"hi\"`)
	f(`C:\path`, `C:\\path`)
	f("a\nb\rc\td\be\ff", `a\nb\rc\td\be\ff`)
	f("\x00\x01\x1f", `\u0000\u0001\u001f`)
	f("\x7f", "\x7f") // DEL needs no escape in JSON
	f("<b>&amp;</b>", "<b>&amp;</b>")
	f("/slash", "/slash")
	f("café ☕ 😀", "café ☕ 😀")
	f("\xff", `\ufffd`)
	f("a\xc3", `a\ufffd`)
	f("\xe2\x98", `\ufffd\ufffd`)
	f("\xed\xa0\x80", `\ufffd\ufffd\ufffd`) // a UTF-16 surrogate is not UTF-8
	f("x\u2028y\u2029z", `x\u2028y\u2029z`)
	f("{click_id}", "{click_id}")
	f("", "")
}

func TestTemplateMacros(t *testing.T) {
	f := func(tmpl string, want []Macro, unknown []string) {
		t.Helper()
		tp := CompileTemplate(tmpl)
		if tp.String() != tmpl {
			t.Errorf("String() = %q; want %q", tp.String(), tmpl)
		}
		if got := tp.Macros(); !slices.Equal(got, want) {
			t.Errorf("Macros(%q) = %v; want %v", tmpl, got, want)
		}
		for _, m := range AllMacros() {
			if got := tp.Uses(m); got != slices.Contains(want, m) {
				t.Errorf("Uses(%q, %v) = %v", tmpl, m, got)
			}
		}
		if got := tp.UnknownMacros(); !slices.Equal(got, unknown) {
			t.Errorf("UnknownMacros(%q) = %q; want %q", tmpl, got, unknown)
		}
	}
	f("", nil, nil)
	f("https://x/?a=1", nil, nil)
	f("{click_id}&{tid}&{event}&{s2}&{timestamp}", []Macro{MacroClickID, MacroClickID, MacroEventName, MacroSub2, MacroTimestamp}, nil)
	f("{clickid}{CLICK_ID}{ x}{}{foo{sub1}}", []Macro{MacroSub1}, []string{"{clickid}"})
	f("?c={click_id}&p={payout}&s={status}", []Macro{MacroClickID}, []string{"{payout}", "{status}"})
	if CompileTemplate("{click_id}").Uses(Macro(0)) || CompileTemplate("{click_id}").Uses(Macro(99)) {
		t.Error("Uses of an invalid macro is true")
	}
}
