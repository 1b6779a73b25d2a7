package tracker

import (
	"net/netip"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/store"
)

// ClickInput is one click being parsed. The handler pools it and calls Reset
// before each use, so Parse allocates nothing after warm-up.
//
// The values of Click point into scratch, an arena owned by the input: they
// stay valid until Reset, and each is capped at its own end, so appending to
// one copies it instead of writing over its neighbour.
type ClickInput struct {
	Click store.Click
	// Campaign is ?c= as received, aliasing the args given to Parse (the
	// handler may instead set it from the path segment). Parse leaves
	// Click.Campaign alone: the handler points it at the campaign it found.
	Campaign []byte
	// ClickTime is the raw click_time (GET /v1/click), unparsed, aliasing
	// the args given to Parse.
	ClickTime []byte
	// ImpressionTime and ViewLookback are impression_time and vt_lookback
	// (GET /v1/impression), unparsed, aliasing the args given to Parse.
	ImpressionTime, ViewLookback []byte
	// Redirect is redirect= (or af_r=) as received, aliasing the args
	// given to Parse: where the link asks the user to be sent instead of
	// the app's URL (an extension; see RedirectAllowed). Not stored.
	Redirect []byte

	// impressionID is impression_id as received (GET /v1/impression).
	impressionID []byte

	scratch []byte
}

// Reset clears in for the next click, keeping the arena's capacity. The
// values of the previous Click are overwritten by the next Parse.
func (in *ClickInput) Reset() {
	in.Click.Reset()
	in.Campaign = nil
	in.ClickTime = nil
	in.Redirect = nil
	in.ImpressionTime, in.ViewLookback = nil, nil
	in.impressionID = nil
	in.scratch = in.scratch[:0]
}

// field is a click value that query parameters can set; several parameter
// names map to one field.
type field uint8

const (
	fieldNone field = iota
	fieldCampaign
	fieldClickTime
	fieldRedirect // not stored: fields from fieldClickID on are
	fieldImpressionTime
	fieldViewLookback
	fieldClickID
	fieldImpressionID // kept by the impression handler only
	fieldAffID
	fieldPubID
	fieldOfferID
	fieldCreativeID
	fieldSub1
	fieldSub2
	fieldSub3
	fieldSub4
	fieldSub5
	fieldGAID
	fieldIDFA
	fieldOAID
	// fieldAdvertisingID is an alias of gaid or idfa; which one depends on
	// the platform, known only once the whole query has been read.
	fieldAdvertisingID
	fieldIP
	fieldUserAgent
	fieldDeepLink
	numFields
)

// lookupParam maps a parameter name (CONTRACT §3) to the field it sets, and
// says whether the name is an alias, which yields to the named parameter.
func lookupParam(name []byte) (f field, alias bool) {
	switch string(name) { // the compiler makes no string here
	case "c":
		return fieldCampaign, false
	case "click_time":
		return fieldClickTime, false
	case "click_id":
		return fieldClickID, false
	case "tid", "clickid":
		return fieldClickID, true
	case "aff_id":
		return fieldAffID, false
	case "pub_id":
		return fieldPubID, false
	case "offer_id":
		return fieldOfferID, false
	case "creative_id":
		return fieldCreativeID, false
	case "sub1":
		return fieldSub1, false
	case "sub2":
		return fieldSub2, false
	case "sub3":
		return fieldSub3, false
	case "sub4":
		return fieldSub4, false
	case "sub5":
		return fieldSub5, false
	case "af_sub1":
		return fieldSub1, true
	case "s2", "af_sub2":
		return fieldSub2, true
	case "s3", "af_sub3":
		return fieldSub3, true
	case "s4", "af_sub4":
		return fieldSub4, true
	case "af_sub5":
		return fieldSub5, true
	case "gaid":
		return fieldGAID, false
	case "idfa":
		return fieldIDFA, false
	case "oaid":
		return fieldOAID, false
	case "advertising_id":
		return fieldAdvertisingID, true
	case "ip":
		return fieldIP, false
	case "af_ip":
		return fieldIP, true
	case "user_agent":
		return fieldUserAgent, false
	case "af_ua", "ua":
		return fieldUserAgent, true
	case "impression_id": // GET /v1/impression (an extension)
		return fieldImpressionID, false
	case "impression_time":
		return fieldImpressionTime, false
	case "vt_lookback":
		return fieldViewLookback, false
	case "redirect": // an extension (per-link redirects): Adjust's name
		return fieldRedirect, false
	case "af_r": // AppsFlyer's
		return fieldRedirect, true
	case "deep_link": // an extension (deferred deep linking): Adjust's name
		return fieldDeepLink, false
	case "deep_link_value", "af_dp": // AppsFlyer's
		return fieldDeepLink, true
	}
	return fieldNone, false
}

// reserveAfterParse is room left in the arena for what the handler adds
// after Parse when the query had none: a client IP (at most 45 bytes) and a
// generated click id.
const reserveAfterParse = 128 + len(ImpressionIDPrefix)

// maxOSVersionLen bounds the OS versions ParseUserAgent returns ("NNN.NNN").
const maxOSVersionLen = 7

// Parse reads every parameter and alias of CONTRACT §3, and the deep link
// (an extension: deep_link, deep_link_value, af_dp), from args, fasthttp's
// query args (decoded once by fasthttp), into in.Click. headerUA is the
// request's User-Agent header, stored when no user_agent, af_ua or ua
// parameter is present.
//
// Choice: a named parameter wins over its aliases whatever their order;
// otherwise the first occurrence wins. An empty value counts as absent, and
// so does an all-zero advertising id (gaid, idfa, oaid, advertising_id): a
// later repeat or an alias may then supply one. Unknown parameters are
// ignored.
//
// What it sets: every value of Click it found, each through AppendSanitized
// with its flags OR-ed into Click.Flags (FlagInvalidID too when the click_id
// itself was flagged); Platform and OSVersion from the stored user agent;
// Campaign and ClickTime. advertising_id fills GAID on Android and IDFA on
// iOS; on an unknown platform it fills IDFA when it looks like an upper-case
// UUID (how iOS writes the IDFA) and GAID otherwise. It never overrides gaid
// or idfa sent by name. Other fields and the flags already set are left
// alone, so the handler may set them before or after.
//
// FlagBot is set when either the stored user agent or headerUA is a bot's: a
// link whose ua parameter the network filled in for a person is still
// fetched by Slack's or WhatsApp's preview bot when pasted into a chat, and
// the header says who actually fetched it. So the S2S handler must pass nil:
// its header names the partner's server (Go-http-client, python-requests),
// not the device.
func (in *ClickInput) Parse(args *fasthttp.Args, headerUA []byte) {
	var named, aliased [numFields][]byte
	if args != nil {
		for key, value := range args.All() {
			f, alias := lookupParam(key)
			if f == fieldNone || len(value) == 0 || isAdIDField(f) && isZeroID(value) {
				continue
			}
			if alias {
				if aliased[f] == nil {
					aliased[f] = value
				}
			} else if named[f] == nil {
				named[f] = value
			}
		}
	}
	var chosen [numFields][]byte
	for f := range chosen {
		chosen[f] = named[f]
		if chosen[f] == nil {
			chosen[f] = aliased[f]
		}
	}
	if chosen[fieldCampaign] != nil {
		in.Campaign = chosen[fieldCampaign]
	}
	if chosen[fieldClickTime] != nil {
		in.ClickTime = chosen[fieldClickTime]
	}
	in.Redirect = chosen[fieldRedirect]
	in.ImpressionTime, in.ViewLookback = chosen[fieldImpressionTime], chosen[fieldViewLookback]
	in.impressionID = chosen[fieldImpressionID]
	ua, fromHeader := chosen[fieldUserAgent], false
	if ua == nil && len(headerUA) > 0 {
		ua, fromHeader = headerUA, true
	}
	in.reserve(&chosen, ua)

	c := &in.Click
	if ua != nil {
		c.UserAgent = in.keep(ua)
		// Read the stored copy so OSVersion points into the arena too.
		c.Platform, c.OSVersion = ParseUserAgent(c.UserAgent)
		if c.Platform == store.PlatformUnknown && !fromHeader && len(headerUA) > 0 {
			// A user_agent parameter that names no platform (one left as a
			// macro: af_ua={declared_user_agent}, corpus tl017) must not
			// send a phone to the web URL: the platform, which picks the
			// store and the Play referrer that carries the click_id, is the
			// browser's own, and so is the OS version fingerprinting
			// compares. The stored user agent stays the parameter's.
			if p, osv := ParseUserAgent(headerUA); p != store.PlatformUnknown {
				c.Platform, c.OSVersion = p, in.keep(osv)
			}
		}
	}
	if IsBot(ua) || !fromHeader && IsBot(headerUA) {
		c.Flags |= store.FlagBot
	}

	if adID := chosen[fieldAdvertisingID]; adID != nil {
		target := fieldGAID
		switch {
		case c.Platform == store.PlatformIOS:
			target = fieldIDFA
		case c.Platform == store.PlatformUnknown && isUpperUUID(adID):
			target = fieldIDFA
		}
		if chosen[target] == nil {
			chosen[target] = adID
		}
	}

	if v := chosen[fieldClickID]; v != nil {
		var flags store.ClickFlags
		c.ClickID, flags = in.keepFlags(v)
		if flags != 0 {
			c.Flags |= store.FlagInvalidID
		}
	}
	in.keepInto(&c.AffID, chosen[fieldAffID])
	in.keepInto(&c.PubID, chosen[fieldPubID])
	in.keepInto(&c.OfferID, chosen[fieldOfferID])
	in.keepInto(&c.CreativeID, chosen[fieldCreativeID])
	for i := range c.Sub {
		in.keepInto(&c.Sub[i], chosen[fieldSub1+field(i)])
	}
	in.keepInto(&c.GAID, chosen[fieldGAID])
	in.keepInto(&c.IDFA, chosen[fieldIDFA])
	in.keepInto(&c.OAID, chosen[fieldOAID])
	in.keepInto(&c.IP, chosen[fieldIP])
	in.keepInto(&c.DeepLink, chosen[fieldDeepLink])
}

// SetImpressionID sets Click.ClickID to ImpressionIDPrefix and the
// impression's id: impression_id, else the click_id (or its aliases) Parse
// read, else one made by g; an id flagged as it is kept marks the
// impression FlagInvalidID. It returns the id without its prefix.
func (in *ClickInput) SetImpressionID(g *ClickIDGen, now time.Time) []byte {
	c := &in.Click
	start := len(in.scratch)
	in.scratch = append(in.scratch, ImpressionIDPrefix...)
	switch {
	case in.impressionID != nil:
		// The impression's id: a click_id sent beside it, flagged or not,
		// is not, and must not make it uncreditable.
		c.Flags &^= store.FlagInvalidID
		var flags store.ClickFlags
		in.scratch, flags = AppendSanitized(in.scratch, in.impressionID)
		c.Flags |= flags
		if flags != 0 {
			c.Flags |= store.FlagInvalidID
		}
	case c.ClickID != nil:
		in.scratch = append(in.scratch, c.ClickID...) // sanitised by Parse
	default:
		in.scratch = g.Append(in.scratch, now)
		c.Flags |= store.FlagGeneratedID
	}
	end := len(in.scratch)
	c.ClickID = in.scratch[start:end:end]
	return c.ClickID[len(ImpressionIDPrefix):]
}

// ImpressionIDPrefix and LegacyImpressionIDPrefix are the store's (see
// store.ImpressionIDPrefix).
const (
	ImpressionIDPrefix       = store.ImpressionIDPrefix
	LegacyImpressionIDPrefix = store.LegacyImpressionIDPrefix
)

// ShownClickID is a stored click's id as the admin API shows it: an
// impression's as "imp:" and its id.
func ShownClickID(stored string) string {
	if id, ok := strings.CutPrefix(stored, ImpressionIDPrefix); ok {
		return LegacyImpressionIDPrefix + id
	}
	return stored
}

// ImpressionStoredID is the stored id of the impression an admin API path
// names as "imp:" and its id; ok is false for any other id.
func ImpressionStoredID(shown string) (stored string, ok bool) {
	id, ok := strings.CutPrefix(shown, LegacyImpressionIDPrefix)
	if !ok {
		return "", false
	}
	return ImpressionIDPrefix + id, true
}

// SetClientIP sets Click.IP, when Parse found no ip parameter, to the
// address ClientIP picks.
func (in *ClickInput) SetClientIP(peer netip.Addr, header []byte, trusted []netip.Prefix) {
	in.SetClientIPLines(peer, [][]byte{header}, trusted)
}

// SetClientIPLines is SetClientIP for a header sent on several lines, in
// the order received (see ClientIPLines).
func (in *ClickInput) SetClientIPLines(peer netip.Addr, lines [][]byte, trusted []netip.Prefix) {
	if in.Click.IP != nil {
		return
	}
	start := len(in.scratch)
	in.scratch = ClientIPLines(peer, lines, trusted, in.scratch)
	if end := len(in.scratch); end > start {
		in.Click.IP = in.scratch[start:end:end]
	}
}

// GenerateClickID sets Click.ClickID, when the click came without one, to a new
// id from g and flags the click FlagGeneratedID.
func (in *ClickInput) GenerateClickID(g *ClickIDGen, now time.Time) {
	if in.Click.ClickID != nil {
		return
	}
	start := len(in.scratch)
	in.scratch = g.Append(in.scratch, now)
	end := len(in.scratch)
	in.Click.ClickID = in.scratch[start:end:end]
	in.Click.Flags |= store.FlagGeneratedID
}

// reserve grows the arena once, before anything is written to it, to hold
// every value this click can store: a sanitised value is at most three times
// its input (each bad byte becomes three) and at most store.MaxValueLen.
// Values already handed out stay valid whatever happens (each is capped, and
// a grown arena leaves the old one to them), but growing mid-parse would
// allocate on every large click.
func (in *ClickInput) reserve(chosen *[numFields][]byte, ua []byte) {
	need := reserveAfterParse + storedLen(ua) + maxOSVersionLen // the header's OS version, when ua names no platform
	for f := fieldClickID; f < numFields; f++ {
		if f != fieldUserAgent {
			need += storedLen(chosen[f])
		}
	}
	if cap(in.scratch)-len(in.scratch) >= need {
		return
	}
	grown := make([]byte, len(in.scratch), max(2*cap(in.scratch), len(in.scratch)+need))
	copy(grown, in.scratch)
	in.scratch = grown
}

func storedLen(v []byte) int {
	return min(3*len(v), store.MaxValueLen)
}

// keepFlags appends the sanitised v to the arena and returns it, capped at
// its end, with its flags OR-ed into the click's.
func (in *ClickInput) keepFlags(v []byte) ([]byte, store.ClickFlags) {
	start := len(in.scratch)
	var flags store.ClickFlags
	in.scratch, flags = AppendSanitized(in.scratch, v)
	in.Click.Flags |= flags
	end := len(in.scratch)
	return in.scratch[start:end:end], flags
}

func (in *ClickInput) keep(v []byte) []byte {
	kept, _ := in.keepFlags(v)
	return kept
}

// keepInto stores v in *dst when it is present.
func (in *ClickInput) keepInto(dst *[]byte, v []byte) {
	if v != nil {
		*dst = in.keep(v)
	}
}

func isAdIDField(f field) bool {
	return f == fieldGAID || f == fieldIDFA || f == fieldOAID || f == fieldAdvertisingID
}

// isZeroID reports whether v is an all-zero advertising id
// ("00000000-0000-0000-0000-000000000000", or the zeros alone): what a device
// sends when the user has limited ad tracking. Stored, it would match every
// such device to one click.
func isZeroID(v []byte) bool {
	zeros := 0
	for _, c := range v {
		switch c {
		case '0':
			zeros++
		case '-':
		default:
			return false
		}
	}
	return zeros > 0
}

// isUpperUUID reports whether v is 8-4-4-4-12 hex digits with no lower-case
// letter, as iOS writes the IDFA; Android writes the GAID in lower case.
func isUpperUUID(v []byte) bool {
	if !isGUID(v) {
		return false
	}
	for _, c := range v {
		if 'a' <= c && c <= 'f' {
			return false
		}
	}
	return true
}
