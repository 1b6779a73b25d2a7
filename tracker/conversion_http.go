package tracker

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/dispatch"
	"github.com/clickedge/clickedge/store"
)

// Batch limits: a bulk request is one Pebble batch and one fsync, so it is
// bounded in bytes and lines to keep a single commit reasonable.
const (
	MaxBatchBody  = 16 << 20
	MaxBatchLines = 10000
)

// A batch body over MaxConversionBody (or chunked, of a size not known) is
// read into memory by the handler, up to MaxBatchBody, for as long as its
// client takes to send it (up to the read timeout). At most maxBatchReads are read at
// once, so that clients sending many bodies slowly, or declaring more than
// they send, cannot pin the edge's memory (16 of them held 276 MiB); one
// that finds no slot within batchReadWait is answered 503 with Retry-After.
// Batches are decided one at a time under the store's decision lock anyway.
const maxBatchReads = 4

var batchReadWait = 5 * time.Second // a var for tests

// result is the answer to one conversion (CONTRACT §4).
type result struct {
	EventID, InstallID string
	Attributed         bool
	Match              string
	Campaign, ClickID  string
	Postback           string
	// DeepLink is the install's deferred deep link (an extension); only an
	// install's answer carries it, and only when it has one.
	DeepLink string
	Type     ConversionType
	queued   bool
	// decided is the install this conversion decided, counted by
	// countConversion once its transaction has committed.
	decided    *store.Install
	afterBegin bool
}

func (r *result) appendJSON(b []byte) []byte {
	b = append(b, `{"event_id":`...)
	b = appendJSONString(b, r.EventID)
	b = append(b, `,"install_id":`...)
	b = appendJSONString(b, r.InstallID)
	b = append(b, `,"attributed":`...)
	b = strconv.AppendBool(b, r.Attributed)
	b = append(b, `,"match":`...)
	b = appendJSONString(b, r.Match)
	b = append(b, `,"campaign":`...)
	b = appendJSONString(b, r.Campaign)
	b = append(b, `,"click_id":`...)
	b = appendJSONString(b, r.ClickID)
	b = append(b, `,"postback":`...)
	b = appendJSONString(b, r.Postback)
	if r.DeepLink != "" {
		b = append(b, `,"deep_link":`...)
		b = appendJSONString(b, r.DeepLink)
	}
	return append(b, '}')
}

// conversion serves POST /v1/conversions: one JSON object or form body.
func (t *Tracker) conversion(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	if !ctx.IsPost() {
		methodNotAllowed(ctx)
		return
	}
	if !t.conversionAllowed(ctx) {
		return
	}
	if encodedBody(ctx) {
		return
	}
	body, err := readBody(ctx, MaxConversionBody)
	if err != nil {
		conversionsRejected.Inc()
		closeUnread(ctx)
		jsonError(ctx, fasthttp.StatusBadRequest, err.Error())
		return
	}
	var cv Conversion
	if isForm(ctx) && !startsJSONObject(body) {
		err = ParseConversionForm(body, &cv)
	} else {
		err = ParseConversionJSON(body, &cv)
	}
	now := t.now()
	if err == nil {
		cv.Tidy()
		err = cv.Validate(now)
	}
	if err != nil {
		conversionsRejected.Inc()
		jsonError(ctx, fasthttp.StatusBadRequest, err.Error())
		return
	}
	cfg := t.cfg.Load()
	tx := t.st.BeginConversions()
	res, err := t.decide(tx, cfg, &cv, now)
	if err != nil {
		tx.Abort()
	} else {
		err = tx.Commit()
	}
	if err != nil {
		conversionErrors.Inc()
		if n, ok := t.storeFailed.conversion.Allow(); ok {
			t.log.Error("conversion not stored", "install_id", cv.InstallID, "err", err, "suppressed", n)
		}
		jsonError(ctx, fasthttp.StatusInternalServerError, "conversion not stored")
		return
	}
	countConversion(&res)
	if res.queued {
		t.notify(1, now.UnixMilli())
	}
	ctx.SetContentType("application/json")
	ctx.SetBody(append(res.appendJSON(make([]byte, 0, 256)), '\n'))
	conversionDuration.UpdateDuration(start)
}

// conversionBatch serves POST /v1/conversions/batch: NDJSON in, one result
// line per input line out, in order. Every line is decided in one
// transaction and committed with one fsync; a bad line (one that does not
// parse or validate) answers its error and does not stop the others, while
// a store failure fails the whole batch, answered 500 with nothing stored,
// for its sender to send again.
func (t *Tracker) conversionBatch(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	if !ctx.IsPost() {
		methodNotAllowed(ctx)
		return
	}
	if !t.conversionAllowed(ctx) {
		return
	}
	if encodedBody(ctx) {
		return
	}
	if n := ctx.Request.Header.ContentLength(); n > MaxConversionBody || n == -1 { // -1: chunked
		if !t.takeBatchRead() {
			conversionsRejected.Inc()
			batchesBusy.Inc()
			closeUnread(ctx)
			ctx.Response.Header.Set(fasthttp.HeaderRetryAfter, "1")
			jsonError(ctx, fasthttp.StatusServiceUnavailable, "busy: too many large batches being received at once; retry")
			return
		}
		defer func() { <-t.batchReads }()
	}
	body, err := readBody(ctx, MaxBatchBody)
	if err != nil {
		conversionsRejected.Inc()
		closeUnread(ctx)
		jsonError(ctx, fasthttp.StatusBadRequest, err.Error())
		return
	}
	lines := 0
	ForEachNDJSONLine(body, func(int, []byte) { lines++ })
	if lines > MaxBatchLines {
		conversionsRejected.Inc()
		jsonError(ctx, fasthttp.StatusBadRequest, "body: more than "+strconv.Itoa(MaxBatchLines)+" lines")
		return
	}
	cfg := t.cfg.Load()
	now := t.now()
	results := make([]result, 0, lines)
	errs := make([]error, 0, lines)
	tx := t.st.BeginConversions()
	var failed error
	ForEachNDJSONLine(body, func(_ int, line []byte) {
		var cv Conversion
		err := ParseConversionJSON(line, &cv)
		if err == nil {
			cv.Tidy()
			err = cv.Validate(now)
		}
		var res result
		if err == nil && failed == nil {
			res, failed = t.decide(tx, cfg, &cv, now)
		}
		results = append(results, res)
		errs = append(errs, err)
	})
	if failed == nil {
		failed = tx.Commit()
	} else {
		tx.Abort()
	}
	if failed != nil {
		conversionErrors.Add(lines)
		if n, ok := t.storeFailed.batch.Allow(); ok {
			t.log.Error("conversion batch not stored", "lines", lines, "err", failed, "suppressed", n)
		}
		jsonError(ctx, fasthttp.StatusInternalServerError, "conversions not stored")
		return
	}
	out := make([]byte, 0, 200*lines)
	queued := 0
	for i := range results {
		if errs[i] != nil {
			conversionsRejected.Inc()
			out = append(out, `{"error":`...)
			out = appendJSONString(out, errs[i].Error())
			out = append(out, "}\n"...)
			continue
		}
		countConversion(&results[i])
		if results[i].queued {
			queued++
		}
		out = append(results[i].appendJSON(out), '\n')
	}
	if queued > 0 {
		t.notify(queued, now.UnixMilli())
	}
	ctx.SetContentType("application/x-ndjson")
	ctx.SetBody(out)
	conversionDuration.UpdateDuration(start)
}

// closeUnread closes the connection after this answer, whose request body
// may be left unread, with a lingering close (deadline.Conn.LingerOnClose):
// the client, still sending the body, reads the answer instead of a reset.
func closeUnread(ctx *fasthttp.RequestCtx) {
	ctx.SetConnectionClose()
	c := ctx.Conn()
	if tc, ok := c.(interface{ NetConn() net.Conn }); ok { // TLS
		c = tc.NetConn()
	}
	if l, ok := c.(interface{ LingerOnClose() }); ok {
		l.LingerOnClose()
	}
}

// methodNotAllowed answers 405 with the Allow header RFC 9110 §15.5.6
// requires of it.
func methodNotAllowed(ctx *fasthttp.RequestCtx) {
	ctx.Response.Header.Set(fasthttp.HeaderAllow, fasthttp.MethodPost)
	jsonError(ctx, fasthttp.StatusMethodNotAllowed, "method: use POST")
}

// encodedBody answers 415 to a body with a content coding (gzip, br, …):
// its bytes are not the conversions, and read as if they were, a batch was
// answered 200 with nothing stored (RFC 9110 §8.4: the server may refuse a
// coding it does not accept, with 415). It reports whether it answered.
func encodedBody(ctx *fasthttp.RequestCtx) bool {
	ce := ctx.Request.Header.Peek(fasthttp.HeaderContentEncoding)
	if len(ce) == 0 || bytes.EqualFold(bytes.TrimSpace(ce), s2b("identity")) {
		return false
	}
	conversionsRejected.Inc()
	closeUnread(ctx)
	ctx.Response.Header.Set("Accept-Encoding", "identity")
	jsonError(ctx, fasthttp.StatusUnsupportedMediaType, "body: Content-Encoding "+convQuote(string(ce))+" not supported; send the body uncompressed")
	return true
}

var errBodyTooLarge = errors.New("body: over the size limit")

// readBody returns the request body, refusing one over limit without
// reading it all: the server streams bodies over the conversion limit, so a
// large declared length is refused from the header alone.
func readBody(ctx *fasthttp.RequestCtx, limit int) ([]byte, error) {
	if n := ctx.Request.Header.ContentLength(); n > limit {
		return nil, bodyError(limit)
	}
	if !ctx.Request.IsBodyStream() {
		b := ctx.Request.Body()
		if len(b) > limit {
			return nil, bodyError(limit)
		}
		return b, nil
	}
	b, err := io.ReadAll(io.LimitReader(ctx.RequestBodyStream(), int64(limit)+1))
	if err != nil {
		return nil, errors.New("body: " + err.Error())
	}
	if len(b) > limit {
		return nil, bodyError(limit)
	}
	if n := ctx.Request.Header.ContentLength(); n >= 0 && len(b) < n {
		// fasthttp's request stream ends a body the connection cut short
		// with a plain EOF; it is an incomplete request, and none of it
		// may be stored (RFC 9112 §6.3): the client will send it again.
		return nil, errors.New("body: cut short (" + strconv.Itoa(len(b)) + " of " + strconv.Itoa(n) + " bytes)")
	}
	return b, nil
}

// takeBatchRead takes a slot to read a large batch body, waiting up to
// batchReadWait for one.
func (t *Tracker) takeBatchRead() bool {
	select {
	case t.batchReads <- struct{}{}:
		return true
	default:
	}
	timer := time.NewTimer(batchReadWait)
	defer timer.Stop()
	select {
	case t.batchReads <- struct{}{}:
		return true
	case <-timer.C:
		return false
	}
}

func bodyError(limit int) error {
	if limit == MaxConversionBody {
		return ErrBodyTooLarge
	}
	return errors.New("body: over " + strconv.Itoa(limit>>20) + " MiB")
}

// isForm reports a form-encoded body. Media types ignore case (RFC 9110
// §8.3.1): "Application/X-WWW-Form-URLEncoded" is a form too.
func isForm(ctx *fasthttp.RequestCtx) bool {
	const form = "application/x-www-form-urlencoded"
	ct := ctx.Request.Header.ContentType()
	return len(ct) >= len(form) && bytes.EqualFold(ct[:len(form)], s2b(form))
}

// startsJSONObject reports whether body, past leading white space, starts
// with '{': a JSON object sent as a form (curl -d's default Content-Type),
// since no form field's name starts with one.
func startsJSONObject(body []byte) bool {
	body = bytes.TrimLeft(body, " \t\r\n")
	return len(body) > 0 && body[0] == '{'
}

func countConversion(r *result) {
	if r.decided != nil {
		countDecided(r.decided, r.afterBegin) // decided: counted once
	}
	mi := 5 // unattributed signup/event
	switch {
	case r.Postback == "duplicate":
		mi = 4
	case r.Match == store.MatchPending.String():
		mi = 6
	case r.Match == store.MatchClickID.String():
		mi = 1
	case r.Match == store.MatchDeviceID.String():
		mi = 2
	case r.Match == store.MatchFingerprint.String():
		mi = 3
	case r.Match == store.MatchViewThrough.String():
		mi = 7
	case r.Type == ConversionInstall:
		mi = 0
	}
	if int(r.Type) < len(conversionCounters) {
		conversionCounters[r.Type][mi].Inc()
	}
}

// decide attributes one conversion inside tx and writes what it causes: the
// install, the event, the dedup keys and the postback, all in tx's batch.
func (t *Tracker) decide(tx *store.ConvTx, cfg *config.Config, cv *Conversion, now time.Time) (result, error) {
	if cfg.AnonymizeIP {
		// Before anything reads it: the fingerprint lookup, the install
		// or held record, the postback (tracker/anonymize.go).
		cv.IP = anonymizedIP(cv.IP)
	}
	res := result{InstallID: cv.InstallID, EventID: cv.EventID, Type: cv.Type, Match: "organic"}
	at := cv.EventTime
	if at == 0 {
		at = now.Unix()
	}
	if res.EventID != "" {
		ev, seen, err := tx.Event(res.EventID)
		if err != nil {
			return res, err
		}
		if seen {
			r := duplicateOf(ev)
			if r.Type == ConversionInstall {
				// A retried install learns its deep link again: the first
				// answer may never have reached the app.
				if prev, ok, err := tx.Install(ev.InstallID); err != nil {
					return res, err
				} else if ok {
					r.DeepLink = prev.DeepLink
				}
			}
			return r, nil
		}
	}

	var in *store.Install
	switch cv.Type {
	case ConversionInstall:
		prev, seen, err := tx.Install(cv.InstallID)
		if err != nil {
			return res, err
		}
		if seen {
			ev, _, err := tx.Event(prev.EventID)
			if err != nil || ev == nil {
				return duplicateOfInstall(prev), err
			}
			r := duplicateOf(ev)
			r.DeepLink = prev.DeepLink
			return r, nil
		}
		if res.EventID == "" {
			res.EventID = t.newEventID()
		}
		var afterBegin bool
		in, afterBegin, err = t.newInstall(cfg, cv, res.EventID, at)
		if err != nil {
			return res, err
		}
		if holding(cfg) {
			later, err := t.mayArriveLater(cv, in)
			if err != nil {
				return res, err
			}
			if later {
				in = pendingInstall(in)
			}
		}
		if in.Match != store.MatchPending {
			res.decided, res.afterBegin = in, afterBegin // counted once committed
		}
		tx.PutInstall(in)
	case ConversionSignup:
		if sid, seen, err := tx.Signup(cv.InstallID); err != nil {
			return res, err
		} else if seen {
			if ev, ok, err := tx.Event(sid); err != nil {
				return res, err
			} else if ok {
				return duplicateOf(ev), nil
			}
			// event_retention deleted the first signup's record; its
			// marker and the install remain, and answer as it was.
			in, ok, err := tx.Install(cv.InstallID)
			if err != nil {
				return res, err
			}
			return duplicateOfSignup(sid, cv.InstallID, in, ok), nil
		}
		fallthrough
	default:
		var err error
		var ok bool
		in, ok, err = tx.Install(cv.InstallID)
		if err != nil {
			return res, err
		}
		if !ok {
			in = nil
		}
		if res.EventID == "" {
			res.EventID = t.newEventID()
		}
		if cv.Type == ConversionSignup {
			tx.PutSignup(cv.InstallID, res.EventID)
		}
	}

	ev := &store.Event{
		EventID: res.EventID, InstallID: cv.InstallID, Kind: uint8(cv.Type),
		Name: eventName(cv), Time: at, Postback: "none",
	}
	if cv.HasRevenue {
		ev.Revenue, ev.Currency = cv.Revenue.String(), cv.Currency
	}
	if holding(cfg) && (in == nil || in.Match == store.MatchPending) {
		// Its install (or the install's click) may still be on its way
		// from another region: held, not declared unattributed (held.go).
		held := *cv
		held.EventID = res.EventID
		if cv.Type == ConversionInstall && held.App == "" && len(cfg.Apps) == 1 {
			// The app it is for now (the config's one): a reload may
			// add another before it is decided.
			held.App = in.App
		}
		t.hold(tx, &held, ev, now)
	} else {
		res.queued = t.attributeEvent(tx, cfg, cv, in, ev, now)
	}
	tx.PutEvent(ev)
	r := resultOf(ev)
	r.queued = res.queued
	r.decided, r.afterBegin = res.decided, res.afterBegin
	if cv.Type == ConversionInstall {
		r.DeepLink = in.DeepLink
	}
	return r, nil
}

// attributeEvent gives ev the attribution of its install in (nil: unknown)
// and queues its postback when the partner has a template for it. It
// reports whether it queued one.
func (t *Tracker) attributeEvent(tx *store.ConvTx, cfg *config.Config, cv *Conversion, in *store.Install, ev *store.Event, now time.Time) bool {
	if in == nil || !in.Attributed() {
		return false
	}
	ev.Attributed, ev.Match = true, in.Match
	ev.ClickID, ev.Campaign = in.ClickID, in.Campaign
	ev.Postback = "not_configured"
	if !tmplFor(cfg, in.Partner, cv) {
		return false
	}
	job := t.newJob(cfg, cv, in, ev, now)
	tx.OutboxPut(store.QueuePostback, job.ID, store.StatusPending, job.FirstDue, dispatch.AppendJob(nil, job))
	ev.Postback, ev.PostbackID = "queued", job.ID
	return true
}

// newInstall attributes an install and returns its record; afterBegin
// reports a click refused for coming after the download began.
func (t *Tracker) newInstall(cfg *config.Config, cv *Conversion, eventID string, at int64) (_ *store.Install, afterBegin bool, err error) {
	app := cv.App
	if app == "" && len(cfg.Apps) == 1 {
		for id := range cfg.Apps { // one app configured: an install is for it
			app = id
		}
	}
	a, afterBegin, err := t.attributeInstall(cfg, cv, app, at)
	if err != nil {
		return nil, false, err
	}
	in := &store.Install{
		InstallID: cv.InstallID, EventID: eventID, App: app,
		Platform: convPlatform(cv), Time: at, Match: a.match,
		GAID: cv.GAID, IDFA: cv.IDFA, OAID: cv.OAID, IP: cv.IP, UserAgent: cv.UserAgent,
		Country: cv.Country, AppVersion: cv.AppVersion,
	}
	if a.match == store.MatchOrganic {
		return in, afterBegin, nil
	}
	c := &a.click
	if in.App == "" {
		in.App = string(c.App)
	}
	if in.Platform == store.PlatformUnknown {
		in.Platform = c.Platform
	}
	in.ClickID, in.Campaign, in.Partner = string(c.ClickID), a.campaign.ID, a.campaign.Partner
	if a.match == store.MatchViewThrough {
		// The impression's own id, as its ad server sent it: what a
		// postback's {click_id} gives back.
		// (Impressions stored by earlier versions carry the old prefix.)
		in.ClickID = store.ImpressionID(in.ClickID)
	}
	in.ClickTime = c.Time
	in.DeepLink = or(string(c.DeepLink), a.campaign.DeepLink)
	if a.campaign.DeepLink != "" && isMacro(c.DeepLink) {
		// A deep link left as the network's unexpanded macro
		// (af_dp={af_dp}) is none: the campaign's applies.
		in.DeepLink = a.campaign.DeepLink
	}
	in.AffID, in.PubID, in.OfferID, in.CreativeID = string(c.AffID), string(c.PubID), string(c.OfferID), string(c.CreativeID)
	for i := range c.Sub {
		in.Sub[i] = string(c.Sub[i])
	}
	// The device's ids, like its country, are the conversion's, else the
	// click's, each on its own: a partner that matched on its click's
	// advertising id finds it in the postback when the install call leaves
	// it out, even when it sends another. (ip stays
	// the conversion's: CONTRACT §5 makes it the device at the conversion.)
	if in.Country == "" {
		in.Country = string(c.Country)
	}
	for _, id := range [...]struct {
		in    *string
		click []byte
	}{{&in.GAID, c.GAID}, {&in.IDFA, c.IDFA}, {&in.OAID, c.OAID}} {
		if *id.in == "" { // each on its own: an install may send its oaid alone
			*id.in = string(id.click)
		}
	}
	return in, afterBegin, nil
}

// tmplFor reports whether the partner has a template for this conversion.
func tmplFor(cfg *config.Config, partner string, cv *Conversion) bool {
	p := cfg.Partners[partner]
	if p == nil {
		return false
	}
	switch cv.Type {
	case ConversionInstall:
		return p.Install != ""
	case ConversionSignup:
		return p.Signup != ""
	}
	return p.Events[cv.EventName] != ""
}

// newJob builds the postback for an attributed conversion. Values the
// conversion carries win over the install's: an event reports the device as
// it is now.
func (t *Tracker) newJob(cfg *config.Config, cv *Conversion, in *store.Install, ev *store.Event, now time.Time) *dispatch.Job {
	nowMs := now.UnixMilli()
	j := &dispatch.Job{
		ID: t.st.NewID(), Partner: in.Partner, Kind: cv.Type.String(), EventName: ev.Name,
		Created: nowMs, FirstDue: nowMs,
		ClickID: in.ClickID, InstallID: in.InstallID, EventID: ev.EventID, EventTime: ev.Time,
		Currency: cv.Currency, Platform: in.Platform.String(),
		GAID: or(cv.GAID, in.GAID), IDFA: or(cv.IDFA, in.IDFA), OAID: or(cv.OAID, in.OAID),
		IP: or(cv.IP, in.IP), Country: or(cv.Country, in.Country),
		AppID: in.App, AppVersion: or(cv.AppVersion, in.AppVersion),
		CampaignID: in.Campaign, Sub: in.Sub,
		AffID: in.AffID, PubID: in.PubID, OfferID: in.OfferID, CreativeID: in.CreativeID,
		ClickTime: in.ClickTime, MatchType: in.Match.String(),
	}
	if p := convPlatform(cv); p != store.PlatformUnknown {
		j.Platform = p.String()
	}
	if camp := cfg.Campaigns[in.Campaign]; camp != nil {
		j.CampaignName = camp.Name
	}
	if cv.HasRevenue {
		j.Revenue = string(cv.Revenue.AppendFixed2(nil))
	}
	return j
}

// convPlatform is the conversion's platform: its platform field, else its
// user agent's (an app's Dalvik or CFNetwork agent names it);
// PlatformUnknown when neither does, and the click's is used.
func convPlatform(cv *Conversion) store.Platform {
	if p := platformOf(cv.Platform); p != store.PlatformUnknown {
		return p
	}
	p, _ := ParseUserAgent(s2b(cv.UserAgent))
	return p
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func eventName(cv *Conversion) string {
	if cv.Type == ConversionEvent {
		return cv.EventName
	}
	return cv.Type.String()
}

func resultOf(ev *store.Event) result {
	r := result{
		EventID: ev.EventID, InstallID: ev.InstallID, Attributed: ev.Attributed,
		Match: ev.Match.String(), Campaign: ev.Campaign, ClickID: ev.ClickID,
		Postback: ev.Postback, Type: ConversionType(ev.Kind),
	}
	if !ev.Attributed && ev.Match != store.MatchPending {
		r.Match = store.MatchOrganic.String()
	}
	return r
}

// duplicateOf answers a replay with what the original was answered.
func duplicateOf(ev *store.Event) result {
	r := resultOf(ev)
	r.Postback = "duplicate"
	return r
}

func duplicateOfInstall(in *store.Install) result {
	return result{
		EventID: in.EventID, InstallID: in.InstallID, Attributed: in.Attributed(),
		Match: in.Match.String(), Campaign: in.Campaign, ClickID: in.ClickID,
		Postback: "duplicate", Type: ConversionInstall, DeepLink: in.DeepLink,
	}
}

// duplicateOfSignup answers a second signup whose first one's event record
// is gone (event_retention): with the first's event_id and its install's
// attribution, which every signup takes.
func duplicateOfSignup(eventID, installID string, in *store.Install, found bool) result {
	r := result{EventID: eventID, InstallID: installID, Match: store.MatchOrganic.String(),
		Postback: "duplicate", Type: ConversionSignup}
	if found && (in.Attributed() || in.Match == store.MatchPending) {
		r.Attributed, r.Match, r.Campaign, r.ClickID = in.Attributed(), in.Match.String(), in.Campaign, in.ClickID
	}
	return r
}

// newEventID makes an event_id for a conversion that came without one:
// region-prefixed and time-sortable like generated click ids.
func (t *Tracker) newEventID() string {
	return string(t.ids.Append(make([]byte, 0, 40), t.now()))
}
