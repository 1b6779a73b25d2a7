package tracker

import (
	"fmt"
	"sync"

	"github.com/VictoriaMetrics/metrics"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/dispatch"
	"github.com/clickedge/clickedge/internal/promlabel"
	"github.com/clickedge/clickedge/store"
)

// Click outcomes, one counter each, made up front so that counting a click
// allocates nothing.
var (
	clicksStored          = metrics.NewCounter(`clickedge_clicks_total{result="stored"}`)
	clicksFlagged         = metrics.NewCounter(`clickedge_clicks_total{result="flagged"}`)
	clicksBot             = metrics.NewCounter(`clickedge_clicks_total{result="bot"}`)
	clicksDuplicate       = metrics.NewCounter(`clickedge_clicks_total{result="duplicate"}`)
	clicksUnknownCampaign = metrics.NewCounter(`clickedge_clicks_total{result="unknown_campaign"}`)
	clicksHead            = metrics.NewCounter(`clickedge_clicks_total{result="head"}`)
	clicksRejected        = metrics.NewCounter(`clickedge_clicks_total{result="rejected"}`)
	clicksError           = metrics.NewCounter(`clickedge_clicks_total{result="error"}`)

	// Per-link redirects (redirect=, af_r=): sent where the link asked, or
	// refused (host not in the app's redirect_hosts) and sent to the app's
	// URL.
	clickRedirectsFollowed = metrics.NewCounter(`clickedge_click_redirects_total{result="followed"}`)
	clickRedirectsRefused  = metrics.NewCounter(`clickedge_click_redirects_total{result="refused"}`)

	// Impressions (GET /v1/impression), by outcome.
	impressionsRejected = metrics.NewCounter(`clickedge_impressions_total{result="rejected"}`)
	impressionsError    = metrics.NewCounter(`clickedge_impressions_total{result="error"}`)
	impressionOutcomes  = map[string]*metrics.Counter{
		"stored":           metrics.NewCounter(`clickedge_impressions_total{result="stored"}`),
		"duplicate":        metrics.NewCounter(`clickedge_impressions_total{result="duplicate"}`),
		"bot":              metrics.NewCounter(`clickedge_impressions_total{result="bot"}`),
		"flagged":          metrics.NewCounter(`clickedge_impressions_total{result="flagged"}`),
		"view_through_off": metrics.NewCounter(`clickedge_impressions_total{result="view_through_off"}`),
	}

	clickDuration  = metrics.NewPrometheusHistogramExt(`clickedge_click_duration_seconds`, dispatch.LatencyBuckets)
	commitDuration = metrics.NewPrometheusHistogramExt(`clickedge_click_commit_duration_seconds`, dispatch.LatencyBuckets)

	conversionDuration = metrics.NewPrometheusHistogramExt(`clickedge_conversion_duration_seconds`, dispatch.LatencyBuckets)
	// installsClickAfterBegin counts installs that a click made after their
	// download began would otherwise have been credited to (install_begin_time).
	installsClickAfterBegin = metrics.NewCounter(`clickedge_installs_click_after_begin_total`)
	conversionsRejected     = metrics.NewCounter(`clickedge_conversions_rejected_total`)
	// conversionErrors counts conversions answered 500: decided or
	// committed, the store failed (a batch's every line).
	conversionErrors = metrics.NewCounter(`clickedge_conversion_errors_total`)
	// conversionsUnauthorized counts requests refused for want of one of
	// conversion_tokens.
	conversionsUnauthorized = metrics.NewCounter(`clickedge_conversions_unauthorized_total`)
	// batchesBusy counts large batches refused 503 because maxBatchReads
	// others were being received.
	batchesBusy = metrics.NewCounter(`clickedge_conversion_batches_busy_total`)
)

// ctitBuckets are the upper bounds, in seconds, of click-to-install time:
// 10 s, 1 min, 5 min, 30 min, 1 h, 3 h, 6 h, 12 h, 1 d, 3 d, 7 d, 30 d.
var ctitBuckets = []float64{10, 60, 300, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400}

// ctitKey names one click-to-install histogram.
type ctitKey struct {
	partner string
	match   store.MatchType
}

// ctitHistograms are made at a partner and match's first install (the
// partners are the config's, a handful), then found without allocating.
var ctitHistograms sync.Map // ctitKey → *metrics.PrometheusHistogram

// countDecided counts an install once it is decided: its click-to-install
// time, when it was attributed (clickedge_install_ctit_seconds, where
// click injection shows as a crowd of installs seconds after their click
// and click flooding as a tail of days), and whether install_begin_time
// refused a later click.
func countDecided(in *store.Install, clickAfterBegin bool) {
	if clickAfterBegin {
		installsClickAfterBegin.Inc()
	}
	if !in.Attributed() || in.ClickTime <= 0 {
		return
	}
	k := ctitKey{in.Partner, in.Match}
	h, ok := ctitHistograms.Load(k)
	if !ok {
		h, _ = ctitHistograms.LoadOrStore(k, metrics.GetOrCreatePrometheusHistogramExt(k.name(), ctitBuckets))
	}
	h.(*metrics.PrometheusHistogram).Update(max(float64(in.Time)-float64(in.ClickTime)/1000, 0))
}

func (k ctitKey) name() string {
	return `clickedge_install_ctit_seconds{partner=` + promlabel.Quote(k.partner) + `,match=` + promlabel.Quote(k.match.String()) + `}`
}

// dropRemovedPartners stops exporting the click-to-install histograms of
// partners a reload removed: left, an edge whose partners are renamed
// through reloads exported every partner it ever had, frozen
// (TestRemovedPartnerSeriesDropped). One a peer region still credits comes
// back at its next install.
func dropRemovedPartners(c *config.Config) {
	ctitHistograms.Range(func(key, _ any) bool {
		// "": the installs of campaigns without a partner, which no
		// reload removes (TestReloadKeepsCTITOfCampaignWithoutPartner).
		// Unregistered first: an install decided in between then makes
		// and registers a new histogram, rather than storing back the
		// one about to be unregistered.
		if k := key.(ctitKey); k.partner != "" && c.Partners[k.partner] == nil {
			metrics.UnregisterMetric(k.name())
			ctitHistograms.Delete(k)
		}
		return true
	})
}

var conversionCounters = func() (m [4][8]*metrics.Counter) {
	types := [...]string{"", "install", "signup", "event"}
	matches := [...]string{"organic", "click_id", "device_id", "fingerprint", "duplicate", "unattributed", "pending", "view_through"}
	for ti := 1; ti < len(types); ti++ {
		for mi, match := range matches {
			m[ti][mi] = metrics.NewCounter(fmt.Sprintf(`clickedge_conversions_total{type=%q,match=%q}`, types[ti], match))
		}
	}
	return m
}()

// heldDecided counts held conversions decided (CONTRACT §8), by how:
// click_id, device_id, fingerprint, view_through, organic (no click, or for
// an event no install) or duplicate (decided by a peer region meanwhile).
var heldDecided = func() map[string]*metrics.Counter {
	m := map[string]*metrics.Counter{}
	for _, match := range []string{"click_id", "device_id", "fingerprint", "view_through", "organic", "duplicate"} {
		m[match] = metrics.NewCounter(fmt.Sprintf(`clickedge_held_conversions_decided_total{match=%q}`, match))
	}
	return m
}()

func countImpression(reason string) {
	if c := impressionOutcomes[reason]; c != nil {
		c.Inc()
	}
}

func countHeldDecided(ev *store.Event) {
	match := ev.Match.String()
	if ev.Postback == "duplicate" {
		match = "duplicate"
	}
	if c := heldDecided[match]; c != nil {
		c.Inc()
	}
}
