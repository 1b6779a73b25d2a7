package tracker

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// maxReferrerLen bounds install_referrer: it wraps a click_id of up to
// MaxConvFieldLen bytes, URL-encoded ("click_id=<id>&c=<campaign>"), which
// may take three times the id's length, or five when an app forwards it
// still encoded once more, and is cut only past this.
const maxReferrerLen = 6 * MaxConvFieldLen

// Tidy makes a conversion's descriptive values storable rather than a
// reason to refuse it, as the click path does: CONTRACT §4 lists what a 400
// is for, and a long user agent (some in-app browsers send one) or a
// platform other than android and ios is not among it. Each descriptive
// string longer than MaxConvFieldLen is cut to its first MaxConvFieldLen
// bytes at a UTF-8 boundary: a cut click_id or device id matches no click
// (a click's oversize id is flagged and never matches), a cut user agent
// still names its platform. A platform that is neither android nor ios is
// dropped, so the user agent's or the click's is used. Identifiers
// (install_id, event_id, event_name), revenue and currency are left to
// Validate, which refuses them: a cut identifier could merge two
// conversions, and a long amount or code is no amount or code.
func (c *Conversion) Tidy() {
	// cut only gains bits (the parsers start from a zero Conversion): a
	// second Tidy changes nothing, as FuzzParseConversionJSON checks.
	for _, f := range [...]struct {
		p   *string
		cut uint8 // the identifying ones: a cut one names no click
	}{
		{&c.ClickID, cutClickID}, {&c.App, 0},
		{&c.GAID, cutGAID}, {&c.IDFA, cutIDFA}, {&c.OAID, cutOAID},
		{&c.IP, 0}, {&c.UserAgent, 0}, {&c.Country, 0}, {&c.AppVersion, 0},
	} {
		if len(*f.p) > MaxConvFieldLen {
			*f.p = cutString(*f.p, MaxConvFieldLen)
			c.cut |= f.cut
		}
	}
	// The referrer wraps a click_id of up to 512 bytes, encoded: it may be
	// about three times as long as the id and still name a valid click.
	if len(c.InstallReferrer) > maxReferrerLen {
		c.InstallReferrer = cutString(c.InstallReferrer, maxReferrerLen)
		c.cut |= cutReferrer
	}
	if p := c.Platform; p != "" && !convEqualFold(p, "android") && !convEqualFold(p, "ios") {
		c.Platform = ""
	}
}

// cutString returns s cut to at most n bytes, at a UTF-8 boundary.
func cutString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Validate checks the rules of a conversion that parsing alone cannot (run
// it after Tidy, as the handlers do) and
// returns the first one broken, as a *FieldError, in this order: type,
// install_id, event_name, event_id, event_time, the other strings' lengths,
// platform, revenue, currency. now is the receiving time; event_time may be
// at most one hour after it (clocks drift; more is a bad clock or a unit
// mistake such as milliseconds). Validate does not change c and does not
// allocate unless it fails.
func (c *Conversion) Validate(now time.Time) error {
	switch c.Type {
	case ConversionInstall, ConversionSignup, ConversionEvent:
	case 0:
		return &FieldError{Field: "type", Msg: "missing"}
	default:
		return &FieldError{Field: "type", Msg: "unknown type " + strconv.Quote(c.Type.String())}
	}
	if c.InstallID == "" {
		return &FieldError{Field: "install_id", Msg: "missing"}
	}
	if len(c.InstallID) > MaxInstallIDLen {
		return convOversize("install_id", MaxInstallIDLen)
	}
	if c.Type == ConversionEvent && c.EventName == "" {
		return &FieldError{Field: "event_name", Msg: "required for type event"}
	}
	if len(c.EventName) > MaxEventNameLen {
		return convOversize("event_name", MaxEventNameLen)
	}
	if len(c.EventID) > MaxEventIDLen {
		return convOversize("event_id", MaxEventIDLen)
	}
	if c.EventTime < 0 {
		return &FieldError{Field: "event_time", Msg: "negative"}
	}
	if c.EventTime > now.Unix()+convMaxFutureSeconds {
		return &FieldError{Field: "event_time", Msg: "more than 1 h in the future (unix seconds expected)"}
	}
	if c.InstallBeginTime < 0 {
		return &FieldError{Field: "install_begin_time", Msg: "negative"}
	}
	if c.InstallBeginTime > now.Unix()+convMaxFutureSeconds {
		return &FieldError{Field: "install_begin_time", Msg: "more than 1 h in the future (unix seconds expected)"}
	}
	if at := c.EventTime; c.InstallBeginTime > 0 {
		if at == 0 {
			at = now.Unix()
		}
		if c.InstallBeginTime > at {
			// The download begins before the app's first launch.
			return &FieldError{Field: "install_begin_time", Msg: "after event_time"}
		}
	}
	others := [...]struct{ name, v string }{
		{"click_id", c.ClickID},
		{"app", c.App},
		{"platform", c.Platform},
		{"gaid", c.GAID},
		{"idfa", c.IDFA},
		{"oaid", c.OAID},
		{"ip", c.IP},
		{"user_agent", c.UserAgent},
		{"country", c.Country},
		{"app_version", c.AppVersion},
		{"revenue", c.Revenue.digits},
		{"currency", c.Currency},
	}
	if len(c.InstallReferrer) > maxReferrerLen {
		return convOversize("install_referrer", maxReferrerLen)
	}
	for _, o := range others {
		if len(o.v) > MaxConvFieldLen {
			return convOversize(o.name, MaxConvFieldLen)
		}
	}
	if p := c.Platform; p != "" && !convEqualFold(p, "android") && !convEqualFold(p, "ios") {
		return &FieldError{Field: "platform", Msg: "unknown platform " + convQuote(p) + " (android or ios)"}
	}
	if c.HasRevenue {
		if c.Currency == "" {
			return &FieldError{Field: "currency", Msg: "required with revenue"}
		}
		if !IsCurrency(c.Currency) {
			return &FieldError{Field: "currency", Msg: "unknown currency " + convQuote(c.Currency)}
		}
	}
	return nil
}

func convOversize(field string, max int) error {
	return &FieldError{Field: field, Msg: "oversize (max " + strconv.Itoa(max) + " bytes)"}
}
