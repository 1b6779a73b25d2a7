package tracker

// Impressions, for view-through attribution (an extension; CONTRACT §3 and
// §4 name only clicks).
//
// An ad server reports each impression server to server: GET
// /v1/impression?c=CAMPAIGN&impression_id=…&gaid=…, or the Linkrunner form
// /v1/impression/<app>?c=…&tid=…, with the parameters of a click. It is
// stored as a click record flagged store.FlagImpression, under
// ImpressionIDPrefix and its id, so that it shares everything a click has
// (the codec, the retention buckets, replication) while the store indexes
// it apart: under its device ids' view kinds only (store.DeviceKind.View),
// never by IP. A click lookup therefore never reads past impressions, and
// an install that no click matches looks for the latest impression of its
// device within the campaign's view_through_lookback (attribution.go).
//
// Impressions outnumber clicks by orders of magnitude, so the handler is a
// click's: pooled input, no allocation.

import (
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/store"
)

const impressionPath = "/v1/impression"

// isImpressionPath reports /v1/impression and /v1/impression/<app>.
func isImpressionPath(path []byte) bool {
	return strings.HasPrefix(b2s(path), impressionPath) &&
		(len(path) == len(impressionPath) || path[len(impressionPath)] == '/')
}

// impression serves GET /v1/impression[/<app>]. It answers JSON
// {"impression_id":…, "stored":bool, "reason":…} with reason stored,
// duplicate, bot, flagged or view_through_off (the campaign's
// view_through_lookback is 0: nothing is stored), and 400 JSON for what a
// server-to-server click is refused for, a path naming another app than
// the campaign's, and a bad vt_lookback.
func (t *Tracker) impression(ctx *fasthttp.RequestCtx) {
	r := t.s2sRequest(ctx)
	if r == nil {
		return
	}
	defer t.clickReqs.Put(r)
	in := &r.in
	c := &in.Click
	cfg := t.cfg.Load()
	camp, app, msg := s2sCampaign(cfg, in.Campaign)
	if seg := ctx.Path()[len(impressionPath):]; msg == "" && len(seg) > 1 && string(seg[1:]) != app.ID {
		msg = "path: app " + strconv.Quote(string(seg[1:])) + " is not campaign " + camp.ID + "'s app (" + app.ID + ")"
	}
	if msg == "" && (c.Flags&store.FlagMacro != 0 || isMacro(in.impressionID)) {
		msg = "unexpanded macro in a parameter value"
	}
	now := t.now()
	at := now
	if msg == "" {
		at, msg = reportedTime(in.ImpressionTime, now, "impression_time")
	}
	lookback := int64(0)
	if msg == "" && len(in.ViewLookback) != 0 {
		var ok bool
		if lookback, ok = parseViewLookback(in.ViewLookback); !ok {
			msg = "vt_lookback: not a duration such as 24h, 1d, 30m or 3600"
		}
	}
	if msg != "" {
		impressionsRejected.Inc()
		jsonError(ctx, fasthttp.StatusBadRequest, msg)
		return
	}
	id := in.SetImpressionID(t.ids, now)
	stored, reason := false, "view_through_off"
	if camp.ViewThroughLookback > 0 {
		setCampaign(c, camp, app)
		c.Time = at.UnixMilli()
		c.Flags |= store.FlagImpression | store.FlagServerToServer
		c.ViewLookback = lookback
		t.fillClientFields(ctx, cfg, in)
		// An impression stored before the impression prefix changed is
		// a duplicate too (store/legacy_impressions.go).
		legacy, err := t.st.LegacyImpression(id)
		if err == nil && !legacy {
			stored, err = t.st.PutClick(c)
		}
		if err != nil {
			impressionsError.Inc()
			if n, ok := t.storeFailed.impression.Allow(); ok {
				t.log.Error("impression not stored", "impression_id", string(id), "err", err, "suppressed", n)
			}
			jsonError(ctx, fasthttp.StatusInternalServerError, "impression not stored")
			return
		}
		reason = storedReason(c, stored)
	}
	countImpression(reason)
	r.answerStored(ctx, "impression_id", id, stored, reason)
}

// parseViewLookback reads vt_lookback: a whole number of seconds, or of
// s, m, h or d ("90s", "30m", "24h", "1d"), above zero and at most a year.
// It reads the query's bytes in place: config's duration parser takes a
// string, which here would allocate on every impression.
func parseViewLookback(v []byte) (seconds int64, ok bool) {
	if len(v) == 0 {
		return 0, false
	}
	unit := int64(1)
	switch v[len(v)-1] {
	case 's':
		v = v[:len(v)-1]
	case 'm':
		unit, v = 60, v[:len(v)-1]
	case 'h':
		unit, v = 3600, v[:len(v)-1]
	case 'd':
		unit, v = 86400, v[:len(v)-1]
	}
	if len(v) == 0 || len(v) > 9 {
		return 0, false
	}
	var n int64
	for _, ch := range v {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		n = n*10 + int64(ch-'0')
	}
	n *= unit
	if n <= 0 || n > 366*86400 {
		return 0, false
	}
	return n, true
}

// impressionWindow is how long after impression c an install may be
// credited to it: its campaign's view_through_lookback, shortened by the
// impression's own vt_lookback.
func impressionWindow(camp *config.Campaign, c *store.Click) time.Duration {
	w := camp.ViewThroughLookback
	if c.ViewLookback > 0 {
		w = min(w, time.Duration(c.ViewLookback)*time.Second)
	}
	return w
}
