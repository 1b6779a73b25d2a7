package edge

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/pprofhandler"

	"github.com/clickedge/clickedge/store"
	"github.com/clickedge/clickedge/store/replication"
	"github.com/clickedge/clickedge/tracker"
)

// adminHandler serves the admin listener (CONTRACT §6).
func (e *Edge) adminHandler(ctx *fasthttp.RequestCtx) {
	path := string(ctx.Path())
	switch {
	case path == "/healthz":
		if allowMethod(ctx, fasthttp.MethodGet) {
			tracker.WriteHealth(ctx, e.tr.Draining())
		}
		return
	case path == "/metrics":
		if !allowMethod(ctx, fasthttp.MethodGet) {
			return
		}
		ctx.SetContentType("text/plain; version=0.0.4; charset=utf-8")
		metrics.WritePrometheus(ctx, true)
		writeBuildInfo(ctx, e.cfg.Load().Region)
		writeStoreMetrics(ctx, e.st.Stats())
		return
	case e.demo != nil && (path == "/_demo/postback" || path == "/_demo/postbacks"):
		e.demo.serve(ctx)
		return
	}
	cfg := e.cfg.Load()
	if cfg.AdminToken == "" {
		// No token configured: the admin API does not exist, as far as
		// anyone can tell from outside.
		ctx.Error("not found\n", fasthttp.StatusNotFound)
		return
	}
	if !authorized(ctx, cfg.AdminToken) {
		ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="clickedge"`)
		writeJSON(ctx, fasthttp.StatusUnauthorized, map[string]string{"error": "missing or wrong bearer token"})
		return
	}
	get, post := fasthttp.MethodGet, fasthttp.MethodPost
	if id, ok := pathID(ctx, "/admin/v1/clicks/"); ok {
		if allowMethod(ctx, get) && knownParams(ctx) {
			e.adminClick(ctx, id)
		}
		return
	}
	if id, ok := pathID(ctx, "/admin/v1/installs/"); ok {
		if allowMethod(ctx, get) && knownParams(ctx) {
			e.adminInstall(ctx, id)
		}
		return
	}
	if strings.HasPrefix(path, "/admin/v1/devices/") {
		if allowMethod(ctx, get) && knownParams(ctx, "app", "limit") {
			e.adminDevice(ctx)
		}
		return
	}
	if strings.HasPrefix(path, "/admin/v1/export/") {
		if allowMethod(ctx, get) {
			e.adminExport(ctx, strings.TrimPrefix(path, "/admin/v1/export/"))
		}
		return
	}
	var serve func(*fasthttp.RequestCtx)
	method := get
	switch {
	case path == "/admin/v1/postbacks":
		serve = e.adminPostbacks
	case path == "/admin/v1/postbacks/redrive":
		serve, method = e.adminRedrive, post
	case path == "/admin/v1/checkpoint":
		serve, method = withoutParams(e.adminCheckpoint), post
	case path == "/admin/v1/report":
		serve = e.adminReport
	case path == "/admin/v1/replication":
		serve = withoutParams(e.adminReplication)
	case strings.HasPrefix(path, "/debug/pprof/"):
		// Go's profiles (net/http/pprof's paths), so that an operator can
		// see where a busy edge's CPU and memory go, in production.
		pprofhandler.PprofHandler(ctx)
		return
	default:
		writeJSON(ctx, fasthttp.StatusNotFound, map[string]string{"error": "not found"})
		return
	}
	if allowMethod(ctx, method) {
		serve(ctx)
	}
}

// allowMethod reports whether the request's method is the one an admin
// endpoint takes (HEAD too, for a GET one), and answers any other 405 with
// the Allow header RFC 9110 §15.5.6 requires: a DELETE of a click must not
// be answered 200, as if it had been deleted.
func allowMethod(ctx *fasthttp.RequestCtx, method string) bool {
	if string(ctx.Method()) == method || method == fasthttp.MethodGet && ctx.IsHead() {
		return true
	}
	allow := method
	if method == fasthttp.MethodGet {
		allow = "GET, HEAD"
	}
	ctx.Response.Header.Set(fasthttp.HeaderAllow, allow)
	writeJSON(ctx, fasthttp.StatusMethodNotAllowed, map[string]string{"error": "method: use " + method})
	return false
}

// adminMaxBody bounds a request body on the admin listener (a postback's is
// far smaller: a partner's POST template is a few hundred bytes).
const adminMaxBody = 64 << 10

// adminReadError answers a request the admin listener could not read.
func adminReadError(ctx *fasthttp.RequestCtx, err error) {
	code, msg := tracker.UnreadAnswer(err)
	ctx.Error(msg, code)
}

// authorized reports whether the request carries the bearer token. The
// scheme's name is matched in any case (RFC 9110 §11.1).
func authorized(ctx *fasthttp.RequestCtx, token string) bool {
	return tracker.BearerOK(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization), token)
}

// pathID returns the id that follows prefix in the request's path as it was
// sent, percent-decoded once. Click and install ids are whatever a network
// sent, "a//b" and ".." included, and the normalised path (ctx.Path) would
// have rewritten them.
func pathID(ctx *fasthttp.RequestCtx, prefix string) (string, bool) {
	raw, ok := strings.CutPrefix(string(ctx.URI().PathOriginal()), prefix)
	if !ok || raw == "" {
		return "", false
	}
	id, err := url.PathUnescape(raw)
	if err != nil {
		return "", false
	}
	return id, true
}

// clickView is a stored click as the admin API shows it.
type clickView struct {
	ClickID    string   `json:"click_id"`
	Campaign   string   `json:"campaign"`
	App        string   `json:"app"`
	Time       string   `json:"time"`
	Platform   string   `json:"platform"`
	OSVersion  string   `json:"os_version"`
	Flags      []string `json:"flags"`
	AffID      string   `json:"aff_id"`
	PubID      string   `json:"pub_id"`
	OfferID    string   `json:"offer_id"`
	CreativeID string   `json:"creative_id"`
	Sub        []string `json:"sub"`
	GAID       string   `json:"gaid"`
	IDFA       string   `json:"idfa"`
	OAID       string   `json:"oaid"`
	IP         string   `json:"ip"`
	UserAgent  string   `json:"user_agent"`
	Country    string   `json:"country"`
	DeepLink   string   `json:"deep_link"`
}

var flagNames = []struct {
	f    store.ClickFlags
	name string
}{
	{store.FlagBot, "bot"}, {store.FlagInvalidID, "invalid_click_id"}, {store.FlagOversize, "oversize"},
	{store.FlagBadUTF8, "invalid_utf8"}, {store.FlagMacro, "unexpanded_macro"},
	{store.FlagGeneratedID, "generated_click_id"}, {store.FlagServerToServer, "server_to_server"},
	{store.FlagNoFingerprint, "fingerprint_off"}, {store.FlagImpression, "impression"},
}

func (e *Edge) adminClick(ctx *fasthttp.RequestCtx, id string) {
	var c store.Click
	_, ok, err := e.st.GetClick([]byte(id), &c, nil)
	if stored, imp := tracker.ImpressionStoredID(id); err == nil && !ok && imp {
		// "imp:<id>": no click of that id, so the impression.
		if _, ok, err = e.st.GetClick([]byte(stored), &c, nil); ok {
			id = stored
		}
	}
	if err != nil {
		writeJSON(ctx, fasthttp.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	if !ok {
		writeJSON(ctx, fasthttp.StatusNotFound, map[string]string{"error": "click not found"})
		return
	}
	ua, _ := e.st.ClickUserAgent([]byte(id))
	c.ClickID = []byte(id)
	writeJSON(ctx, fasthttp.StatusOK, viewOf(&c, ua))
}

// viewOf is the admin API's view of c, with its user agent ua.
func viewOf(c *store.Click, ua string) clickView {
	v := clickView{
		ClickID: tracker.ShownClickID(string(c.ClickID)), Campaign: string(c.Campaign), App: string(c.App),
		Time: time.UnixMilli(c.Time).UTC().Format(time.RFC3339Nano), Platform: c.Platform.String(),
		OSVersion: string(c.OSVersion), Flags: []string{}, AffID: string(c.AffID), PubID: string(c.PubID),
		OfferID: string(c.OfferID), CreativeID: string(c.CreativeID), GAID: string(c.GAID),
		IDFA: string(c.IDFA), OAID: string(c.OAID), IP: string(c.IP), UserAgent: ua, Country: string(c.Country),
		DeepLink: string(c.DeepLink),
	}
	for _, s := range c.Sub {
		v.Sub = append(v.Sub, string(s))
	}
	for _, f := range flagNames {
		if c.Flags&f.f != 0 {
			v.Flags = append(v.Flags, f.name)
		}
	}
	return v
}

// adminDevice serves GET /admin/v1/devices/{advertising_id}?app=APP&limit=N
// (an extension): the device's clicks and impressions for the app, newest
// first, whatever kind of advertising id it is (gaid, idfa, oaid), at most
// limit of them (default 100, at most 1000). app may be left out when the
// config has one app. It answers support's first question about an
// install: what did this device click?
func (e *Edge) adminDevice(ctx *fasthttp.RequestCtx) {
	bad := func(msg string) { writeJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": msg}) }
	id, ok := pathID(ctx, "/admin/v1/devices/")
	if !ok {
		bad("advertising id: missing")
		return
	}
	cfg := e.cfg.Load()
	args := ctx.QueryArgs()
	app := string(args.Peek("app"))
	if app == "" && len(cfg.Apps) == 1 {
		for a := range cfg.Apps {
			app = a
		}
	}
	switch {
	case app == "":
		bad("app: missing (the config has " + strconv.Itoa(len(cfg.Apps)) + " apps)")
		return
	case cfg.Apps[app] == nil:
		bad("app: " + strconv.Quote(app) + " is not in the config")
		return
	}
	limit := 100
	if s := args.Peek("limit"); len(s) > 0 {
		n, err := strconv.Atoi(string(s))
		if err != nil || n < 1 || n > 1000 {
			bad("limit: a whole number from 1 to 1000")
			return
		}
		limit = n
	}
	var found []timedView
	for _, k := range []store.DeviceKind{store.DeviceGAID, store.DeviceIDFA, store.DeviceOAID} {
		for _, kind := range []store.DeviceKind{k, k.View()} {
			err := e.st.DeviceClicks([]byte(app), kind, []byte(id), func(c *store.Click) {
				found = append(found, timedView{c.Time, viewOf(c, "")})
			})
			if err != nil {
				writeJSON(ctx, fasthttp.StatusInternalServerError, map[string]string{"error": err.Error()})
				return
			}
		}
	}
	sortNewestFirst(found)
	views := make([]clickView, 0, min(len(found), limit))
	for _, f := range found[:min(len(found), limit)] {
		views = append(views, f.view)
	}
	writeJSON(ctx, fasthttp.StatusOK, map[string]any{"advertising_id": id, "app": app, "clicks": views})
}

// timedView is a click's view and its time in unix milliseconds.
type timedView struct {
	ms   int64
	view clickView
}

// sortNewestFirst sorts newest first, then by click id. It compares the
// times, not their RFC 3339 text, which drops trailing zeros: ".37Z" would
// sort after ".373Z".
func sortNewestFirst(v []timedView) {
	slices.SortStableFunc(v, func(a, b timedView) int {
		if a.ms != b.ms {
			return cmp.Compare(b.ms, a.ms)
		}
		return strings.Compare(a.view.ClickID, b.view.ClickID)
	})
}

func (e *Edge) adminInstall(ctx *fasthttp.RequestCtx, id string) {
	in, err := e.st.GetInstall(id)
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(ctx, fasthttp.StatusNotFound, map[string]string{"error": "install not found"})
		return
	}
	if err != nil {
		writeJSON(ctx, fasthttp.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	v := installFields(in)
	v["why"] = why(in)
	writeJSON(ctx, fasthttp.StatusOK, v)
}

// installFields is an install as the admin API shows it: alone (with why)
// and in the export.
func installFields(in *store.Install) map[string]any {
	v := map[string]any{
		"install_id": in.InstallID, "event_id": in.EventID, "app": in.App, "platform": in.Platform.String(),
		"time": time.Unix(in.Time, 0).UTC().Format(time.RFC3339), "attributed": in.Attributed(),
		"match": in.Match.String(), "click_id": in.ClickID, "campaign": in.Campaign, "partner": in.Partner,
		"aff_id": in.AffID, "pub_id": in.PubID, "offer_id": in.OfferID, "creative_id": in.CreativeID,
		"sub": in.Sub, "gaid": in.GAID, "idfa": in.IDFA, "oaid": in.OAID, "ip": in.IP,
		"user_agent": in.UserAgent, "country": in.Country, "app_version": in.AppVersion,
		"deep_link": in.DeepLink,
	}
	if in.ClickTime > 0 {
		v["click_time"] = time.UnixMilli(in.ClickTime).UTC().Format(time.RFC3339Nano)
		// Click-to-install time, whole seconds (as attribution compares).
		v["ctit_seconds"] = max(in.Time-in.ClickTime/1000, 0)
	}
	return v
}

// why says in words how an install was attributed, for support staff.
func why(in *store.Install) string {
	switch in.Match {
	case store.MatchClickID:
		return "the install carried click_id " + in.ClickID + " (directly or in its install referrer), a click within its campaign's click_lookback"
	case store.MatchDeviceID:
		return "no usable click_id; click " + in.ClickID + " was the latest click for this app with the same advertising id within its campaign's click_lookback"
	case store.MatchFingerprint:
		return "no usable click_id or advertising id match; click " + in.ClickID + " was the latest click for this app from the same IP, platform and OS version within its campaign's fingerprint_lookback"
	case store.MatchPending:
		return "held: its click (or the click its click_id names) may still be on its way from another region; decided again until replication.pending_window has passed"
	case store.MatchViewThrough:
		return "no click matched; impression " + in.ClickID + " (shown as click " + tracker.LegacyImpressionIDPrefix + in.ClickID + ") was the latest shown to this advertising id within its campaign's view_through_lookback"
	}
	return "no click matched by click_id, advertising id or IP + OS version within the campaigns' windows"
}

func (e *Edge) adminPostbacks(ctx *fasthttp.RequestCtx) {
	args := ctx.QueryArgs()
	if !knownParams(ctx, "status", "limit", "partner") {
		return
	}
	st := store.StatusPending
	if s := args.Peek("status"); len(s) > 0 {
		var ok bool
		if st, ok = store.ParseStatus(string(s)); !ok {
			writeJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": "status: one of pending, delivered, failed"})
			return
		}
	}
	limit := 100
	if s := args.Peek("limit"); len(s) > 0 {
		n, err := strconv.Atoi(string(s))
		if err != nil || n < 1 || n > 10000 {
			writeJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": "limit: a number from 1 to 10000"})
			return
		}
		limit = n
	}
	views, err := e.disp.List(st, limit, string(args.Peek("partner")))
	if err != nil {
		writeJSON(ctx, fasthttp.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(ctx, fasthttp.StatusOK, views)
}

func (e *Edge) adminRedrive(ctx *fasthttp.RequestCtx) {
	if !knownParams(ctx, "partner") { // dropped, it would redrive every failed postback of every partner
		return
	}
	partner := string(ctx.QueryArgs().Peek("partner"))
	if partner != "" && e.cfg.Load().Partners[partner] == nil {
		// Its postbacks could not be rendered: they would only fail again.
		writeJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": "partner: " + strconv.Quote(partner) + " is not in the config"})
		return
	}
	n, err := e.disp.Redrive(partner)
	if err != nil {
		writeJSON(ctx, fasthttp.StatusInternalServerError, map[string]any{"error": err.Error(), "redriven": n})
		return
	}
	writeJSON(ctx, fasthttp.StatusOK, map[string]int{"redriven": n})
}

// knownParams answers 400 naming the first query parameter of the request
// that is not one of known, and reports whether there was none.
func knownParams(ctx *fasthttp.RequestCtx, known ...string) bool {
	msg := unknownParam(ctx.QueryArgs(), known...)
	if msg == "" {
		msg = emptyOrRepeatedParam(ctx.QueryArgs())
	}
	if msg != "" {
		writeJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": msg})
		return false
	}
	return true
}

// withoutParams is serve for an endpoint that takes no query parameter.
func withoutParams(serve func(*fasthttp.RequestCtx)) func(*fasthttp.RequestCtx) {
	return func(ctx *fasthttp.RequestCtx) {
		if knownParams(ctx) {
			serve(ctx)
		}
	}
}

// unknownParam names the first query parameter of args that is not one of
// known, or is "": a misspelt filter must not widen what is answered or
// re-sent.
func unknownParam(args *fasthttp.Args, known ...string) string {
	for k := range args.All() {
		if name := string(k); !slices.Contains(known, name) {
			if len(known) == 0 {
				return name + ": not a parameter here (this endpoint takes none)"
			}
			return name + ": not a parameter here (" + strings.Join(known, ", ") + ")"
		}
	}
	return ""
}

// emptyOrRepeatedParam names the first query parameter given with no
// value or more than once, or is "": an empty filter (?partner=, an unset shell variable in
// redrive?partner=$P) is not no filter, and taken for none it widened what
// is answered, exported or re-sent, as a misspelt name had
// (TestAdminEmptyFilterIsNotDropped).
func emptyOrRepeatedParam(args *fasthttp.Args) string {
	for k, v := range args.All() {
		if len(v) == 0 {
			return string(k) + ": empty (give it a value, or leave it out)"
		}
		if len(args.PeekMulti(string(k))) > 1 {
			// Only the first would be read: the others' records left out
			// of what is answered, exported or re-sent, and nothing said
			// (TestAdminRepeatedFilterNotDropped).
			return string(k) + ": given more than once (one value per parameter)"
		}
	}
	return ""
}

func writeJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = fasthttp.StatusInternalServerError, []byte(`{"error":"encoding"}`)
	}
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(append(b, '\n'))
}

// adminReplication serves GET /admin/v1/replication: the connection, the
// outbox and each peer's stream as applied here (an extension of CONTRACT
// §6), or {"region":…,"enabled":false} for a single region.
func (e *Edge) adminReplication(ctx *fasthttp.RequestCtx) {
	if e.repl == nil {
		writeJSON(ctx, fasthttp.StatusOK, map[string]any{"region": e.started.Region, "enabled": false})
		return
	}
	writeJSON(ctx, fasthttp.StatusOK, struct {
		Enabled bool `json:"enabled"`
		replication.Status
	}{true, e.repl.Status()})
}
