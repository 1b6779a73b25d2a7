package tracker

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/store"
)

// clickRequest is the pooled state of one click: the parsed input and the
// buffers its answer is built in.
type clickRequest struct {
	in     ClickInput
	buf    []byte // the Location, or the /v1/click answer
	target []byte // an app URL with its redirect macros filled in
}

var (
	hdrLocation     = []byte("Location")
	hdrCacheControl = []byte("Cache-Control")
	valNoStore      = []byte("no-store")
	hdrAllow        = []byte("Allow")
	valGetHead      = []byte("GET, HEAD")
	valGet          = []byte("GET")
)

// click serves a tracking link: GET /?c=CAMPAIGN&… or GET /CAMPAIGN?….
func (t *Tracker) click(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	head := ctx.IsHead()
	if !head && !ctx.IsGet() {
		ctx.Error("method not allowed\n", fasthttp.StatusMethodNotAllowed)
		// After Error, which resets the response; RFC 9110 §15.5.6
		// requires it of a 405.
		ctx.Response.Header.SetBytesKV(hdrAllow, valGetHead)
		noStore(ctx)
		return
	}
	cfg := t.cfg.Load()
	r := t.clickReqs.Get().(*clickRequest)
	defer t.clickReqs.Put(r)
	in := &r.in
	in.Reset()
	in.Parse(ctx.QueryArgs(), ctx.Request.Header.UserAgent())

	camp := linkCampaign(cfg, in.Campaign, ctx.Path())
	var app *config.App
	if camp != nil {
		app = cfg.Apps[camp.App]
	}
	if app == nil {
		clicksUnknownCampaign.Inc()
		ctx.Error("unknown campaign\n", fasthttp.StatusNotFound)
		// After Error, which resets the response: a CDN must not keep the
		// 404 of a campaign that the next reload may add.
		noStore(ctx)
		return
	}
	c := &in.Click
	setCampaign(c, camp, app)
	now := start
	if !t.wallClock {
		now = t.now()
	}
	c.Time = now.UnixMilli()
	in.GenerateClickID(t.ids, now)
	t.fillClientFields(ctx, cfg, in)

	if head {
		// HEAD answers as GET would and stores nothing: link checkers and
		// CDNs probe with it.
		clicksHead.Inc()
	} else {
		t.storeClick(c)
	}
	target := appURL(app, c.Platform)
	switch {
	case len(in.Redirect) != 0 && RedirectAllowed(in.Redirect, app.RedirectHosts) &&
		!config.CarriesReferrer(b2s(in.Redirect)): // Play would see two, ours second
		clickRedirectsFollowed.Inc()
		target = b2s(in.Redirect)
	case len(in.Redirect) != 0:
		clickRedirectsRefused.Inc()
		fallthrough
	default:
		if strings.IndexByte(target, '{') >= 0 {
			r.target = AppendAppURL(r.target[:0], target, c, camp.Name)
			target = b2s(r.target)
		}
	}
	r.buf = AppendLocation(r.buf[:0], target, c.ClickID, c.Campaign)
	noStore(ctx)
	ctx.Response.Header.SetCanonical(hdrLocation, r.buf)
	ctx.SetStatusCode(fasthttp.StatusFound)
	clickDuration.UpdateDuration(start)
}

// storeClick writes the click and counts the outcome. A store failure is
// logged and counted but does not block the redirect: the user reaches the
// store either way, and the error is the operator's to see.
func (t *Tracker) storeClick(c *store.Click) (stored bool, err error) {
	start := time.Now()
	stored, err = t.st.PutClick(c)
	commitDuration.UpdateDuration(start)
	switch {
	case err != nil:
		clicksError.Inc()
		if n, ok := t.storeFailed.click.Allow(); ok {
			t.log.Error("click not stored", "click_id", string(c.ClickID), "err", err, "suppressed", n)
		}
	case !stored:
		clicksDuplicate.Inc()
	case c.Flags&store.FlagBot != 0:
		clicksBot.Inc()
	case c.Flags&(store.FlagOversize|store.FlagBadUTF8|store.FlagMacro|store.FlagInvalidID) != 0:
		clicksFlagged.Inc()
	default:
		clicksStored.Inc()
	}
	return stored, err
}

// fillClientFields sets what comes from the connection rather than the
// query: the client IP (through trusted proxies; with anonymize_ip, the
// ip parameter's too is cut to its network here) and the country header.
func (t *Tracker) fillClientFields(ctx *fasthttp.RequestCtx, cfg *config.Config, in *ClickInput) {
	peer, _ := netip.AddrFromSlice(ctx.RemoteIP())
	var lines [][]byte
	if len(cfg.TrustedProxies) != 0 {
		// Every line of the header: a proxy may add its own line rather
		// than extend the client's (HAProxy's forwardfor does), and then
		// the first line is the one the client wrote. PeekAll reuses the
		// header's own slice.
		lines = ctx.Request.Header.PeekAll(cfg.ClientIPHeader)
	}
	in.SetClientIPLines(peer.Unmap(), lines, cfg.TrustedProxies)
	if cfg.AnonymizeIP {
		in.AnonymizeIP()
	}
	// The country header is the CDN's word: with trusted_proxies set, only
	// a trusted peer's is believed, as with the client IP header; a client
	// talking to the edge directly could otherwise claim any country.
	if cfg.CountryHeader != "" && in.Click.Country == nil &&
		(len(cfg.TrustedProxies) == 0 || isTrusted(peer.Unmap(), cfg.TrustedProxies)) {
		if v := ctx.Request.Header.Peek(cfg.CountryHeader); len(v) > 0 && len(v) <= 8 {
			in.Click.Country = in.keep(v)
		}
	}
}

// setCampaign records on c the campaign and app it was made for, and marks
// it FlagNoFingerprint when the campaign's fingerprint matching is off: the
// store then writes no fingerprint key that nothing could match.
func setCampaign(c *store.Click, camp *config.Campaign, app *config.App) {
	c.Campaign = s2b(camp.ID)
	c.App = s2b(app.ID)
	if camp.FingerprintLookback <= 0 {
		c.Flags |= store.FlagNoFingerprint
	}
}

// linkCampaign returns the campaign a tracking link names, or nil. A link
// is / or /SEGMENT: the campaign is c='s when c names one, else the path
// segment's, so a link that carries both loses no click to a c= its network
// left unexpanded ({campaign}) or mistyped. A deeper path is no tracking
// link, whatever its c= says: an impression or a stray crawler URL must not
// become a click that can win attribution.
func linkCampaign(cfg *config.Config, c, path []byte) *config.Campaign {
	if len(path) == 0 || path[0] != '/' || bytes.IndexByte(path[1:], '/') >= 0 {
		return nil
	}
	if len(c) != 0 {
		if camp := cfg.Campaigns[string(c)]; camp != nil {
			return camp
		}
	}
	if len(path) == 1 {
		return nil
	}
	return cfg.Campaigns[string(path[1:])]
}

// appURL picks the app's URL for the platform; the web URL is the fallback
// for every platform the app has no store URL for.
func appURL(app *config.App, p store.Platform) string {
	switch {
	case p == store.PlatformAndroid && app.Android != "":
		return app.Android
	case p == store.PlatformIOS && app.IOS != "":
		return app.IOS
	case app.Web != "":
		return app.Web
	case app.Android != "":
		return app.Android
	}
	return app.IOS
}

// noStore sets Cache-Control: no-store. The header names here are written
// in canonical form, so they are set without fasthttp's normalising copy.
func noStore(ctx *fasthttp.RequestCtx) {
	ctx.Response.Header.SetCanonical(hdrCacheControl, valNoStore)
}

// serverClick serves GET /v1/click: a click reported server to server. It
// answers JSON and never redirects.
func (t *Tracker) serverClick(ctx *fasthttp.RequestCtx) {
	r := t.s2sRequest(ctx)
	if r == nil {
		return
	}
	defer t.clickReqs.Put(r)
	in := &r.in
	c := &in.Click
	cfg := t.cfg.Load()
	camp, app, msg := s2sCampaign(cfg, in.Campaign)
	if msg == "" && c.Flags&store.FlagMacro != 0 {
		msg = "unexpanded macro in a parameter value"
	}
	now := t.now()
	at := now
	if msg == "" {
		at, msg = reportedTime(in.ClickTime, now, "click_time")
	}
	if msg != "" {
		clicksRejected.Inc()
		jsonError(ctx, fasthttp.StatusBadRequest, msg)
		return
	}
	setCampaign(c, camp, app)
	c.Time = at.UnixMilli()
	c.Flags |= store.FlagServerToServer
	in.GenerateClickID(t.ids, now)
	t.fillClientFields(ctx, cfg, in)
	stored, err := t.storeClick(c)
	if err != nil {
		jsonError(ctx, fasthttp.StatusInternalServerError, "click not stored")
		return
	}
	r.answerStored(ctx, "click_id", c.ClickID, stored, storedReason(c, stored))
}

// s2sRequest begins a server-to-server report (GET /v1/click, GET
// /v1/impression): it answers 405 to another method, else parses the query
// into a pooled request, which the caller puts back. The User-Agent header
// of such a request is the reporting server's, not the device's: only the
// user_agent parameter counts.
func (t *Tracker) s2sRequest(ctx *fasthttp.RequestCtx) *clickRequest {
	if !ctx.IsGet() {
		jsonError(ctx, fasthttp.StatusMethodNotAllowed, "method: use GET")
		ctx.Response.Header.SetBytesKV(hdrAllow, valGet)
		return nil
	}
	r := t.clickReqs.Get().(*clickRequest)
	r.in.Reset()
	r.in.Parse(ctx.QueryArgs(), nil)
	return r
}

// s2sCampaign finds the campaign a server-to-server report names (c=) and
// its app; msg says what is wrong otherwise.
func s2sCampaign(cfg *config.Config, c []byte) (*config.Campaign, *config.App, string) {
	if len(c) == 0 {
		return nil, nil, "c: missing campaign"
	}
	camp := cfg.Campaigns[string(c)]
	var app *config.App
	if camp != nil {
		app = cfg.Apps[camp.App]
	}
	if app == nil {
		return nil, nil, "c: unknown campaign"
	}
	return camp, app, ""
}

// storedReason is the reason a server-to-server answer gives for c, which
// the store did or did not keep.
func storedReason(c *store.Click, stored bool) string {
	switch {
	case !stored:
		return "duplicate"
	case c.Flags&store.FlagBot != 0:
		return "bot"
	case c.Flags&(store.FlagOversize|store.FlagBadUTF8|store.FlagInvalidID) != 0:
		return "flagged"
	}
	return "stored"
}

// answerStored answers {"<idKey>":id,"stored":…,"reason":…}.
func (r *clickRequest) answerStored(ctx *fasthttp.RequestCtx, idKey string, id []byte, stored bool, reason string) {
	b := append(r.buf[:0], `{"`...)
	b = append(b, idKey...)
	b = append(b, `":`...)
	b = appendJSONBytes(b, id)
	b = append(b, `,"stored":`...)
	b = strconv.AppendBool(b, stored)
	b = append(b, `,"reason":"`...)
	b = append(b, reason...)
	b = append(b, "\"}\n"...)
	r.buf = b
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
}

// reportedTime reads a reported click_time (or impression_time, the field
// named in a message) in unix seconds or milliseconds; absent is now. A
// time more than 24 h old is refused: attribution windows start there, and
// a late report would attribute what has long been decided.
func reportedTime(raw []byte, now time.Time, field string) (time.Time, string) {
	if len(raw) == 0 {
		return now, ""
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || n <= 0 {
		return now, field + ": not a unix time in seconds or milliseconds"
	}
	t := time.Unix(n, 0)
	if n >= 1e11 { // later than the year 5138 in seconds: it is milliseconds
		t = time.UnixMilli(n)
	}
	// In whole seconds, as attribution compares times: a click_time sent
	// in seconds exactly 24 h back is not older than 24 h because the
	// clock is half a second further on.
	switch age := now.Unix() - t.Unix(); {
	case age > 24*3600:
		return now, field + ": more than 24 h ago"
	case -age > int64(store.MaxClickAhead/time.Second):
		return now, field + ": more than 1 h ahead"
	}
	return t, ""
}
