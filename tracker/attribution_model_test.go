package tracker_test

// Differential test of attribution (CONTRACT §4 and the README's
// Attribution section) against a small reference model written from the
// text alone. Seeded random scenarios drive a real Tracker over a real
// store (through the handler, on an injected clock) and every answer and
// every queued postback is compared with what the model says.
//
// DIFFATTR_SEEDS=N runs N scenarios (default 300, 50 with -short);
// DIFFATTR_SEED=S runs only seed S and prints its steps; DIFFATTR_LOG=1
// logs every step. Written by an audit that ran 8,000 scenarios and found
// the edge and the model agreeing on every decision and postback; kept so
// that a change to attribution is checked against the rules as written.

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"math/rand"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/dispatch"
	"github.com/clickedge/clickedge/store"
)

const dmQuery = "cid={click_id}&iid={install_id}&eid={event_id}&en={event_name}&et={event_time}" +
	"&mt={match_type}&camp={campaign_id}&cn={campaign_name}&pl={platform}&adid={advertising_id}" +
	"&gaid={gaid}&idfa={idfa}&oaid={oaid}&ip={ip}&co={country}&s1={sub1}&ct={click_time}&app={app_id}" +
	"&av={app_version}&rev={revenue}&cur={currency}"

func dmConfigYAML(retention string, variant int) string {
	if variant == 1 {
		// One app only: a conversion without app is for it.
		head := dmConfigHead(retention)
		i := strings.Index(head, "  app.b:")
		j := strings.Index(head, "partners:")
		head = head[:i] + head[j:]
		return head + `
campaigns:
  cA:
    name: "Camp A"
    app: app.a
    partner: p1
    click_lookback: 1d
    fingerprint_lookback: "0"
  cB:
    name: "Camp B2"
    app: app.a
    partner: p1
    click_lookback: 2d
    fingerprint_lookback: 3h
    view_through_lookback: 24h
  cC:
    app: app.a
    partner: p2
    click_lookback: 2d
    fingerprint_lookback: 1h
  cD:
    app: app.a
    partner: p1
    click_lookback: 3d
    fingerprint_lookback: 2h
`
	}
	return dmConfigHead(retention) + dmBaseCampaigns
}

func dmConfigHead(retention string) string {
	return `
region: test
click_retention: ` + retention + `
apps:
  app.a:
    android: "https://play.google.com/store/apps/details?id=app.a"
    ios: "https://apps.apple.com/app/id1111111111"
    web: "https://a.example/"
  app.b:
    android: "https://play.google.com/store/apps/details?id=app.b"
    ios: "https://apps.apple.com/app/id2222222222"
partners:
  p1:
    install: "https://p1.example/i?` + dmQuery + `"
    signup: "https://p1.example/s?` + dmQuery + `"
    events:
      purchase: "https://p1.example/e/purchase?` + dmQuery + `"
      level: "https://p1.example/e/level?` + dmQuery + `"
    rename: { purchase: "sale", install: "first_open" }
  p2:
    install: "https://p2.example/i?` + dmQuery + `"
    events:
      purchase: "https://p2.example/e?` + dmQuery + `"
    share_revenue: false
`
}

const dmBaseCampaigns = `
campaigns:
  cA:
    name: "Camp A"
    app: app.a
    partner: p1
    click_lookback: 1d
    fingerprint_lookback: 1h
    view_through_lookback: 2h
  cB:
    name: "Camp B"
    app: app.a
    partner: p1
    view_through_lookback: 24h
  cC:
    app: app.a
    partner: p2
    click_lookback: 2d
    fingerprint_lookback: "0"
  cD:
    app: app.a
    click_lookback: 3d
    fingerprint_lookback: 2h
  cE:
    name: "Camp E"
    app: app.b
    partner: p1
    click_lookback: 3d
    fingerprint_lookback: 6h
`

// ---- the reference model ----

type dmCamp struct {
	id, app, partner, name string
	click, fp, vt          int64 // seconds
}

type dmPartner struct {
	install, signup bool
	events          map[string]bool
	rename          map[string]string
	share           bool
}

var dmCfgs = [2]map[string]dmCamp{{
	"cA": {"cA", "app.a", "p1", "Camp A", 86400, 3600, 7200},
	"cB": {"cB", "app.a", "p1", "Camp B", 7 * 86400, 86400, 86400},
	"cC": {"cC", "app.a", "p2", "cC", 2 * 86400, 0, 0},
	"cD": {"cD", "app.a", "", "cD", 3 * 86400, 7200, 0},
	"cE": {"cE", "app.b", "p1", "Camp E", 3 * 86400, 6 * 3600, 0},
}, {
	"cA": {"cA", "app.a", "p1", "Camp A", 86400, 0, 0},
	"cB": {"cB", "app.a", "p1", "Camp B2", 2 * 86400, 3 * 3600, 86400},
	"cC": {"cC", "app.a", "p2", "cC", 2 * 86400, 3600, 0},
	"cD": {"cD", "app.a", "p1", "cD", 3 * 86400, 7200, 0},
}}

var dmPartners = map[string]dmPartner{
	"p1": {install: true, signup: true, events: map[string]bool{"purchase": true, "level": true},
		rename: map[string]string{"purchase": "sale", "install": "first_open"}, share: true},
	"p2": {install: true, events: map[string]bool{"purchase": true}, share: false},
}

var dmPartnerHost = map[string]string{"p1": "https://p1.example", "p2": "https://p2.example"}

// dmUA is what the model knows of an agent: its platform and OS version
// (major.minor; "" when it names none).
type dmUA struct {
	ua, plat, osv string
	bot           bool
}

var dmUAs = map[string]dmUA{
	"android14":      {attrUserAgents["android14"], "android", "14.0", false},
	"android13":      {attrUserAgents["android13"], "android", "13.0", false},
	"ios17.2":        {attrUserAgents["ios17.2"], "ios", "17.2", false},
	"chrome-reduced": {attrUserAgents["chrome-reduced"], "android", "", false},
	"desktop":        {attrUserAgents["desktop"], "", "", false},
	"slackbot":       {attrUserAgents["slackbot"], "", "", true},
	"android14-app":  {attrUserAgents["android14-app"], "android", "14.0", false},
	"android13-app":  {attrUserAgents["android13-app"], "android", "13.0", false},
	"ios17.2-app":    {attrUserAgents["ios17.2-app"], "ios", "17.2", false},
	"ios17.3-app":    {attrUserAgents["ios17.3-app"], "ios", "17.3", false},
}

type dmClick struct {
	id, camp, app    string
	ms               int64
	gaid, idfa, oaid string
	ip               string
	plat, osv        string
	bot, invalid     bool
	sub1             string
	fpOff            bool  // its campaign's fingerprint_lookback was 0 when it was made
	vt               int64 // an impression's vt_lookback, seconds
}

func (c *dmClick) creditable() bool { return !c.bot && !c.invalid }

type dmInstall struct {
	id, eventID, app string
	attributed       bool
	match            string
	click            *dmClick
	camp             dmCamp
	at               int64
	plat             string
	gaid, idfa, oaid string
	ip, country, av  string
}

type dmAnswer struct {
	EventID    string `json:"event_id"`
	InstallID  string `json:"install_id"`
	Attributed bool   `json:"attributed"`
	Match      string `json:"match"`
	Campaign   string `json:"campaign"`
	ClickID    string `json:"click_id"`
	Postback   string `json:"postback"`
	Error      string `json:"error"`
}

type dmModel struct {
	cfg      int // which of dmCfgs is in force
	imps     map[string]*dmClick
	impOrder []*dmClick
	clicks   map[string]*dmClick
	order    []*dmClick // every stored click, in order of storing
	installs map[string]*dmInstall
	events   map[string]dmAnswer // event_id -> first answer
	signups  map[string]string   // install_id -> signup's event_id
	jobs     []string            // expected rendered postback URLs
}

func newDMModel() *dmModel {
	return &dmModel{imps: map[string]*dmClick{}, clicks: map[string]*dmClick{}, installs: map[string]*dmInstall{},
		events: map[string]dmAnswer{}, signups: map[string]string{}}
}

// click stores a click: first write wins, except that a creditable click
// takes the id of an uncreditable one (README, Bots).
func (m *dmModel) click(c *dmClick) {
	if old, ok := m.clicks[c.id]; ok {
		if old.creditable() || !c.creditable() {
			return
		}
		i := slices.Index(m.order, old)
		m.order = slices.Delete(m.order, i, i+1)
	}
	m.clicks[c.id] = c
	m.order = append(m.order, c)
}

type dmConv struct {
	typ, installID, eventName, eventID string
	eventTime, begin                   int64
	clickID, referrer, app, platform   string
	gaid, idfa, oaid, ip, ua, country  string
	av, revenue, currency              string
	edge                               int // >0: event_time at the window's edge of a click
	future                             int64
}

func dmSameDevice(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if len(a) == 36 && strings.Count(a, "-") == 4 {
		return strings.EqualFold(a, b)
	}
	return a == b
}

func dmSameIP(a, b string) bool {
	x, err1 := netip.ParseAddr(a)
	y, err2 := netip.ParseAddr(b)
	return err1 == nil && err2 == nil && x.Unmap() == y.Unmap()
}

// window reports whether c may be credited at second at (latest: no click
// after it) under a window of w seconds.
func dmIn(c *dmClick, at, latest, w int64) bool {
	sec := c.ms / 1000
	return c.creditable() && w > 0 && sec <= at && sec <= latest && at-sec <= w
}

func (m *dmModel) referrerClickID(ref string) string {
	if ref == "" {
		return ""
	}
	// The referrer as Play hands it over, else as an app that forwards
	// it still URL-encoded sends it (README, Conversions).
	if q, err := url.ParseQuery(ref); err == nil && q.Has("click_id") {
		return q.Get("click_id")
	}
	if dec, err := url.QueryUnescape(ref); err == nil {
		if q, err := url.ParseQuery(dec); err == nil {
			return q.Get("click_id")
		}
	}
	return ""
}

func (m *dmModel) camps() map[string]dmCamp { return dmCfgs[m.cfg] }

func (m *dmModel) attribute(cv *dmConv, now int64) (match string, c *dmClick, app string) {
	camps := m.camps()
	at := cv.eventTime
	if at == 0 {
		at = now
	}
	latest := at
	if cv.begin > 0 && cv.begin < at {
		latest = cv.begin
	}
	app = cv.app
	if app == "" && m.cfg == 1 {
		app = "app.a" // the config's only app
	}
	// 1. click_id, then the referrer's.
	for _, id := range []string{cv.clickID, m.referrerClickID(cv.referrer)} {
		if id == "" {
			continue
		}
		k := m.clicks[id]
		if k == nil || (app != "" && k.app != app) {
			continue
		}
		if dmIn(k, at, latest, camps[k.camp].click) {
			return "click_id", k, or2(app, k.app)
		}
	}
	if app == "" {
		return "organic", nil, ""
	}
	// 2. device id: the latest creditable click of the app in its window.
	var best *dmClick
	for _, k := range m.order {
		if k.app != app || !dmIn(k, at, latest, camps[k.camp].click) {
			continue
		}
		if !(dmSameDevice(cv.gaid, k.gaid) || dmSameDevice(cv.idfa, k.idfa) || dmSameDevice(cv.oaid, k.oaid)) {
			continue
		}
		if best == nil || k.ms > best.ms {
			best = k
		}
	}
	if best != nil {
		return "device_id", best, app
	}
	// 3. fingerprint: same IP, platform and OS version.
	u := dmUAs[cv.ua]
	fpOK := !(cv.platform != "" && cv.platform != u.plat) && u.plat != "" && u.osv != "" && cv.ip != ""
	for _, k := range m.order {
		if !fpOK {
			break
		}
		if k.app != app || k.fpOff || !dmIn(k, at, latest, camps[k.camp].fp) {
			continue
		}
		if !dmSameIP(cv.ip, k.ip) || k.plat != u.plat || (k.osv != "" && k.osv != u.osv) {
			continue
		}
		if best == nil || k.ms > best.ms || (k.ms == best.ms && k.osv != "") {
			best = k
		}
	}
	if best != nil {
		return "fingerprint", best, app
	}
	// 4. view-through: the latest impression of the device.
	for _, k := range m.impOrder {
		cp, ok := camps[k.camp]
		if !ok || k.app != app {
			continue
		}
		w := cp.vt
		if k.vt > 0 {
			w = min(w, k.vt)
		}
		if !dmIn(k, at, latest, w) {
			continue
		}
		if !(dmSameDevice(cv.gaid, k.gaid) || dmSameDevice(cv.idfa, k.idfa) || dmSameDevice(cv.oaid, k.oaid)) {
			continue
		}
		if best == nil || k.ms > best.ms {
			best = k
		}
	}
	if best != nil {
		return "view_through", best, app
	}
	return "organic", nil, app
}

func or2(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// conversion returns the model's answer; gen is the edge's answer, whose
// event_id the model takes when it made one.
func (m *dmModel) conversion(cv *dmConv, now int64, gen dmAnswer) dmAnswer {
	if cv.eventID != "" {
		if a, ok := m.events[cv.eventID]; ok {
			a.Postback = "duplicate"
			return a
		}
	}
	at := cv.eventTime
	if at == 0 {
		at = now
	}
	var in *dmInstall
	switch cv.typ {
	case "install":
		if prev, ok := m.installs[cv.installID]; ok {
			a := m.events[prev.eventID]
			a.Postback = "duplicate"
			return a
		}
		match, c, app := m.attribute(cv, now)
		in = &dmInstall{id: cv.installID, eventID: or2(cv.eventID, gen.EventID), app: app,
			match: match, at: at, ip: cv.ip, country: cv.country, av: cv.av,
			gaid: cv.gaid, idfa: cv.idfa, oaid: cv.oaid}
		in.plat = or2(cv.platform, dmUAs[cv.ua].plat)
		if c != nil {
			in.attributed, in.click, in.camp = true, c, m.camps()[c.camp]
			if in.plat == "" {
				in.plat = c.plat
			}
			// README: the conversion's ids, else the click's, each on its own.
			in.gaid, in.idfa, in.oaid = or2(in.gaid, c.gaid), or2(in.idfa, c.idfa), or2(in.oaid, c.oaid)
		}
		m.installs[cv.installID] = in
	case "signup":
		if sid, ok := m.signups[cv.installID]; ok {
			a := m.events[sid]
			a.Postback = "duplicate"
			return a
		}
		in = m.installs[cv.installID]
		m.signups[cv.installID] = or2(cv.eventID, gen.EventID)
	case "event":
		in = m.installs[cv.installID]
	}
	a := dmAnswer{EventID: or2(cv.eventID, gen.EventID), InstallID: cv.installID, Match: "organic", Postback: "none"}
	if in != nil && in.attributed {
		a.Attributed, a.Match, a.Campaign, a.ClickID = true, in.match, in.camp.id, in.click.id
		a.Postback = "not_configured"
		if p, ok := dmPartners[in.camp.partner]; ok {
			has := false
			switch cv.typ {
			case "install":
				has = p.install
			case "signup":
				has = p.signup
			default:
				has = p.events[cv.eventName]
			}
			if has {
				a.Postback = "queued"
				m.jobs = append(m.jobs, m.render(cv, in, a.EventID, at, p))
			}
		}
	}
	m.events[a.EventID] = a
	return a
}

func dmEnc(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// dmRevenue rounds a decimal to two places, half away from zero.
func dmRevenue(s string) string {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return "?"
	}
	neg := r.Sign() < 0
	r.Abs(r)
	r.Mul(r, big.NewRat(100, 1))
	r.Add(r, big.NewRat(1, 2))
	n := new(big.Int).Quo(r.Num(), r.Denom())
	str := n.String()
	for len(str) < 3 {
		str = "0" + str
	}
	out := str[:len(str)-2] + "." + str[len(str)-2:]
	if neg && n.Sign() != 0 {
		out = "-" + out
	}
	return out
}

func (m *dmModel) render(cv *dmConv, in *dmInstall, eventID string, at int64, p dmPartner) string {
	name := cv.typ
	path := "/i"
	switch cv.typ {
	case "signup":
		path = "/s"
	case "event":
		name = cv.eventName
		path = "/e/" + name
		if in.camp.partner == "p2" {
			path = "/e"
		}
	}
	if r, ok := p.rename[name]; ok {
		name = r
	}
	plat := or2(cv.platform, dmUAs[cv.ua].plat)
	plat = or2(plat, in.plat)
	gaid, idfa, oaid := or2(cv.gaid, in.gaid), or2(cv.idfa, in.idfa), or2(cv.oaid, in.oaid)
	adid := ""
	switch plat {
	case "android":
		adid = gaid
	case "ios":
		adid = idfa
	}
	rev, cur := "", ""
	if cv.revenue != "" && p.share {
		rev, cur = dmRevenue(cv.revenue), strings.ToUpper(cv.currency)
	}
	country := or2(cv.country, in.country)
	vals := []string{
		"cid", in.click.id, "iid", in.id, "eid", eventID, "en", name, "et", strconv.FormatInt(at, 10),
		"mt", in.match, "camp", in.camp.id, "cn", m.camps()[in.camp.id].name, "pl", plat, "adid", adid,
		"gaid", gaid, "idfa", idfa, "oaid", oaid, "ip", or2(cv.ip, in.ip), "co", country,
		"s1", in.click.sub1, "ct", strconv.FormatInt(in.click.ms/1000, 10), "app", in.app,
		"av", or2(cv.av, in.av), "rev", rev, "cur", cur,
	}
	var b strings.Builder
	b.WriteString(dmPartnerHost[in.camp.partner] + path + "?")
	for i := 0; i < len(vals); i += 2 {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(vals[i] + "=" + dmEnc(vals[i+1]))
	}
	return b.String()
}

// ---- scenarios ----

type dmDevice struct {
	kind, id, ip, clickUA, appUA string
}

var dmDevices = []dmDevice{
	{"gaid", "38400000-8cf0-11bd-b23e-10b96e40000a", "198.51.100.7", "android14", "android14-app"},
	{"gaid", "38400000-8cf0-11bd-b23e-10b96e40000b", "198.51.100.7", "android13", "android13-app"},
	{"idfa", "EA7583CD-A667-48BC-B806-42ECB2B48606", "203.0.113.9", "ios17.2", "ios17.2-app"},
	{"gaid", "38400000-8cf0-11bd-b23e-10b96e40000c", "203.0.113.9", "chrome-reduced", "android14-app"},
	{"oaid", "oaid-1f2e3d4c", "198.51.100.7", "android14", "android14-app"},
	{"gaid", "38400000-8cf0-11bd-b23e-10b96e40000d", "2001:db8:0:0::5", "android13", "android13-app"},
	{"gaid+oaid", "38400000-8cf0-11bd-b23e-10b96e40000e", "2001:db8::5", "android14", "android14-app"},
}

// dmOAIDOf is the oaid of a gaid+oaid device.
func dmOAIDOf(d dmDevice) string { return "oaid-" + d.id[len(d.id)-4:] }

// dmSetIDs gives a click or conversion the device's ids, some of them.
func dmSetIDs(r *rand.Rand, d dmDevice, gaid, idfa, oaid *string, q *[][2]string, alias bool) {
	set := func(kind, id string) {
		switch kind {
		case "gaid":
			*gaid = id
		case "idfa":
			*idfa = id
		case "oaid":
			*oaid = id
		}
		name := kind
		if alias && kind != "oaid" && r.Intn(3) == 0 {
			name = "advertising_id"
		}
		if q != nil {
			*q = append(*q, [2]string{name, id})
		}
	}
	id := d.id
	if r.Intn(5) == 0 && d.kind != "oaid" {
		if r.Intn(2) == 0 {
			id = strings.ToLower(id)
		} else {
			id = strings.ToUpper(id)
		}
	}
	switch d.kind {
	case "gaid+oaid":
		switch r.Intn(3) {
		case 0:
			set("gaid", id)
		case 1:
			set("oaid", dmOAIDOf(d))
		default:
			set("gaid", id)
			set("oaid", dmOAIDOf(d))
		}
	default:
		set(d.kind, id)
	}
}

type dmStep struct {
	kind string // advance, click, conv, batch
	d    time.Duration
	// click
	q   [][2]string
	ua  string // header UA key
	mc  *dmClick
	gen bool // no click_id: learn it from the Location
	// conversions
	convs []*dmConv
	form  bool
	text  string
}

type dmScenario struct {
	seed      int64
	retention string
	steps     []dmStep
}

func dmGenerate(seed int64) *dmScenario {
	r := rand.New(rand.NewSource(seed))
	sc := &dmScenario{seed: seed, retention: "30d"}
	maxPast := int64(3 * 86400)
	if r.Intn(3) == 0 {
		sc.retention, maxPast = "10d", 2*86400
	}
	advances := []time.Duration{0, 300 * time.Millisecond, time.Second, 59 * time.Minute, time.Hour, time.Hour + time.Second,
		2 * time.Hour, 6 * time.Hour, 23*time.Hour + 59*time.Minute + 59*time.Second, 24 * time.Hour, 24*time.Hour + time.Second,
		48 * time.Hour, 72 * time.Hour, 1500 * time.Millisecond, 13 * time.Hour, 30 * time.Hour}
	camps := []string{"cA", "cB", "cC", "cD", "cE", "cA", "cB", "cB"}
	ids := []string{"k1", "k2", "k3", "k4", "k5", "k6", "k 7+", "k8", "k9", "k10", "v1"}
	var known []*dmClick
	var clickedDevs []int
	var prevConvs []*dmConv
	var installIDs []string
	nEvent := 0
	n := 8 + r.Intn(16)
	for i := range n {
		x := r.Intn(20)
		if i < 3 {
			x = 5
		}
		switch {
		case x == 0 && r.Intn(3) == 0:
			sc.steps = append(sc.steps, dmStep{kind: "restart"})
		case x == 1 && r.Intn(3) == 0:
			sc.steps = append(sc.steps, dmStep{kind: "reload"})
		case x == 2 || x == 3:
			dev := dmDevices[r.Intn(len(dmDevices))]
			camp := []string{"cA", "cB", "cC"}[r.Intn(3)]
			c := &dmClick{camp: camp, app: "app.a", id: []string{"v1", "v2", "v3", "k1", "k2"}[r.Intn(5)], plat: dmUAs[dev.clickUA].plat}
			st := dmStep{kind: "imp", mc: c}
			st.d = (time.Duration(r.Int63n(int64(25*time.Hour))) - time.Hour).Truncate(time.Millisecond)
			st.q = append(st.q, [2]string{"c", camp}, [2]string{"impression_id", c.id},
				[2]string{"user_agent", dmUAs[dev.clickUA].ua}, [2]string{"ip", dev.ip})
			dmSetIDs(r, dev, &c.gaid, &c.idfa, &c.oaid, &st.q, false)
			c.ip = dev.ip
			if r.Intn(3) == 0 {
				vt := []string{"1h", "30m", "3600", "2d", "90s"}[r.Intn(5)]
				c.vt = map[string]int64{"1h": 3600, "30m": 1800, "3600": 3600, "2d": 2 * 86400, "90s": 90}[vt]
				st.q = append(st.q, [2]string{"vt_lookback", vt})
			}
			if r.Intn(2) == 0 {
				c.sub1 = "imp sub"
				st.q = append(st.q, [2]string{"sub1", c.sub1})
			}
			sc.steps = append(sc.steps, st)
		case x < 5:
			sc.steps = append(sc.steps, dmStep{kind: "advance", d: advances[r.Intn(len(advances))] + time.Duration(r.Intn(3))*time.Millisecond*137})
		case x < 11:
			di := r.Intn(len(dmDevices))
			if len(clickedDevs) > 0 && r.Intn(3) == 0 {
				di = clickedDevs[r.Intn(len(clickedDevs))]
			}
			dev := dmDevices[di]
			clickedDevs = append(clickedDevs, di)
			camp := camps[r.Intn(len(camps))]
			uaKey := dev.clickUA
			if r.Intn(12) == 0 {
				uaKey = "slackbot"
			} else if r.Intn(15) == 0 {
				uaKey = "desktop"
			}
			u := dmUAs[uaKey]
			c := &dmClick{camp: camp, app: dmCfgs[0][camp].app, plat: u.plat, osv: u.osv, bot: u.bot}
			st := dmStep{kind: "click", ua: uaKey, mc: c}
			if r.Intn(10) < 3 {
				st.kind = "s2s"
				// click_time: seconds before now (negative: after)
				st.d = time.Duration(r.Int63n(int64(25*time.Hour))) - time.Hour
				st.d = st.d.Truncate(time.Millisecond)
				if r.Intn(2) == 0 {
					st.d = st.d.Truncate(time.Second)
				}
			}
			if st.kind == "click" && r.Intn(10) == 0 {
				// The device's agent as a parameter, a bot's or the
				// device's own in the header.
				st.q = append(st.q, [2]string{"ua", dmUAs[dev.clickUA].ua})
				u = dmUAs[dev.clickUA]
				c.plat, c.osv = u.plat, u.osv
				if r.Intn(2) == 0 {
					st.ua = "slackbot"
					c.bot = true
				} else {
					st.ua, c.bot = dev.clickUA, false
				}
			}
			st.q = append(st.q, [2]string{"c", camp})
			switch y := r.Intn(20); {
			case y < 2 && u.plat == "android" && !u.bot && st.kind == "click":
				st.gen = true
			case y < 3:
				c.id, c.invalid = "{click_id}", true
				st.q = append(st.q, [2]string{"click_id", c.id})
			default:
				c.id = ids[r.Intn(len(ids))]
				st.q = append(st.q, [2]string{"click_id", c.id})
			}
			if r.Intn(10) < 8 {
				dmSetIDs(r, dev, &c.gaid, &c.idfa, &c.oaid, &st.q, u.plat != "")
			}
			c.ip = dev.ip
			if r.Intn(4) == 0 && !strings.Contains(dev.ip, ":") {
				c.ip = "::ffff:" + dev.ip
			}
			st.q = append(st.q, [2]string{"ip", c.ip})
			if st.kind == "s2s" {
				st.q = append(st.q, [2]string{"user_agent", u.ua})
			}
			switch r.Intn(4) {
			case 0:
				c.sub1 = "spring sale"
			case 1:
				c.sub1 = "{sub1}"
			case 2:
				c.sub1 = "s-1"
			}
			if c.sub1 != "" {
				st.q = append(st.q, [2]string{"sub1", c.sub1})
			}
			sc.steps = append(sc.steps, st)
			if !st.gen {
				known = append(known, c)
			}
		default:
			var convs []*dmConv
			nb := 1
			batch := r.Intn(5) == 0
			if batch {
				nb = 2 + r.Intn(3)
			}
			for range nb {
				if len(prevConvs) > 0 && r.Intn(10) == 0 {
					cp := *prevConvs[r.Intn(len(prevConvs))]
					convs = append(convs, &cp)
					continue
				}
				di := r.Intn(len(dmDevices))
				if len(clickedDevs) > 0 && r.Intn(4) != 0 {
					di = clickedDevs[r.Intn(len(clickedDevs))]
				}
				dev := dmDevices[di]
				cv := &dmConv{}
				switch y := r.Intn(10); {
				case y < 5 || len(installIDs) == 0:
					cv.typ = "install"
				case y < 8:
					cv.typ = "event"
					cv.eventName = []string{"purchase", "level", "tutorial", "purchase"}[r.Intn(4)]
					if r.Intn(2) == 0 {
						cv.revenue = []string{"9.995", "-0.005", "12", "0.1", "1234567.125", "-3.3350", "0.004", "00.015"}[r.Intn(8)]
						cv.currency = []string{"USD", "eur"}[r.Intn(2)]
					}
				default:
					cv.typ = "signup"
				}
				if cv.typ == "install" && (len(installIDs) == 0 || r.Intn(5) != 0) {
					cv.installID = "i" + strconv.Itoa(len(installIDs)+1)
					installIDs = append(installIDs, cv.installID)
				} else if len(installIDs) > 0 && r.Intn(8) != 0 {
					cv.installID = installIDs[r.Intn(len(installIDs))]
				} else {
					cv.installID = "unknown" + strconv.Itoa(r.Intn(2))
				}
				if r.Intn(3) == 0 {
					nEvent++
					cv.eventID = "ev" + strconv.Itoa(nEvent)
				}
				if cv.typ == "install" || r.Intn(2) == 0 {
					cv.ip = dev.ip
					if r.Intn(8) == 0 {
						cv.ip = "192.0.2.99"
					} else if r.Intn(8) == 0 && !strings.Contains(dev.ip, ":") {
						cv.ip = "::ffff:" + dev.ip
					}
					cv.ua = dev.appUA
					if r.Intn(10) == 0 {
						cv.ua = "ios17.3-app"
					}
				}
				if cv.typ == "install" {
					if r.Intn(10) < 8 {
						cv.app = "app.a"
						if r.Intn(6) == 0 {
							cv.app = "app.b"
						}
					}
					if r.Intn(10) < 6 {
						dmSetIDs(r, dev, &cv.gaid, &cv.idfa, &cv.oaid, nil, false)
					}
					if len(known) > 0 {
						k := known[r.Intn(len(known))]
						switch y := r.Intn(10); {
						case y < 3:
							cv.clickID = k.id
						case y < 4:
							cv.referrer = "click_id=" + url.QueryEscape(k.id) + "&c=" + k.camp
							switch r.Intn(4) {
							case 0:
								cv.referrer = url.QueryEscape(cv.referrer)
							case 1:
								cv.referrer = "utm_source=google-play&utm_medium=organic&" + cv.referrer
							}
						case y < 5:
							cv.clickID = "nosuch"
							cv.referrer = "click_id=" + url.QueryEscape(k.id) + "&c=" + k.camp
						}
					}
					if r.Intn(4) == 0 {
						cv.platform = dmUAs[dev.appUA].plat
					}
				}
				if r.Intn(4) == 0 {
					cv.country = "DE"
				}
				if r.Intn(4) == 0 {
					cv.av = "3.1"
				}
				convs = append(convs, cv)
				prevConvs = append(prevConvs, cv)
			}
			sc.steps = append(sc.steps, dmStep{kind: "conv", convs: convs, form: !batch && r.Intn(3) == 0})
			if batch {
				sc.steps[len(sc.steps)-1].kind = "batch"
			}
			// event_time / install_begin_time are filled in at run time
			// from the clock (seeded from the same generator).
			for _, cv := range convs {
				if cv.typ == "install" && r.Intn(6) == 0 {
					cv.edge = 1 + r.Intn(1000)
				}
				if cv.eventTime == 0 && r.Intn(10) < 3 {
					cv.eventTime = -1 - r.Int63n(maxPast) // seconds before now
				} else if cv.eventTime == 0 && r.Intn(20) == 0 {
					cv.future = 1 + r.Int63n(3600)
				}
				if cv.typ == "install" && r.Intn(10) == 0 {
					cv.begin = -1 - r.Int63n(7200) // seconds before its event_time
				}
			}
		}
	}
	return sc
}

func (cv *dmConv) fields(now int64) [][2]string {
	var f [][2]string
	add := func(k, v string) {
		if v != "" {
			f = append(f, [2]string{k, v})
		}
	}
	add("type", cv.typ)
	add("install_id", cv.installID)
	add("event_name", cv.eventName)
	add("event_id", cv.eventID)
	if cv.eventTime != 0 {
		add("event_time", strconv.FormatInt(cv.eventTime, 10))
	}
	if cv.begin != 0 {
		add("install_begin_time", strconv.FormatInt(cv.begin, 10))
	}
	add("click_id", cv.clickID)
	add("install_referrer", cv.referrer)
	add("app", cv.app)
	add("platform", cv.platform)
	add("gaid", cv.gaid)
	add("idfa", cv.idfa)
	add("oaid", cv.oaid)
	add("ip", cv.ip)
	if cv.ua != "" {
		add("user_agent", dmUAs[cv.ua].ua)
	}
	add("country", cv.country)
	add("app_version", cv.av)
	add("revenue", cv.revenue)
	add("currency", cv.currency)
	return f
}

func dmJSON(f [][2]string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, kv := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv[0])
		v, _ := json.Marshal(kv[1])
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String()
}

func dmForm(f [][2]string) string {
	var parts []string
	for _, kv := range f {
		parts = append(parts, url.QueryEscape(kv[0])+"="+url.QueryEscape(kv[1]))
	}
	return strings.Join(parts, "&")
}

// dmRun runs one scenario against a fresh edge and the model; it returns
// the disagreements and a log of the steps.
func dmRun(t testing.TB, sc *dmScenario) (diffs []string, log []string) {
	var cfgs [2]*config.Config
	for i := range cfgs {
		var err error
		if cfgs[i], err = config.Parse("test.yaml", []byte(dmConfigYAML(sc.retention, i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	cfg := cfgs[0]
	dir := t.TempDir()
	clock := new(attrClock)
	clock.Set(attrStart)
	e := attrOpenEnv(t, dir, store.Sync, cfg, clock)
	defer func() {
		if err := e.st.Close(); err != nil {
			t.Error(err)
		}
	}()
	m := newDMModel()
	fixed := map[*dmConv]bool{} // event times already made absolute
	for si, st := range sc.steps {
		now := e.clock.Now()
		dmStats["step/"+st.kind]++
		switch st.kind {
		case "restart":
			if err := e.st.Close(); err != nil {
				t.Fatal(err)
			}
			e = attrOpenEnv(t, dir, store.Sync, cfgs[m.cfg], clock)
			log = append(log, "restart")
		case "reload":
			m.cfg = 1 - m.cfg
			e.tr.SetConfig(cfgs[m.cfg])
			log = append(log, fmt.Sprintf("reload config %d", m.cfg))
		case "imp":
			c := *st.mc
			c.ms = now.Add(-st.d).UnixMilli()
			var q []string
			for _, kv := range st.q {
				q = append(q, url.QueryEscape(kv[0])+"="+url.QueryEscape(kv[1]))
			}
			uri := "/v1/impression?" + strings.Join(q, "&") + "&impression_time=" + strconv.FormatInt(c.ms, 10)
			resp := e.do("GET", uri, "", nil, "", "curl/8.0")
			log = append(log, fmt.Sprintf("impression %s -> %d %s (at %s)", uri, resp.StatusCode(), resp.Body(), now.Format(time.RFC3339Nano)))
			e.clock.Add(3 * time.Millisecond)
			var ans struct {
				Stored bool   `json:"stored"`
				Reason string `json:"reason"`
			}
			if resp.StatusCode() != 200 || json.Unmarshal(resp.Body(), &ans) != nil {
				diffs = append(diffs, fmt.Sprintf("step %d: %s answered %d %s", si, uri, resp.StatusCode(), resp.Body()))
				continue
			}
			cp, ok := m.camps()[c.camp]
			wantStored := ok && cp.vt > 0 && m.imps[c.id] == nil
			if ans.Stored != wantStored {
				diffs = append(diffs, fmt.Sprintf("step %d: %s stored=%v, model %v", si, uri, ans.Stored, wantStored))
			}
			if ans.Stored && wantStored {
				m.imps[c.id] = &c
				m.impOrder = append(m.impOrder, &c)
			}
		case "advance":
			e.clock.Add(st.d)
			log = append(log, fmt.Sprintf("advance %v -> %s", st.d, e.clock.Now().Format(time.RFC3339Nano)))
		case "s2s":
			c := *st.mc
			c.ms = now.Add(-st.d).UnixMilli()
			if cp, ok := m.camps()[c.camp]; !ok {
				st.mc.camp = "" // not stored; skip it below
				e.clock.Add(3 * time.Millisecond)
				continue
			} else {
				c.fpOff = cp.fp == 0
			}
			q := []string{}
			for _, kv := range st.q {
				q = append(q, url.QueryEscape(kv[0])+"="+url.QueryEscape(kv[1]))
			}
			ct := strconv.FormatInt(c.ms, 10)
			if c.ms%1000 == 0 && len(q)%2 == 0 {
				ct = strconv.FormatInt(c.ms/1000, 10)
			}
			uri := "/v1/click?" + strings.Join(q, "&") + "&click_time=" + ct
			resp := e.do("GET", uri, "", nil, "", "curl/8.0")
			log = append(log, fmt.Sprintf("s2s click %s -> %d %s (at %s)", uri, resp.StatusCode(), resp.Body(), now.Format(time.RFC3339Nano)))
			var ans struct {
				Stored bool `json:"stored"`
			}
			if c.invalid || strings.Contains(c.sub1, "{") {
				// CONTRACT §3: 400 for an unexpanded macro; nothing stored.
				if resp.StatusCode() != 400 {
					diffs = append(diffs, fmt.Sprintf("step %d: %s answered %d, want 400", si, uri, resp.StatusCode()))
				}
				e.clock.Add(3 * time.Millisecond)
				continue
			}
			if resp.StatusCode() != 200 || json.Unmarshal(resp.Body(), &ans) != nil {
				diffs = append(diffs, fmt.Sprintf("step %d: %s answered %d %s", si, uri, resp.StatusCode(), resp.Body()))
				continue
			}
			old, had := m.clicks[c.id]
			wantStored := !had || (!old.creditable() && c.creditable())
			if ans.Stored != wantStored {
				diffs = append(diffs, fmt.Sprintf("step %d: %s stored=%v, model %v", si, uri, ans.Stored, wantStored))
			}
			m.click(&c)
			e.clock.Add(3 * time.Millisecond)
		case "click":
			var q []string
			for _, kv := range st.q {
				q = append(q, url.QueryEscape(kv[0])+"="+url.QueryEscape(kv[1]))
			}
			uri := "/?" + strings.Join(q, "&")
			resp := e.do("GET", uri, "", nil, "", dmUAs[st.ua].ua)
			c := *st.mc
			c.ms = now.UnixMilli()
			if cp, ok := m.camps()[c.camp]; !ok {
				if resp.StatusCode() != 404 {
					diffs = append(diffs, fmt.Sprintf("step %d: click of an unknown campaign answered %d", si, resp.StatusCode()))
				}
				e.clock.Add(3 * time.Millisecond)
				continue
			} else {
				c.fpOff = cp.fp == 0
			}
			if st.gen {
				loc := string(resp.Header.Peek("Location"))
				u, _ := url.Parse(loc)
				ref, _ := url.ParseQuery(u.Query().Get("referrer"))
				c.id = ref.Get("click_id")
			}
			log = append(log, fmt.Sprintf("click %s ua=%s -> %d (id %s at %s; model bot=%v invalid=%v)", uri, st.ua, resp.StatusCode(), c.id, now.Format(time.RFC3339Nano), c.bot, c.invalid))
			if resp.StatusCode() != 302 {
				e.clock.Add(3 * time.Millisecond)
				diffs = append(diffs, fmt.Sprintf("step %d: click answered %d", si, resp.StatusCode()))
				continue
			}
			m.click(&c)
			// Clicks never share a millisecond: which of two is the
			// latest would be a matter of taste.
			e.clock.Add(3 * time.Millisecond)
		case "conv", "batch":
			var bodies []string
			for _, cv := range st.convs {
				if !fixed[cv] {
					fixed[cv] = true
					if cv.edge != 0 && len(m.order) > 0 {
						k := m.order[cv.edge%len(m.order)]
						cp := m.camps()[k.camp]
						w := cp.click
						if cv.edge%2 == 0 && cp.fp > 0 {
							w = cp.fp
						}
						if at := k.ms/1000 + w + int64(cv.edge%3) - 1; at <= now.Unix() {
							cv.eventTime = at
						}
					}
					if cv.eventTime < 0 {
						cv.eventTime = now.Unix() + cv.eventTime + 1
					}
					if cv.future > 0 {
						cv.eventTime = now.Unix() + cv.future
					}
					if cv.begin < 0 {
						at := cv.eventTime
						if at == 0 {
							at = now.Unix()
						}
						cv.begin = at + cv.begin + 1
					}
				}
				f := cv.fields(now.Unix())
				if st.form {
					bodies = append(bodies, dmForm(f))
				} else {
					bodies = append(bodies, dmJSON(f))
				}
			}
			var answers []string
			if st.kind == "batch" {
				resp := e.do("POST", "/v1/conversions/batch", "application/x-ndjson", []byte(strings.Join(bodies, "\n")+"\n"), "", "")
				answers = strings.Split(strings.TrimRight(string(resp.Body()), "\n"), "\n")
				if resp.StatusCode() != 200 {
					diffs = append(diffs, fmt.Sprintf("step %d: batch answered %d %s", si, resp.StatusCode(), resp.Body()))
					continue
				}
			} else {
				ct := "application/json"
				if st.form {
					ct = "application/x-www-form-urlencoded"
				}
				resp := e.do("POST", "/v1/conversions", ct, []byte(bodies[0]), "", "")
				answers = []string{strings.TrimRight(string(resp.Body()), "\n")}
			}
			if len(answers) != len(bodies) {
				diffs = append(diffs, fmt.Sprintf("step %d: %d answers for %d lines", si, len(answers), len(bodies)))
				continue
			}
			for i, cv := range st.convs {
				var got dmAnswer
				if err := json.Unmarshal([]byte(answers[i]), &got); err != nil || got.Error != "" {
					diffs = append(diffs, fmt.Sprintf("step %d: %s -> %s", si, bodies[i], answers[i]))
					continue
				}
				want := m.conversion(cv, now.Unix(), got)
				dmStats[cv.typ+"/"+want.Match+"/"+want.Postback]++
				log = append(log, fmt.Sprintf("%s %s at %s\n    -> %s", st.kind, bodies[i], now.Format(time.RFC3339Nano), answers[i]))
				if got != want {
					diffs = append(diffs, fmt.Sprintf("step %d: %s\n    edge:  %+v\n    model: %+v", si, bodies[i], got, want))
				}
			}
		}
	}
	// The postbacks queued.
	partners := map[string]*dispatch.Partner{}
	for name, p := range cfg.Partners {
		partners[name] = dispatch.CompilePartner(p)
	}
	var got []string
	for _, j := range attrJobs(t, e.st) {
		p := partners[j.Partner]
		if p == nil {
			got = append(got, "partner?"+j.Partner)
			continue
		}
		u, ok := dispatch.RenderURL(nil, p, &j, e.clock.Now())
		if !ok {
			got = append(got, "no template: "+j.Kind+" "+j.EventName)
			continue
		}
		got = append(got, string(u))
	}
	diffs = dmDiffPostbacks(diffs, got, m.jobs)
	return diffs, log
}

var dmStats = map[string]int{}

// dmSeeds are the seeds of the scenarios each test runs: 1..300 (1..50
// with -short), 1..DIFFATTR_SEEDS, or DIFFATTR_SEED alone.
func dmSeeds() []int64 {
	n := 300
	if testing.Short() {
		n = 50
	}
	if s := os.Getenv("DIFFATTR_SEEDS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	if s := os.Getenv("DIFFATTR_SEED"); s != "" {
		v, _ := strconv.ParseInt(s, 10, 64)
		return []int64{v}
	}
	seeds := make([]int64, n)
	for i := range seeds {
		seeds[i] = int64(i + 1)
	}
	return seeds
}

func TestDiffAttribution(t *testing.T) {
	defer func() {
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range dmStats {
				if !yield(k) {
					return
				}
			}
		})
		for _, k := range keys {
			t.Logf("%-40s %d", k, dmStats[k])
		}
	}()
	seeds := dmSeeds()
	failed := 0
	for _, seed := range seeds {
		t.Run(strconv.FormatInt(seed, 10), func(t *testing.T) {
			sc := dmGenerate(seed)
			diffs, log := dmRun(t, sc)
			if os.Getenv("DIFFATTR_LOG") != "" {
				t.Logf("steps:\n%s", strings.Join(log, "\n"))
			}
			if len(diffs) == 0 {
				return
			}
			failed++
			t.Errorf("seed %d (retention %s):\n%s", seed, sc.retention, strings.Join(diffs, "\n"))
			if len(seeds) == 1 {
				t.Logf("steps:\n%s", strings.Join(log, "\n"))
			}
		})
	}
	if failed > 0 {
		t.Errorf("%d of %d scenarios disagree", failed, len(seeds))
	}
}

// ---- held conversions (CONTRACT §8) ----
//
// With replication on, an install that no click here credits, or whose
// named click_id is not here yet, is held and decided again once the click
// has arrived or pending_window has passed. The scenario: clicks made here,
// then conversions (some decided at once, some held), then clicks "from a
// peer" (server-to-server clicks dated before the conversions, as
// replication would store them), then the holds are decided. Every
// conversion's final state (read back by replaying it) and every queued
// postback must be what the model says: decided at once with the clicks
// there were, or, held, with every click.

func dmHeldConfig() string {
	return dmConfigYAML("30d", 0) + "replication:\n  nats_url: \"nats://127.0.0.1:4222\"\n  peers: [eu]\n  pending_window: 60s\n"
}

// heldOf reports whether the model holds an install that it attributes as
// (match, c) with the clicks there are now.
func (m *dmModel) heldOf(cv *dmConv, match string, c *dmClick) bool {
	if match == "organic" || match == "view_through" {
		return true
	}
	ids := []string{}
	if cv.clickID != "" {
		ids = append(ids, cv.clickID)
	}
	if r := m.referrerClickID(cv.referrer); r != "" && r != cv.clickID {
		ids = append(ids, r)
	}
	for _, id := range ids {
		if match == "click_id" && c.id == id {
			return false
		}
		k := m.clicks[id]
		if k == nil || k.bot {
			return true
		}
	}
	return false
}

func TestDiffAttributionHeld(t *testing.T) {
	defer func() {
		for _, k := range slices.Sorted(maps.Keys(dmStats)) {
			t.Logf("%-40s %d", k, dmStats[k])
		}
	}()
	seeds := dmSeeds()
	for _, seed := range seeds {
		t.Run(strconv.FormatInt(seed, 10), func(t *testing.T) {
			diffs, log := dmRunHeld(t, seed)
			if len(diffs) > 0 {
				t.Errorf("seed %d:\n%s", seed, strings.Join(diffs, "\n"))
				if len(seeds) == 1 || os.Getenv("DIFFATTR_LOG") != "" {
					t.Logf("steps:\n%s", strings.Join(log, "\n"))
				}
			}
		})
	}
}

func dmRunHeld(t testing.TB, seed int64) (diffs, log []string) {
	r := rand.New(rand.NewSource(seed))
	e := attrNewEnv(t, store.Sync, dmHeldConfig())
	cfg, err := config.Parse("test.yaml", []byte(dmHeldConfig()), nil)
	if err != nil {
		t.Fatal(err)
	}
	m := newDMModel()
	ids := []string{"k1", "k2", "k3", "k4", "k5", "k6"}
	newClick := func() (*dmClick, [][2]string, string) {
		dev := dmDevices[r.Intn(len(dmDevices))]
		camp := []string{"cA", "cB", "cC", "cD", "cB"}[r.Intn(5)]
		uaKey := dev.clickUA
		if r.Intn(10) == 0 {
			uaKey = "slackbot"
		}
		u := dmUAs[uaKey]
		c := &dmClick{camp: camp, app: "app.a", plat: u.plat, osv: u.osv, bot: u.bot, id: ids[r.Intn(len(ids))],
			fpOff: dmCfgs[0][camp].fp == 0}
		q := [][2]string{{"c", camp}, {"click_id", c.id}}
		if r.Intn(10) < 7 {
			dmSetIDs(r, dev, &c.gaid, &c.idfa, &c.oaid, &q, false)
		}
		c.ip = dev.ip
		q = append(q, [2]string{"ip", c.ip})
		if r.Intn(2) == 0 {
			c.sub1 = "s-1"
			q = append(q, [2]string{"sub1", c.sub1})
		}
		return c, q, uaKey
	}
	enc := func(q [][2]string) string {
		var parts []string
		for _, kv := range q {
			parts = append(parts, url.QueryEscape(kv[0])+"="+url.QueryEscape(kv[1]))
		}
		return strings.Join(parts, "&")
	}
	// Phase 1: clicks made here.
	var here []*dmClick
	for range r.Intn(5) {
		e.clock.Add([]time.Duration{time.Minute, time.Hour, 20 * time.Hour, 3 * 24 * time.Hour, 1500 * time.Millisecond}[r.Intn(5)])
		c, q, ua := newClick()
		now := e.clock.Now()
		c.ms = now.UnixMilli()
		resp := e.do("GET", "/?"+enc(q), "", nil, "", dmUAs[ua].ua)
		log = append(log, fmt.Sprintf("click %s ua=%s at %s -> %d", enc(q), ua, now.Format(time.RFC3339Nano), resp.StatusCode()))
		m.click(c)
		here = append(here, c)
		e.clock.Add(3 * time.Millisecond)
	}
	if len(here) > 0 && r.Intn(3) == 0 {
		// The first install comes at the window's edge of a click here.
		k := here[r.Intn(len(here))]
		w := dmCfgs[0][k.camp].click
		if r.Intn(2) == 0 && dmCfgs[0][k.camp].fp > 0 {
			w = dmCfgs[0][k.camp].fp
		}
		at := time.UnixMilli((k.ms/1000+w+int64(r.Intn(3))-1)*1000 + 500)
		if at.After(e.clock.Now()) {
			e.clock.Set(at)
			log = append(log, "time "+at.Format(time.RFC3339Nano))
		}
	}
	// Phase 2: conversions, with every event_id set so that a replay reads
	// back the final state.
	start := e.clock.Now()
	type sent struct {
		cv     *dmConv
		body   string
		at     int64 // receipt second
		held   bool
		answer dmAnswer
	}
	var convs []*sent
	var installIDs []string
	nc := 2 + r.Intn(8)
	for i := range nc {
		e.clock.Add(time.Duration(r.Intn(4000)) * time.Millisecond)
		now := e.clock.Now()
		dev := dmDevices[r.Intn(len(dmDevices))]
		cv := &dmConv{eventID: "ev" + strconv.Itoa(i+1)}
		switch y := r.Intn(10); {
		case y < 6 || len(installIDs) == 0:
			cv.typ = "install"
			if len(installIDs) > 0 && r.Intn(6) == 0 {
				cv.installID = installIDs[r.Intn(len(installIDs))]
			} else {
				cv.installID = "i" + strconv.Itoa(len(installIDs)+1)
				installIDs = append(installIDs, cv.installID)
			}
			cv.app = "app.a"
			if r.Intn(10) < 6 {
				dmSetIDs(r, dev, &cv.gaid, &cv.idfa, &cv.oaid, nil, false)
			}
			switch y := r.Intn(10); {
			case y < 4:
				cv.clickID = ids[r.Intn(len(ids))]
			case y < 6:
				cv.referrer = "click_id=" + url.QueryEscape(ids[r.Intn(len(ids))]) + "&c=cB"
			case y < 7:
				cv.clickID = ids[r.Intn(len(ids))]
				cv.referrer = "click_id=" + url.QueryEscape(ids[r.Intn(len(ids))]) + "&c=cB"
			}
			if r.Intn(5) == 0 {
				cv.eventTime = now.Unix() - r.Int63n(3600)
			}
		case y < 8:
			cv.typ = "event"
			cv.eventName = []string{"purchase", "level"}[r.Intn(2)]
		default:
			cv.typ = "signup"
		}
		if cv.typ != "install" {
			if r.Intn(6) == 0 {
				cv.installID = "i" + strconv.Itoa(len(installIDs)+1+r.Intn(2)) // an install yet to come
			} else {
				cv.installID = installIDs[r.Intn(len(installIDs))]
			}
		}
		cv.ip, cv.ua = dev.ip, dev.appUA
		body := dmJSON(cv.fields(now.Unix()))
		resp := e.do("POST", "/v1/conversions", "application/json", []byte(body), "", "")
		var got dmAnswer
		json.Unmarshal(resp.Body(), &got)
		log = append(log, fmt.Sprintf("conv %s at %s\n    -> %s", body, now.Format(time.RFC3339Nano), resp.Body()))
		s := &sent{cv: cv, body: body, at: now.Unix(), answer: got}
		convs = append(convs, s)
		if r.Intn(3) == 0 {
			e.clock.Add(holdRetry())
			n, err := e.tr.RetryHolds(e.clock.Now(), false)
			log = append(log, fmt.Sprintf("holds: %d %v", n, err))
		}
	}
	// Phase 3: clicks from a peer, dated before now.
	for range r.Intn(5) {
		c, q, ua := newClick()
		now := e.clock.Now()
		c.ms = start.Add(-time.Duration(r.Int63n(int64(20*time.Hour))) + time.Duration(r.Int63n(int64(20*time.Second)))).UnixMilli()
		q = append(q, [2]string{"user_agent", dmUAs[ua].ua}, [2]string{"click_time", strconv.FormatInt(c.ms, 10)})
		resp := e.do("GET", "/v1/click?"+enc(q), "", nil, "", "")
		log = append(log, fmt.Sprintf("peer click %s at %s -> %d %s", enc(q), now.Format(time.RFC3339Nano), resp.StatusCode(), resp.Body()))
		var ans struct {
			Stored bool `json:"stored"`
		}
		json.Unmarshal(resp.Body(), &ans)
		if ans.Stored {
			m.click(c)
		}
		e.clock.Add(3 * time.Millisecond)
	}
	// The holds are decided: at once (replication stored something), then
	// past every window.
	e.clock.Add(10 * time.Millisecond)
	n1, err := e.tr.RetryHolds(e.clock.Now(), true)
	log = append(log, fmt.Sprintf("holds early: %d %v", n1, err))
	for range 6 {
		e.clock.Add(61 * time.Second)
		for {
			n, err := e.tr.RetryHolds(e.clock.Now(), false)
			log = append(log, fmt.Sprintf("holds at %s: %d %v", e.clock.Now().Format(time.RFC3339Nano), n, err))
			if err != nil || n == 0 {
				break
			}
		}
	}

	// The model. First at receipt, with the clicks made here (and held
	// ones marked); then every held one with every click, installs first.
	all := m.order
	m.order = nil
	for _, c := range all {
		if slices.Contains(here, c) {
			m.order = append(m.order, c)
		}
	}
	allClicks := m.clicks
	m.clicks = map[string]*dmClick{}
	for id, c := range allClicks {
		if slices.Contains(here, c) {
			m.clicks[id] = c
		}
	}
	pending := map[string]bool{} // install ids held
	heldEv := map[string]bool{}  // event ids held
	var heldList []*sent
	for _, s := range convs {
		cv := s.cv
		if _, ok := m.events[cv.eventID]; ok {
			continue // a replay
		}
		switch cv.typ {
		case "install":
			if _, ok := m.installs[cv.installID]; ok {
				m.events[cv.eventID] = dmAnswer{} // never stored: a duplicate
				delete(m.events, cv.eventID)
				continue
			}
			match, c, _ := m.attribute(cv, s.at)
			if m.heldOf(cv, match, c) {
				pending[cv.installID] = true
				heldEv[cv.eventID] = true
				m.installs[cv.installID] = &dmInstall{id: cv.installID, eventID: cv.eventID}
				m.events[cv.eventID] = dmAnswer{EventID: cv.eventID, InstallID: cv.installID, Match: "pending", Postback: "pending"}
				heldList = append(heldList, s)
				continue
			}
			m.conversion(cv, s.at, dmAnswer{})
		default:
			if cv.typ == "signup" {
				if _, ok := m.signups[cv.installID]; ok {
					continue
				}
			}
			if _, ok := m.installs[cv.installID]; !ok || pending[cv.installID] {
				if cv.typ == "signup" {
					m.signups[cv.installID] = cv.eventID
				}
				heldEv[cv.eventID] = true
				m.events[cv.eventID] = dmAnswer{EventID: cv.eventID, InstallID: cv.installID, Match: "pending", Postback: "pending"}
				heldList = append(heldList, s)
				continue
			}
			m.conversion(cv, s.at, dmAnswer{})
		}
	}
	m.order, m.clicks = all, allClicks
	for _, install := range []bool{true, false} {
		for _, s := range heldList {
			cv := s.cv
			if (cv.typ == "install") != install {
				continue
			}
			delete(m.events, cv.eventID)
			if install {
				delete(m.installs, cv.installID)
				delete(pending, cv.installID)
			} else if cv.typ == "signup" {
				delete(m.signups, cv.installID)
			}
			m.conversion(cv, s.at, dmAnswer{})
		}
	}
	// The final states, read back by replaying each conversion.
	for _, s := range convs {
		want, ok := m.events[s.cv.eventID]
		if !ok {
			continue // a duplicate of another conversion: never stored
		}
		want.Postback = "duplicate"
		resp := e.do("POST", "/v1/conversions", "application/json", []byte(s.body), "", "")
		var got dmAnswer
		json.Unmarshal(resp.Body(), &got)
		dmStats[fmt.Sprintf("held=%v/%s/%s", heldEv[s.cv.eventID], s.cv.typ, want.Match)]++
		if s.answer.Match == "pending" != heldEv[s.cv.eventID] {
			diffs = append(diffs, fmt.Sprintf("%s: answered %+v at receipt; model held=%v", s.body, s.answer, heldEv[s.cv.eventID]))
		}
		if got != want {
			diffs = append(diffs, fmt.Sprintf("%s (held %v)\n    edge:  %+v\n    model: %+v", s.body, heldEv[s.cv.eventID], got, want))
		}
	}
	partners := map[string]*dispatch.Partner{}
	for name, p := range cfg.Partners {
		partners[name] = dispatch.CompilePartner(p)
	}
	var got []string
	for _, j := range attrJobs(t, e.st) {
		u, _ := dispatch.RenderURL(nil, partners[j.Partner], &j, e.clock.Now())
		got = append(got, string(u))
	}
	diffs = dmDiffPostbacks(diffs, got, m.jobs)
	return diffs, log
}

func holdRetry() time.Duration { return 250 * time.Millisecond }

// dmDiffPostbacks appends to diffs how the postback URLs the edge queued
// (got) differ from the model's (want).
func dmDiffPostbacks(diffs, got, want []string) []string {
	got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if slices.Equal(got, want) {
		return diffs
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			diffs = append(diffs, "postback only the edge queued: "+g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			diffs = append(diffs, "postback only the model queued: "+w)
		}
	}
	if len(got) != len(want) {
		diffs = append(diffs, fmt.Sprintf("postbacks: edge %d, model %d", len(got), len(want)))
	}
	return diffs
}
