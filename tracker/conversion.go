package tracker

import (
	"strconv"

	"github.com/clickedge/clickedge/store"
)

// This file holds the conversion types shared by the JSON and form parsers
// (conversion_json.go, conversion_form.go), the field decoding they share
// (conversion_fields.go) and the semantic checks (conversion_validate.go).
//
// Parsing and validating are two steps on purpose: a parser answers "what did
// the client send" (syntax, encoding, one value per field, normalisation), and
// Validate answers "may we accept it" (required fields, limits, time window,
// currency). The handler runs both; the store and the replication path can
// re-run Validate on a Conversion they did not parse.

// MaxConversionBody is the largest conversion request body, single or batch.
// The handler refuses a longer body before reading it (ErrBodyTooLarge); the
// parsers check it again so that no caller can hand them more.
const MaxConversionBody = 64 << 10

// Field length limits in bytes, checked by Validate.
const (
	MaxInstallIDLen      = 256
	MaxEventNameLen      = 128
	MaxEventIDLen        = 128
	MaxConvFieldLen      = 512 // every other string field, revenue's text included
	convMaxFutureSeconds = 3600
)

// ConversionType is what a conversion reports: an install, a signup, or an
// in-app event.
type ConversionType uint8

const (
	ConversionInstall ConversionType = iota + 1
	ConversionSignup
	ConversionEvent
)

// String returns the wire name: "install", "signup" or "event"; "" for the
// zero value.
func (t ConversionType) String() string {
	switch t {
	case ConversionInstall:
		return "install"
	case ConversionSignup:
		return "signup"
	case ConversionEvent:
		return "event"
	case 0:
		return ""
	}
	return "ConversionType(" + strconv.Itoa(int(t)) + ")"
}

// ParseConversionType maps a wire name to its type, ignoring ASCII case
// ("Install" is an install). It reports false for anything else.
func ParseConversionType(s string) (ConversionType, bool) {
	return conversionTypeOf(s)
}

func conversionTypeOf[T string | []byte](s T) (ConversionType, bool) {
	switch {
	case convEqualFold(s, "install"):
		return ConversionInstall, true
	case convEqualFold(s, "signup"):
		return ConversionSignup, true
	case convEqualFold(s, "event"):
		return ConversionEvent, true
	}
	return 0, false
}

// Conversion is one parsed conversion. Its strings are never longer than what
// was sent and, when parsed, share one backing allocation.
type Conversion struct {
	Type      ConversionType
	InstallID string
	EventName string
	EventID   string // "" when absent: the caller makes one
	EventTime int64  // unix seconds; 0 when absent (the caller uses now)
	// InstallBeginTime (an extension; installs) is when the app's download
	// began, unix seconds, as Google Play's Install Referrer API reports
	// it; 0 when absent. No click after it can have caused the install.
	InstallBeginTime int64
	ClickID          string
	InstallReferrer  string
	App              string
	Platform         string // as sent, lower-cased: "android", "ios" or ""
	GAID             string // an all-zero id (limit ad tracking) is ""
	IDFA             string
	OAID             string
	IP               string
	UserAgent        string
	Country          string
	AppVersion       string
	Revenue          Decimal
	HasRevenue       bool
	Currency         string // upper-cased; "" when there is no revenue

	// cut marks the identifying fields Tidy cut (cutClickID, …): a cut id
	// names no click, as its first bytes may be another click's whole id.
	cut uint8
}

// The fields of Conversion.cut.
const (
	cutClickID = 1 << iota
	cutReferrer
	cutGAID
	cutIDFA
	cutOAID
)

// AttributionClickIDs are the click_ids to attribute by, in order: the one
// sent, then the Play install referrer's when it differs (the field wins;
// the referrer is tried when the field names no click that may be
// credited: an unexpanded macro, an id not stored). A cut id is none;
// both may be "".
func (c *Conversion) AttributionClickIDs() (ids [2]string) {
	n := 0
	if c.ClickID != "" && c.cut&cutClickID == 0 {
		ids[n] = c.ClickID
		n++
	}
	if c.cut&cutReferrer == 0 {
		if r := ClickIDFromReferrer(c.InstallReferrer); r != "" && len(r) <= MaxConvFieldLen && r != ids[0] {
			ids[n] = r
		}
	}
	return ids
}

// deviceIDCut reports whether Tidy cut the device id of kind.
func (c *Conversion) deviceIDCut(kind store.DeviceKind) bool {
	switch kind {
	case store.DeviceGAID:
		return c.cut&cutGAID != 0
	case store.DeviceIDFA:
		return c.cut&cutIDFA != 0
	case store.DeviceOAID:
		return c.cut&cutOAID != 0
	}
	return false
}

// FieldError is a client error that names the offending field by its JSON
// name ("revenue", or "body" for the request as a whole). The handler answers
// it with 400 {"error": Error()}.
type FieldError struct {
	Field, Msg string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// ErrBodyTooLarge is the answer to a body over MaxConversionBody.
var ErrBodyTooLarge = &FieldError{Field: "body", Msg: "over 64 KiB"}

// Fields in the order the parsers decode them and Validate reports them.
// Revenue precedes currency because a currency without revenue is dropped.
const (
	convFieldType = iota
	convFieldInstallID
	convFieldEventName
	convFieldEventID
	convFieldEventTime
	convFieldInstallBeginTime
	convFieldClickID
	convFieldInstallReferrer
	convFieldApp
	convFieldPlatform
	convFieldGAID
	convFieldIDFA
	convFieldOAID
	convFieldIP
	convFieldUserAgent
	convFieldCountry
	convFieldAppVersion
	convFieldRevenue
	convFieldCurrency
	numConvFields
)

var convFieldNames = [numConvFields]string{
	convFieldType:             "type",
	convFieldInstallID:        "install_id",
	convFieldEventName:        "event_name",
	convFieldEventID:          "event_id",
	convFieldEventTime:        "event_time",
	convFieldInstallBeginTime: "install_begin_time",
	convFieldClickID:          "click_id",
	convFieldInstallReferrer:  "install_referrer",
	convFieldApp:              "app",
	convFieldPlatform:         "platform",
	convFieldGAID:             "gaid",
	convFieldIDFA:             "idfa",
	convFieldOAID:             "oaid",
	convFieldIP:               "ip",
	convFieldUserAgent:        "user_agent",
	convFieldCountry:          "country",
	convFieldAppVersion:       "app_version",
	convFieldRevenue:          "revenue",
	convFieldCurrency:         "currency",
}

// maxConvKeyLen is the longest field name ("install_begin_time"); a longer key
// is unknown without being compared.
const maxConvKeyLen = 18

// convFieldOf maps a (decoded) key to its field, or -1 for an unknown key.
// Keys are case-sensitive, as the contract spells them.
func convFieldOf(k []byte) int {
	switch string(k) { // no allocation: the compiler compares in place
	case "type":
		return convFieldType
	case "install_id":
		return convFieldInstallID
	case "event_name":
		return convFieldEventName
	case "event_id":
		return convFieldEventID
	case "event_time":
		return convFieldEventTime
	case "install_begin_time":
		return convFieldInstallBeginTime
	case "click_id":
		return convFieldClickID
	case "install_referrer":
		return convFieldInstallReferrer
	case "app":
		return convFieldApp
	case "platform":
		return convFieldPlatform
	case "gaid":
		return convFieldGAID
	case "idfa":
		return convFieldIDFA
	case "oaid":
		return convFieldOAID
	case "ip":
		return convFieldIP
	case "user_agent":
		return convFieldUserAgent
	case "country":
		return convFieldCountry
	case "app_version":
		return convFieldAppVersion
	case "revenue":
		return convFieldRevenue
	case "currency":
		return convFieldCurrency
	}
	return -1
}

// setString stores a decoded string field.
func (c *Conversion) setString(f int, v string) {
	switch f {
	case convFieldInstallID:
		c.InstallID = v
	case convFieldEventName:
		c.EventName = v
	case convFieldEventID:
		c.EventID = v
	case convFieldClickID:
		c.ClickID = v
	case convFieldInstallReferrer:
		c.InstallReferrer = v
	case convFieldApp:
		c.App = v
	case convFieldPlatform:
		c.Platform = v
	case convFieldGAID:
		c.GAID = v
	case convFieldIDFA:
		c.IDFA = v
	case convFieldOAID:
		c.OAID = v
	case convFieldIP:
		c.IP = v
	case convFieldUserAgent:
		c.UserAgent = v
	case convFieldCountry:
		c.Country = v
	case convFieldAppVersion:
		c.AppVersion = v
	case convFieldCurrency:
		c.Currency = v
	}
}
