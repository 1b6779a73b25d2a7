package tracker

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Seeds beyond these live in testdata/fuzz/<FuzzName>/.

func FuzzParseConversionJSON(f *testing.F) {
	f.Add([]byte(convPurchaseJSON))
	f.Add([]byte(`{"type":"install","install_id":"i","x":{"a":[1,{"b":null}]},"install\u005fid":"\ud83d\ude00"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var c Conversion
		err := ParseConversionJSON(body, &c)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is a %T, not a *FieldError", err, err)
			}
			return
		}
		// Whatever we accept is JSON, and UTF-8 throughout.
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		if !utf8.Valid(body) {
			t.Fatalf("accepted invalid UTF-8 %q", body)
		}
		now := time.Unix(1764115200, 0)
		verr := convErrText(c.Validate(now))
		if again := convErrText(c.Validate(now)); again != verr {
			t.Fatalf("Validate is not stable: %q then %q", verr, again)
		}

		// encoding/json reads the same values (it too keeps the last of a
		// repeated key).
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("encoding/json refuses what we accepted: %v", err)
		}
		for name, got := range map[string]string{
			"install_id": c.InstallID, "event_name": c.EventName, "event_id": c.EventID,
			"click_id": c.ClickID, "install_referrer": c.InstallReferrer, "app": c.App,
			"ip": c.IP, "user_agent": c.UserAgent, "country": c.Country, "app_version": c.AppVersion,
		} {
			want := ""
			switch v := m[name].(type) {
			case string:
				want = v
			case json.Number:
				want = string(v)
			}
			if got != want {
				t.Fatalf("%s: we read %q, encoding/json %q", name, got, want)
			}
		}

		// Written back out and parsed again, it is the same conversion.
		out := convEncodeJSON(&c)
		var c2 Conversion
		if err := ParseConversionJSON(out, &c2); err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if c2 != c {
			t.Fatalf("re-parse differs:\n%+v\n%+v", c, c2)
		}
		if got := convErrText(c2.Validate(now)); got != verr {
			t.Fatalf("re-parse validates %q, original %q", got, verr)
		}

		// Tidy cuts to prefixes that are still UTF-8, and a second Tidy
		// changes nothing.
		tidy := c
		tidy.Tidy()
		for _, f := range [][2]string{
			{c.ClickID, tidy.ClickID}, {c.InstallReferrer, tidy.InstallReferrer}, {c.App, tidy.App},
			{c.GAID, tidy.GAID}, {c.IDFA, tidy.IDFA}, {c.OAID, tidy.OAID}, {c.IP, tidy.IP},
			{c.UserAgent, tidy.UserAgent}, {c.Country, tidy.Country}, {c.AppVersion, tidy.AppVersion},
		} {
			if !strings.HasPrefix(f[0], f[1]) || len(f[1]) > MaxConvFieldLen || !utf8.ValidString(f[1]) {
				t.Fatalf("Tidy cut %q to %q", f[0], f[1])
			}
		}
		again := tidy
		again.Tidy()
		if again != tidy {
			t.Fatalf("Tidy is not idempotent:\n%+v\n%+v", tidy, again)
		}
	})
}

func FuzzParseConversionForm(f *testing.F) {
	f.Add([]byte("type=event&install_id=i&event_name=purchase&revenue=9.99&currency=usd&click_id=a+b%26c"))
	f.Fuzz(func(t *testing.T, body []byte) {
		var c Conversion
		if err := ParseConversionForm(body, &c); err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is a %T, not a *FieldError", err, err)
			}
			return
		}
		// url.Values writes what we read; reading it again gives the same.
		v := url.Values{}
		for name, s := range convFieldMap(&c) {
			v.Set(name, s)
		}
		var c2 Conversion
		if err := ParseConversionForm([]byte(v.Encode()), &c2); err != nil {
			t.Fatalf("re-parse of %s: %v", v.Encode(), err)
		}
		if c2 != c {
			t.Fatalf("re-parse differs:\n%+v\n%+v", c, c2)
		}
	})
}

var convPlainDecimal = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"9.995", "-0.005", "1.00499999999999999999", "999999999999999.999", "1e5", "00012.30"} {
		f.Add(s)
	}
	limit := new(big.Rat).SetInt64(1_000_000_000_000_000)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDecimal(s)
		if !convPlainDecimal.MatchString(s) {
			if err == nil {
				t.Fatalf("accepted %q", s)
			}
			return
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("big.Rat refuses %q", s)
		}
		inRange := new(big.Rat).Abs(r).Cmp(limit) < 0
		if inRange != (err == nil) {
			t.Fatalf("%q: err %v, in range %v", s, err, inRange)
		}
		if err != nil {
			return
		}
		if got, want := string(d.AppendFixed2(nil)), convRatFixed2(r); got != want {
			t.Fatalf("%q: AppendFixed2 %q, big.Rat %q", s, got, want)
		}
		back, err := ParseDecimal(d.String())
		if err != nil || back != d {
			t.Fatalf("%q: String %q does not parse back: %v", s, d.String(), err)
		}
		if r2, _ := new(big.Rat).SetString(d.String()); r2.Cmp(r) != 0 {
			t.Fatalf("%q: String %q changes the value", s, d.String())
		}
	})
}

func FuzzClickIDFromReferrer(f *testing.F) {
	f.Add("click_id%3Da1b2%2520c3%2526d%26c%3Ddemo")
	f.Fuzz(func(t *testing.T, ref string) {
		if id := ClickIDFromReferrer(ref); !utf8.ValidString(id) {
			t.Fatalf("%q gives invalid UTF-8 %q", ref, id)
		}
	})
}

func convErrText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// convFieldMap is c's fields by wire name, absent ones left out.
func convFieldMap(c *Conversion) map[string]string {
	m := map[string]string{}
	add := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	add("type", c.Type.String())
	add("install_id", c.InstallID)
	add("event_name", c.EventName)
	add("event_id", c.EventID)
	if c.EventTime != 0 {
		m["event_time"] = strconv.FormatInt(c.EventTime, 10)
	}
	if c.InstallBeginTime != 0 {
		m["install_begin_time"] = strconv.FormatInt(c.InstallBeginTime, 10)
	}
	add("click_id", c.ClickID)
	add("install_referrer", c.InstallReferrer)
	add("app", c.App)
	add("platform", c.Platform)
	add("gaid", c.GAID)
	add("idfa", c.IDFA)
	add("oaid", c.OAID)
	add("ip", c.IP)
	add("user_agent", c.UserAgent)
	add("country", c.Country)
	add("app_version", c.AppVersion)
	if c.HasRevenue {
		m["revenue"] = c.Revenue.String()
	}
	add("currency", c.Currency)
	return m
}

// convEncodeJSON writes c as a conversion JSON object, event_time and revenue
// as numbers.
func convEncodeJSON(c *Conversion) []byte {
	m := map[string]any{}
	for k, v := range convFieldMap(c) {
		m[k] = v
	}
	if c.EventTime != 0 {
		m["event_time"] = c.EventTime
	}
	if c.InstallBeginTime != 0 {
		m["install_begin_time"] = c.InstallBeginTime
	}
	if c.HasRevenue {
		m["revenue"] = json.Number(c.Revenue.String())
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}
