package dispatch

import (
	"strconv"
	"sync"
	"time"

	"github.com/clickedge/clickedge/config"
)

// Partner is a partner's compiled templates, made once per config load.
type Partner struct {
	Config  *config.Partner
	Install *Template
	Signup  *Template
	Events  map[string]*Template
	Body    *Template // POST only
}

// CompilePartner compiles every template of p.
func CompilePartner(p *config.Partner) *Partner {
	cp := &Partner{Config: p, Events: make(map[string]*Template, len(p.Events))}
	if p.Install != "" {
		cp.Install = CompileTemplate(p.Install)
	}
	if p.Signup != "" {
		cp.Signup = CompileTemplate(p.Signup)
	}
	for name, t := range p.Events {
		cp.Events[name] = CompileTemplate(t)
	}
	if p.Body != "" {
		cp.Body = CompileTemplate(p.Body)
	}
	return cp
}

// Template returns the template that renders j, or nil when the partner
// (no longer) has one for it.
func (p *Partner) Template(j *Job) *Template {
	switch j.Kind {
	case "install":
		return p.Install
	case "signup":
		return p.Signup
	}
	return p.Events[j.EventName]
}

// rendering is the pooled state of one render: the values and the buffer
// the numbers they need are written to.
type rendering struct {
	v   Values
	num []byte
}

var renderings = sync.Pool{New: func() any { return &rendering{num: make([]byte, 0, 128)} }}

// fill sets r's values from j as partner p sends them into template t. now
// is when the postback is built ({timestamp}). Values that must be
// formatted (times, the ISO date) are formatted only when t uses them: the
// date was the costliest part of a render, for templates that seldom want
// it.
func (r *rendering) fill(j *Job, p *config.Partner, now time.Time, t *Template) {
	v := &r.v
	v.Reset()
	r.num = r.num[:0]
	v.SetString(MacroClickID, j.ClickID)
	v.SetString(MacroInstallID, j.InstallID)
	v.SetString(MacroEventID, j.EventID)
	name := j.EventName
	if p != nil {
		if renamed, ok := p.Rename[name]; ok {
			name = renamed
		}
	}
	v.SetString(MacroEventName, name)
	if t.Uses(MacroEventTime) {
		v.Set(MacroEventTime, r.appendNum(j.EventTime))
	}
	if t.Uses(MacroEventTimeISO) {
		v.Set(MacroEventTimeISO, r.appendISO(j.EventTime))
	}
	if p == nil || p.ShareRevenue {
		v.SetString(MacroRevenue, j.Revenue)
		v.SetString(MacroCurrency, j.Currency)
	}
	v.SetString(MacroPlatform, j.Platform)
	switch j.Platform {
	case "android":
		v.SetString(MacroAdvertisingID, j.GAID)
	case "ios":
		v.SetString(MacroAdvertisingID, j.IDFA)
	}
	v.SetString(MacroGAID, j.GAID)
	v.SetString(MacroIDFA, j.IDFA)
	v.SetString(MacroOAID, j.OAID)
	v.SetString(MacroIP, j.IP)
	v.SetString(MacroCountry, j.Country)
	v.SetString(MacroAppID, j.AppID)
	v.SetString(MacroAppVersion, j.AppVersion)
	v.SetString(MacroCampaignID, j.CampaignID)
	v.SetString(MacroCampaignName, j.CampaignName)
	for i, m := range [...]Macro{MacroSub1, MacroSub2, MacroSub3, MacroSub4, MacroSub5} {
		v.SetString(m, j.Sub[i])
	}
	if t.Uses(MacroTimestamp) {
		v.Set(MacroTimestamp, r.appendNum(now.Unix()))
	}
	v.SetString(MacroAffID, j.AffID)
	v.SetString(MacroPubID, j.PubID)
	v.SetString(MacroOfferID, j.OfferID)
	v.SetString(MacroCreativeID, j.CreativeID)
	if j.ClickTime > 0 && t.Uses(MacroClickTime) {
		v.Set(MacroClickTime, r.appendNum(j.ClickTime/1000))
	}
	v.SetString(MacroMatchType, j.MatchType)
}

// appendNum writes n to r.num and returns its bytes. r.num is sized so the
// few numbers of one render never reallocate it, which would leave earlier
// values pointing at the old array (still correct, but an allocation).
func (r *rendering) appendNum(n int64) []byte {
	start := len(r.num)
	r.num = strconv.AppendInt(r.num, n, 10)
	return r.num[start:len(r.num):len(r.num)]
}

func (r *rendering) appendISO(unix int64) []byte {
	start := len(r.num)
	r.num = time.Unix(unix, 0).UTC().AppendFormat(r.num, "2006-01-02T15:04:05Z")
	return r.num[start:len(r.num):len(r.num)]
}

// RenderURL renders j's URL with partner p's template, appending to dst.
// ok is false when the partner has no template for j.
func RenderURL(dst []byte, p *Partner, j *Job, now time.Time) (_ []byte, ok bool) {
	t := p.Template(j)
	if t == nil {
		return dst, false
	}
	r := renderings.Get().(*rendering)
	r.fill(j, p.Config, now, t)
	dst = t.AppendURL(dst, &r.v)
	r.v.Reset()
	renderings.Put(r)
	return dst, true
}

// RenderBody renders j's POST body, appending to dst.
func RenderBody(dst []byte, p *Partner, j *Job, now time.Time) []byte {
	if p.Body == nil {
		return dst
	}
	r := renderings.Get().(*rendering)
	r.fill(j, p.Config, now, p.Body)
	dst = p.Body.AppendJSON(dst, &r.v)
	r.v.Reset()
	renderings.Put(r)
	return dst
}
