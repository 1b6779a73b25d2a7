package tracker

// Attribution rules (CONTRACT §4), in the order they are tried:
//
//  1. click_id: the conversion's click_id, else the one in its Play install
//     referrer. The click must exist, be for this app, not be a bot's or
//     carry an invalid id, precede the install (the same second counts) and
//     lie within its campaign's click_lookback (inclusive).
//  2. device_id: the latest such click for this app with the same gaid,
//     idfa or oaid, within its campaign's click_lookback.
//  3. fingerprint: the latest such click for this app from the same IP with
//     the same platform and OS major.minor, within its campaign's
//     fingerprint_lookback (0 turns the rule off for that campaign).
//  4. view-through (an extension): no click matched; the latest impression
//     of the device (GET /v1/impression, impression.go) within its
//     campaign's view_through_lookback, shortened by its own vt_lookback.
//  5. organic.
//
// Windows are per campaign, so the store scans back as far as the widest
// window allows and asks the creditWindow about each candidate, newest
// first. Times compare in whole seconds.
//
// Click injection (an extension): an install that says when its download
// began (install_begin_time) credits no click made after that, under every
// rule; the waterfall goes on to older clicks.

import (
	"net/netip"
	"time"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/store"
)

// Longest windows the config allows; the store scans no further back.
const (
	maxClickLookback       = 30 * 24 * time.Hour
	maxFingerprintLookback = 7 * 24 * time.Hour
	maxViewThroughLookback = 7 * 24 * time.Hour
)

// attribution is the outcome of the waterfall for one install.
type attribution struct {
	match    store.MatchType
	click    store.Click // valid when match != MatchOrganic
	campaign *config.Campaign
}

// attributeInstall runs the waterfall for an install made at unix second at.
// Each lookup reads into its own buffer, so a candidate kept from one rule
// survives the next lookup. afterBegin reports that a click which would
// have been credited was made after the install's download began.
func (t *Tracker) attributeInstall(cfg *config.Config, cv *Conversion, app string, at int64) (a attribution, afterBegin bool, err error) {
	w := creditWindow{cfg: cfg, at: at, latest: at}
	if b := cv.InstallBeginTime; b > 0 && b < at {
		w.latest = b
	}
	a, err = t.waterfall(&w, cv, app)
	return a, w.afterBegin, err
}

func (t *Tracker) waterfall(w *creditWindow, cv *Conversion, app string) (attribution, error) {
	var a attribution
	for _, id := range cv.AttributionClickIDs() {
		if id == "" {
			break
		}
		_, ok, err := t.st.GetClick([]byte(id), &a.click, nil)
		if err != nil {
			return a, err
		}
		if ok && (app == "" || string(a.click.App) == app || campaignApp(w.cfg, &a.click) == app) {
			if camp := w.credits(&a.click, ruleClick); camp != nil {
				a.match, a.campaign = store.MatchClickID, camp
				return a, nil
			}
		}
	}
	if app == "" {
		return attribution{}, nil
	}

	at := w.at
	if a, err := t.latestOfDevice(w, cv, app, ruleClick, at-int64(maxClickLookback/time.Second)); err != nil || a.campaign != nil {
		a.match = store.MatchDeviceID
		return a, err
	}

	if ip, p, osv := fingerprintOf(cv); ip.IsValid() && p != store.PlatformUnknown && len(osv) != 0 {
		match := func(c *store.Click) bool { return w.credits(c, ruleFingerprint) != nil }
		oldest := at - int64(maxFingerprintLookback/time.Second)
		a = attribution{}
		_, ok, err := t.st.LatestByFingerprint(s2b(app), ip, p, osv, at, oldest, match, &a.click, nil)
		if err != nil {
			return attribution{}, err
		}
		if ok {
			if a.campaign = w.credits(&a.click, ruleFingerprint); a.campaign != nil {
				a.match = store.MatchFingerprint
				return a, nil
			}
		}
	}

	if !t.viewThroughOn(w.cfg) {
		return attribution{}, nil
	}
	// 4. view-through: no click matched; the latest impression of the
	// device within its campaign's view_through_lookback.
	a, err := t.latestOfDevice(w, cv, app, ruleView, at-int64(maxViewThroughLookback/time.Second))
	if err != nil || a.campaign == nil {
		return attribution{}, err
	}
	a.match = store.MatchViewThrough
	return a, nil
}

// latestOfDevice finds the latest click (for ruleView, the latest
// impression) for app with any of the conversion's advertising ids, made
// from oldest on, that w credits under rule r; a.campaign is nil when there
// is none.
//
// The store calls its match on every candidate it looks at (clicks of the
// same second after the one it returns among them), so the campaign is
// judged again on the click it returns, never taken from the last call.
func (t *Tracker) latestOfDevice(w *creditWindow, cv *Conversion, app string, r rule, oldest int64) (a attribution, err error) {
	match := func(c *store.Click) bool { return w.credits(c, r) != nil }
	for _, d := range [...]struct {
		kind store.DeviceKind
		id   string
	}{{store.DeviceGAID, cv.GAID}, {store.DeviceIDFA, cv.IDFA}, {store.DeviceOAID, cv.OAID}} {
		if d.id == "" || cv.deviceIDCut(d.kind) {
			continue
		}
		kind := d.kind
		if r == ruleView {
			kind = kind.View()
		}
		var c store.Click
		_, ok, err := t.st.LatestByDevice(s2b(app), kind, s2b(d.id), w.at, oldest, match, &c, nil)
		if err != nil {
			return attribution{}, err
		}
		if !ok {
			continue
		}
		// A gaid and an oaid can both match different clicks; the latest
		// click is the one the waterfall names.
		if camp := w.credits(&c, r); camp != nil && (a.campaign == nil || c.Time > a.click.Time) {
			a.click, a.campaign = c, camp
		}
	}
	return a, nil
}

// viewThroughOn reports whether any campaign of cfg has view-through
// attribution on; it is worked out once per config.
func (t *Tracker) viewThroughOn(cfg *config.Config) bool {
	if v := t.viewThrough.Load(); v != nil && v.cfg == cfg {
		return v.on
	}
	v := &viewThroughOf{cfg: cfg}
	for _, camp := range cfg.Campaigns {
		if camp.ViewThroughLookback > 0 {
			v.on = true
			break
		}
	}
	t.viewThrough.Store(v)
	return v.on
}

// viewThroughOf caches Tracker.viewThroughOn for one config.
type viewThroughOf struct {
	cfg *config.Config
	on  bool
}

// campaignApp is the app that c's campaign names in cfg ("" when cfg has
// no such campaign): a reload that renamed the app, or moved the campaign
// to another, left the old name on the clicks stored before it, and their
// click_ids would never match again.
func campaignApp(cfg *config.Config, c *store.Click) string {
	if camp := cfg.Campaigns[string(c.Campaign)]; camp != nil {
		return camp.App
	}
	return ""
}

// creditWindow says which clicks may be credited with an install made at
// unix second at: none made after latest (at, or the second its download
// began), and each within its campaign's window counted back from at.
type creditWindow struct {
	cfg    *config.Config
	at     int64
	latest int64
	// afterBegin: a click that would have matched was made after the
	// download began (a click injection, most likely).
	afterBegin bool
}

// rule names the window a candidate is judged by.
type rule uint8

const (
	ruleClick       rule = iota // click_id and device id: click_lookback
	ruleFingerprint             // IP + OS: fingerprint_lookback (0: off)
	ruleView                    // impressions: view_through_lookback (0: off), shortened by vt_lookback
)

// credits returns the campaign of c when c may be credited with the
// install under rule r, else nil.
func (w *creditWindow) credits(c *store.Click, r rule) *config.Campaign {
	camp := clickMatch(w.cfg, c, w.at, r)
	if camp != nil && c.Time/1000 > w.latest {
		w.afterBegin = true
		return nil
	}
	return camp
}

// clickMatch returns the campaign of c when c may be credited under rule r
// with a conversion at unix second at, else nil. Impressions are judged by
// ruleView alone, and clicks never by it.
func clickMatch(cfg *config.Config, c *store.Click, at int64, r rule) *config.Campaign {
	if c.Flags&(store.FlagBot|store.FlagInvalidID) != 0 || (c.Flags&store.FlagImpression != 0) != (r == ruleView) {
		return nil
	}
	// A campaign dropped from the config has no partner to post to and no
	// window to judge by: its clicks no longer attribute.
	camp := cfg.Campaigns[string(c.Campaign)]
	if camp == nil {
		return nil
	}
	var window time.Duration
	switch r {
	case ruleClick:
		window = camp.ClickLookback
	case ruleFingerprint:
		window = camp.FingerprintLookback
	case ruleView:
		window = impressionWindow(camp, c)
	}
	sec := c.Time / 1000
	if window <= 0 || sec > at || at-sec > int64(window/time.Second) {
		return nil
	}
	return camp
}

// fingerprintOf returns what IP matching compares: the device's IP and the
// platform and OS version read from its user agent.
func fingerprintOf(cv *Conversion) (netip.Addr, store.Platform, []byte) {
	ip, err := netip.ParseAddr(cv.IP)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, 0, nil
	}
	p, osv := ParseUserAgent(s2b(cv.UserAgent))
	if want := platformOf(cv.Platform); want != store.PlatformUnknown && want != p {
		return netip.Addr{}, 0, nil
	}
	return ip.Unmap(), p, osv
}

func platformOf(s string) store.Platform {
	switch s {
	case "android":
		return store.PlatformAndroid
	case "ios":
		return store.PlatformIOS
	}
	return store.PlatformUnknown
}
