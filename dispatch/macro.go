package dispatch

import "strconv"

// Macro is the canonical id of a postback macro. Aliases resolve to their
// canonical id when a template is compiled, so rendering never sees a name.
// The zero Macro is not a macro.
type Macro uint8

// The canonical macros, in CONTRACT §5 order. Keep names below in step.
const (
	MacroClickID Macro = iota + 1
	MacroInstallID
	MacroEventID
	MacroEventName
	MacroEventTime
	MacroEventTimeISO
	MacroRevenue
	MacroCurrency
	MacroPlatform
	MacroAdvertisingID
	MacroGAID
	MacroIDFA
	MacroOAID
	MacroIP
	MacroCountry
	MacroAppID
	MacroAppVersion
	MacroCampaignID
	MacroCampaignName
	MacroSub1
	MacroSub2
	MacroSub3
	MacroSub4
	MacroSub5
	MacroTimestamp
	MacroAffID
	MacroPubID
	MacroOfferID
	MacroCreativeID
	MacroClickTime
	MacroMatchType
	numMacros
)

// A Template records the macros it uses in a uint64 bit set.
var _ [64 - int(numMacros)]struct{}

// names holds each canonical name at its id.
var names = [numMacros]string{
	MacroClickID:       "click_id",
	MacroInstallID:     "install_id",
	MacroEventID:       "event_id",
	MacroEventName:     "event_name",
	MacroEventTime:     "event_time",
	MacroEventTimeISO:  "event_time_iso",
	MacroRevenue:       "revenue",
	MacroCurrency:      "currency",
	MacroPlatform:      "platform",
	MacroAdvertisingID: "advertising_id",
	MacroGAID:          "gaid",
	MacroIDFA:          "idfa",
	MacroOAID:          "oaid",
	MacroIP:            "ip",
	MacroCountry:       "country",
	MacroAppID:         "app_id",
	MacroAppVersion:    "app_version",
	MacroCampaignID:    "campaign_id",
	MacroCampaignName:  "campaign_name",
	MacroSub1:          "sub1",
	MacroSub2:          "sub2",
	MacroSub3:          "sub3",
	MacroSub4:          "sub4",
	MacroSub5:          "sub5",
	MacroTimestamp:     "timestamp",
	MacroAffID:         "aff_id",
	MacroPubID:         "pub_id",
	MacroOfferID:       "offer_id",
	MacroCreativeID:    "creative_id",
	MacroClickTime:     "click_time",
	MacroMatchType:     "match_type",
}

// aliases are the later Linkrunner-style names partners paste. Only these:
// {clickid} and {s1} are click-URL spellings, not postback macros, and the
// corpus (pb011, pb023) expects them left alone.
var aliases = map[string]Macro{
	"tid":         MacroClickID,
	"event":       MacroEventName,
	"sale_amount": MacroRevenue,
	"amount":      MacroRevenue,
	"s2":          MacroSub2,
	"s3":          MacroSub3,
	"s4":          MacroSub4,
}

// byName maps every recognised name, canonical or alias, to its id. A map
// indexed with string(b) does not allocate, so lookups from []byte are free.
var byName = func() map[string]Macro {
	m := make(map[string]Macro, int(numMacros)+len(aliases))
	for id := MacroClickID; id < numMacros; id++ {
		m[names[id]] = id
	}
	for name, id := range aliases {
		m[name] = id
	}
	return m
}()

// LookupMacro returns the canonical macro for a name, alias or extension
// (without braces). Names are case-sensitive: "CLICK_ID" is not a macro.
func LookupMacro(name []byte) (Macro, bool) {
	m, ok := byName[string(name)]
	return m, ok
}

// LookupMacroString is LookupMacro for a string.
func LookupMacroString(name string) (Macro, bool) {
	m, ok := byName[name]
	return m, ok
}

// String returns the canonical name, or "Macro(N)" for an id that is not a
// macro.
func (m Macro) String() string {
	if m.Valid() {
		return names[m]
	}
	return "Macro(" + strconv.Itoa(int(m)) + ")"
}

// Valid reports whether m is one of the canonical macro ids.
func (m Macro) Valid() bool { return m >= MacroClickID && m < numMacros }

// AllMacros returns every canonical macro in id order (for docs and tests).
func AllMacros() []Macro {
	ms := make([]Macro, 0, numMacros-1)
	for m := MacroClickID; m < numMacros; m++ {
		ms = append(ms, m)
	}
	return ms
}
