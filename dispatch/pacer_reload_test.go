package dispatch

import (
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/store"
)

// A reload that changes a paced partner's other sender settings (timeout,
// max_conns, allow_private_targets) but keeps its max_rps must keep its
// pace: the partner is promised at most max_rps postbacks a second (README,
// max_rps), and a SIGHUP only "that changes max_rps" is said not to wait
// for the turns already taken. The new sender's pacer must not start idle
// while the old one's last send was a moment ago.
func TestReloadKeepsPace(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(string) string
	}{
		{"timeout", func(y string) string { return strings.Replace(y, `timeout: "2s"`, `timeout: "3s"`, 1) }},
		{"max_conns", func(y string) string { return strings.Replace(y, `max_conns: 8`, `max_conns: 4`, 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, snk, d, _ := startPaced(t, 1, 4)
			waitCount(t, st, store.StatusDelivered, 1)
			y := tc.change(partnerYAML("slow", snk.addr, "    max_rps: 1\n"))
			d.SetConfig(parseConfig(t, true, y))
			d.Notify(0)
			waitCount(t, st, store.StatusDelivered, 2)
			r := snk.requests()
			// 1/s: the second a second after the first (a little slack
			// for the clocks of the sink and the pacer).
			if gap := r[1].At.Sub(r[0].At); gap < 900*time.Millisecond {
				t.Fatalf("max_rps 1: the second postback came %v after the first, across a reload that kept max_rps; want at least 1s", gap)
			} else if gap > 2500*time.Millisecond {
				// Nor may it wait for the turns the old sender's
				// workers had reserved and gave up (up to max_conns s).
				t.Fatalf("max_rps 1: the second postback came %v after the first, across a reload; want about 1s", gap)
			}
		})
	}
}
