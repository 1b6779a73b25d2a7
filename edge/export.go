package edge

import (
	"bufio"
	"encoding/json"
	"net"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/store"
	"github.com/clickedge/clickedge/tracker"
)

// The raw-data export (an extension of CONTRACT §6):
//
//	GET /admin/v1/export/installs?from=&to=[&app=][&campaign=][&partner=][&attributed=]
//	GET /admin/v1/export/events?from=&to=[&campaign=][&type=][&name=][&attributed=]
//
// streams, as NDJSON, every install or conversion whose time is in
// [from, to) (RFC 3339 times or dates, UTC; by default the last 24 hours):
// what an advertiser reconciles its partners' numbers with, or loads into
// its own tables. Installs have the fields of GET /admin/v1/installs/{id}
// but why; events their conversion's and its attribution. The store reads
// a whole table to find a range (store/export.go), so it is a daily pull,
// not an API to poll. An export cut short (the edge shutting down, a store
// error) ends with a line {"error": …}.

// exportFilter is what an export keeps.
type exportFilter struct {
	from, to                     int64 // unix seconds
	app, campaign, partner, name string
	kind                         tracker.ConversionType // 0: any
	attributed                   int                    // 1: only attributed, -1: only not, 0: both
}

func (f *exportFilter) keepInstall(in *store.Install) bool {
	return (f.app == "" || in.App == f.app) && (f.campaign == "" || in.Campaign == f.campaign) &&
		(f.partner == "" || in.Partner == f.partner) && f.keepAttributed(in.Attributed())
}

func (f *exportFilter) keepEvent(ev *store.Event) bool {
	return (f.campaign == "" || ev.Campaign == f.campaign) && (f.name == "" || ev.Name == f.name) &&
		(f.kind == 0 || tracker.ConversionType(ev.Kind) == f.kind) && f.keepAttributed(ev.Attributed)
}

func (f *exportFilter) keepAttributed(a bool) bool {
	return f.attributed == 0 || a == (f.attributed > 0)
}

// eventFields is a conversion as the export shows it.
func eventFields(ev *store.Event) map[string]any {
	return map[string]any{
		"event_id": ev.EventID, "install_id": ev.InstallID, "type": tracker.ConversionType(ev.Kind).String(),
		"name": ev.Name, "time": time.Unix(ev.Time, 0).UTC().Format(time.RFC3339),
		"revenue": ev.Revenue, "currency": ev.Currency, "attributed": ev.Attributed,
		"match": ev.Match.String(), "click_id": ev.ClickID, "campaign": ev.Campaign, "postback": ev.Postback,
	}
}

func (e *Edge) adminExport(ctx *fasthttp.RequestCtx, what string) {
	if what != "installs" && what != "events" {
		writeJSON(ctx, fasthttp.StatusNotFound, map[string]string{"error": "not found: export installs or events"})
		return
	}
	f, msg := parseExportFilter(ctx.QueryArgs(), what == "events", time.Now())
	if msg != "" {
		writeJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": msg})
		return
	}
	ctx.SetContentType("application/x-ndjson")
	conn := ctx.Conn()
	ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		e.trackExport(conn, true)
		defer e.trackExport(conn, false)
		enc := json.NewEncoder(w)
		sent := true // false once the client has gone: stop reading
		// The admin listener's write timeout bounds one answer; an export
		// may stream for longer (a large store, a slow client). Each line
		// pushes the write deadline exportWriteTimeout on: the lines wait
		// in megabytes of socket and pipe buffers, so it is measured
		// against how long the client takes to drain those, not one line.
		send := func(v any) bool {
			e.exportsMu.Lock()
			wait := exportWriteTimeout
			if e.stopping {
				wait = exportStopWait
			}
			conn.SetWriteDeadline(time.Now().Add(wait))
			e.exportsMu.Unlock()
			sent = enc.Encode(v) == nil
			return sent
		}
		var err error
		if what == "installs" {
			err = e.st.ExportInstalls(f.from, f.to, func(in *store.Install) bool {
				return !f.keepInstall(in) || send(installFields(in))
			})
		} else {
			err = e.st.ExportEvents(f.from, f.to, func(ev *store.Event) bool {
				return !f.keepEvent(ev) || send(eventFields(ev))
			})
		}
		switch {
		case err != nil:
			e.log.Error("admin: export cut short", "what", what, "err", err)
			send(map[string]string{"error": err.Error()})
		case !sent:
			e.log.Warn("admin: export stopped: the client stopped reading", "what", what)
		}
	})
}

// trackExport adds conn to the exports under way (add) or removes it.
func (e *Edge) trackExport(conn net.Conn, add bool) {
	e.exportsMu.Lock()
	defer e.exportsMu.Unlock()
	if !add {
		delete(e.exports, conn)
		return
	}
	if e.exports == nil {
		e.exports = map[net.Conn]struct{}{}
	}
	e.exports[conn] = struct{}{}
}

// stopExports gives every export still streaming once the listeners'
// drain is over exportStopWait per line: a client that stopped reading
// would otherwise hold the store's Close (it waits for the export's scan)
// for exportWriteTimeout, while one that reads goes on to the error line
// the store's closing ends the export with.
func (e *Edge) stopExports() {
	e.exportsMu.Lock()
	defer e.exportsMu.Unlock()
	e.stopping = true
	for c := range e.exports {
		c.SetWriteDeadline(time.Now().Add(exportStopWait))
	}
}

// adminWriteTimeout bounds the admin listener's writes of one answer
// (a variable for tests). exportWriteTimeout is how long an export's client
// may take to drain the buffered lines (at least 4 MB of socket buffers in
// 10 minutes: 7 KB/s) before it is cut off.
var (
	adminWriteTimeout  = 30 * time.Second
	exportWriteTimeout = 10 * time.Minute
	exportStopWait     = time.Second
)

// parseExportFilter reads an export's query; msg names the bad parameter.
func parseExportFilter(args *fasthttp.Args, events bool, now time.Time) (f exportFilter, msg string) {
	if msg = unknownParam(args, "from", "to", "attributed", "campaign", "app", "partner", "name", "type"); msg != "" {
		return f, msg
	}
	if f.from, f.to, msg = parseRange(args, now); msg != "" {
		return f, msg
	}
	switch a := string(args.Peek("attributed")); a {
	case "":
	case "true":
		f.attributed = 1
	case "false":
		f.attributed = -1
	default:
		return f, "attributed: true or false"
	}
	f.campaign = string(args.Peek("campaign"))
	onlyFor := func(name string, forEvents bool, dst *string) string {
		*dst = string(args.Peek(name))
		switch {
		case *dst == "" || forEvents == events:
			return ""
		case forEvents:
			return name + ": a filter of events only"
		}
		return name + ": a filter of installs only (an event's campaign is its install's: filter by campaign)"
	}
	var kind string
	for _, p := range []struct {
		name      string
		forEvents bool
		dst       *string
	}{{"app", false, &f.app}, {"partner", false, &f.partner}, {"name", true, &f.name}, {"type", true, &kind}} {
		if msg := onlyFor(p.name, p.forEvents, p.dst); msg != "" {
			return f, msg
		}
	}
	if kind != "" {
		for _, k := range []tracker.ConversionType{tracker.ConversionInstall, tracker.ConversionSignup, tracker.ConversionEvent} {
			if k.String() == kind {
				f.kind = k
			}
		}
		if f.kind == 0 {
			return f, "type: install, signup or event"
		}
	}
	return f, emptyOrRepeatedParam(args)
}

// parseRange reads from and to (RFC 3339 times or dates, UTC), by default
// the last 24 hours, as unix seconds [from, to).
func parseRange(args *fasthttp.Args, now time.Time) (from, to int64, msg string) {
	toT, fromT := now, time.Time{}
	fromSet := false
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &fromT}, {"to", &toT}} {
		s := string(args.Peek(p.name))
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, s); err != nil {
				return 0, 0, p.name + ": want an RFC 3339 time (2026-11-25T10:00:00Z) or a date (2026-11-25, from midnight UTC)"
			}
		}
		*p.t = t
		fromSet = fromSet || p.name == "from"
	}
	if !fromSet { // not IsZero: from=0001-01-01 is a from
		fromT = toT.Add(-24 * time.Hour)
	}
	if !fromT.Before(toT) {
		return 0, 0, "from: must be before to (" + toT.UTC().Format(time.RFC3339) + ")"
	}
	from, to = fromT.Unix(), toT.Unix()
	// Records have whole seconds: a bound inside a second is rounded up,
	// from (inclusive) and to (exclusive) alike, so that two ranges that
	// meet there share no record.
	if fromT.Nanosecond() != 0 {
		from++
	}
	if toT.Nanosecond() != 0 {
		to++
	}
	return from, to, ""
}
