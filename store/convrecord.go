package store

import (
	"encoding/binary"
	"fmt"
)

// MatchType says how a conversion was attributed.
type MatchType uint8

const (
	MatchOrganic MatchType = iota
	MatchClickID
	MatchDeviceID
	MatchFingerprint
	// MatchPending: with replication on, a conversion held while its
	// click may still be on its way from another region (CONTRACT §8).
	MatchPending
	// MatchViewThrough (an extension): no click matched, but an impression
	// of the campaign was shown to the device within its view-through
	// window.
	MatchViewThrough
)

func (m MatchType) String() string {
	switch m {
	case MatchClickID:
		return "click_id"
	case MatchDeviceID:
		return "device_id"
	case MatchFingerprint:
		return "fingerprint"
	case MatchPending:
		return "pending"
	case MatchViewThrough:
		return "view_through"
	}
	return "organic"
}

// Install is an app install and its attribution, with the attributed click's
// values that later postbacks (signups, events) render.
type Install struct {
	InstallID  string
	EventID    string // the install conversion's own event_id
	App        string
	Platform   Platform
	Time       int64 // unix seconds of the install
	Match      MatchType
	ClickID    string
	Campaign   string
	Partner    string
	ClickTime  int64 // unix milliseconds
	AffID      string
	PubID      string
	OfferID    string
	CreativeID string
	Sub        [5]string
	// The device at the install.
	GAID, IDFA, OAID string
	IP, UserAgent    string
	Country          string // the install's, else the click's
	AppVersion       string
	// DeepLink is the attributed click's deep link, else its campaign's:
	// given back with the install's answer (deferred deep linking).
	DeepLink string
}

// Attributed reports whether the install came from a click (or, view-through,
// an impression).
func (in *Install) Attributed() bool { return in.Match != MatchOrganic && in.Match != MatchPending }

// Event is one conversion (install, signup or in-app event) under its
// event_id: what dedup checks, and what a replay is answered with.
type Event struct {
	EventID    string
	InstallID  string
	Kind       uint8 // the tracker's conversion type
	Name       string
	Time       int64 // unix seconds
	Revenue    string
	Currency   string
	Match      MatchType
	Attributed bool
	ClickID    string
	Campaign   string
	Postback   string // "queued", "not_configured" or "none"
	PostbackID uint64
}

const (
	installVersion = 1
	eventVersion   = 1
)

func (in *Install) encode(dst []byte) []byte {
	e := encoder{b: append(dst, installVersion)}
	e.str(in.InstallID)
	e.str(in.EventID)
	e.str(in.App)
	e.uint(uint64(in.Platform))
	e.int(in.Time)
	e.uint(uint64(in.Match))
	e.str(in.ClickID)
	e.str(in.Campaign)
	e.str(in.Partner)
	e.int(in.ClickTime)
	e.str(in.AffID)
	e.str(in.PubID)
	e.str(in.OfferID)
	e.str(in.CreativeID)
	for _, s := range in.Sub {
		e.str(s)
	}
	e.str(in.GAID)
	e.str(in.IDFA)
	e.str(in.OAID)
	e.str(in.IP)
	e.str(in.UserAgent)
	e.str(in.Country)
	e.str(in.AppVersion)
	if in.DeepLink != "" { // an optional field (clickcodec.go): tag, then text
		e.b = append(e.b, optDeepLink)
		e.str(in.DeepLink)
	}
	return e.b
}

func (in *Install) decode(v []byte) error {
	d := decoder{b: v}
	if d.byte() != installVersion {
		return fmt.Errorf("%w: install version", ErrCorrupt)
	}
	in.InstallID = d.str()
	in.EventID = d.str()
	in.App = d.str()
	in.Platform = Platform(d.uvarint())
	in.Time = d.int()
	in.Match = MatchType(d.uvarint())
	in.ClickID = d.str()
	in.Campaign = d.str()
	in.Partner = d.str()
	in.ClickTime = d.int()
	in.AffID = d.str()
	in.PubID = d.str()
	in.OfferID = d.str()
	in.CreativeID = d.str()
	for i := range in.Sub {
		in.Sub[i] = d.str()
	}
	in.GAID = d.str()
	in.IDFA = d.str()
	in.OAID = d.str()
	in.IP = d.str()
	in.UserAgent = d.str()
	in.Country = d.str()
	in.AppVersion = d.str()
	in.DeepLink = ""
	for last := byte(0); ; {
		tag, v, ok := d.nextOptional(&last)
		if !ok {
			break
		}
		if tag == optDeepLink {
			in.DeepLink = string(v)
		}
	}
	if d.err || len(d.b) != 0 {
		return fmt.Errorf("%w: install record", ErrCorrupt)
	}
	return nil
}

func (ev *Event) encode(dst []byte) []byte {
	e := encoder{b: append(dst, eventVersion)}
	e.str(ev.EventID)
	e.str(ev.InstallID)
	e.uint(uint64(ev.Kind))
	e.str(ev.Name)
	e.int(ev.Time)
	e.str(ev.Revenue)
	e.str(ev.Currency)
	e.uint(uint64(ev.Match))
	if ev.Attributed {
		e.uint(1)
	} else {
		e.uint(0)
	}
	e.str(ev.ClickID)
	e.str(ev.Campaign)
	e.str(ev.Postback)
	e.uint(ev.PostbackID)
	return e.b
}

func (ev *Event) decode(v []byte) error {
	d := decoder{b: v}
	if d.byte() != eventVersion {
		return fmt.Errorf("%w: event version", ErrCorrupt)
	}
	ev.EventID = d.str()
	ev.InstallID = d.str()
	ev.Kind = uint8(d.uvarint())
	ev.Name = d.str()
	ev.Time = d.int()
	ev.Revenue = d.str()
	ev.Currency = d.str()
	ev.Match = MatchType(d.uvarint())
	ev.Attributed = d.uvarint() == 1
	ev.ClickID = d.str()
	ev.Campaign = d.str()
	ev.Postback = d.str()
	ev.PostbackID = d.uvarint()
	if d.err || len(d.b) != 0 {
		return fmt.Errorf("%w: event record", ErrCorrupt)
	}
	return nil
}

// encoder appends fields in order; records are read back by a decoder in
// the same order.
type encoder struct{ b []byte }

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) int(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) str(s string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

func (d *decoder) int() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string { return string(d.text()) }
