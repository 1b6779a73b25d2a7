package dispatch

import (
	"bytes"
	"strings"
	"testing"

	"github.com/VictoriaMetrics/metrics"

	"github.com/clickedge/clickedge/store"
)

// TestRemovedPartnerMetricsDropped: a partner removed (or renamed) by a
// reload stops being exported. Its delivery histogram was kept in /metrics
// until the restart, 19 series frozen at their last values: an edge whose
// partners are renamed or rotated through SIGHUPs grew its scrape by that
// for every partner it ever had, and dashboards kept showing partners that
// no longer exist.
func TestRemovedPartnerMetricsDropped(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	clk := newClock()
	d := start(t, st, parseConfig(t, true,
		partnerYAML("gone_by_reload", snk.addr, ""),
		partnerYAML("stays", snk.addr, "")), clk)
	enqueue(t, st, newJob(st, "gone_by_reload", "install", clk.Now()), newJob(st, "stays", "install", clk.Now()))
	d.Notify(2)
	waitCount(t, st, store.StatusDelivered, 2)

	next := parseConfig(t, true, partnerYAML("stays", snk.addr, ""))
	d.SetConfig(next)
	d.Notify(0)
	waitFor(t, "the reload to be taken", func() bool {
		// Another postback of the partner that stays is handed out only
		// by a pass that synced the senders.
		return d.partners.Load().cfg == next
	})
	enqueue(t, st, newJob(st, "stays", "install", clk.Now()))
	d.Notify(1)
	waitCount(t, st, store.StatusDelivered, 3)

	var b bytes.Buffer
	metrics.WritePrometheus(&b, false)
	for line := range strings.Lines(b.String()) {
		if strings.Contains(line, `partner="gone_by_reload"`) {
			t.Fatalf("a partner removed by a reload is still exported: %s", strings.TrimSpace(line))
		}
	}
	if !strings.Contains(b.String(), `clickedge_postback_delivery_seconds_count{partner="stays"}`) {
		t.Fatal("the remaining partner's delivery histogram is not exported")
	}
}
