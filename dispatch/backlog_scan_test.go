package dispatch

import (
	"testing"
	"time"

	"github.com/clickedge/clickedge/store"
)

// TestBacklogDrainReadsEachEntryOnce: a partner's backlog (a redrive after
// its outage, or its breaker closing on hours of postbacks) drains with
// each entry read a bounded number of times, whether or not the edge has
// other partners. A pass that found the partner's queue full skipped its
// remaining due entries one by one and set the carry at the first of them,
// so the next pass started there again; it stopped early only when every
// partner's queue was full, which an idle partner's never is. With a
// second partner configured every pass re-read the whole remaining
// backlog: draining n postbacks read about n²/16 entries here (a queue of
// 32 refilled at half), and at 160k postbacks the drain took 38 s of a
// core instead of 5 (scale audit).
func TestBacklogDrainReadsEachEntryOnce(t *testing.T) {
	const n = 3000
	for _, others := range []int{0, 1, 3} {
		st := openStore(t, store.Async)
		snk := newSink(t)
		partners := []string{partnerYAML("busy", snk.addr, "")}
		for i := range others {
			partners = append(partners, partnerYAML("idle"+string(rune('a'+i)), snk.addr, ""))
		}
		now := time.Now()
		for i := 0; i < n; i += 5000 {
			var jobs []*Job
			for range min(5000, n-i) {
				jobs = append(jobs, newJob(st, "busy", "install", now))
			}
			enqueue(t, st, jobs...)
		}
		d := start(t, st, parseConfig(t, true, partners...), nil)
		d.Notify(0)
		waitCount(t, st, store.StatusDelivered, n)
		if err := d.Stop(t.Context()); err != nil { // the scheduler's count, read once it has stopped
			t.Fatal(err)
		}
		// Each entry is read by the first pass, which finds the queue
		// full and skips it; by the partner's resumption that hands it
		// out; and at most once more by the late window that the Notify
		// opens (the backlog was committed just before): 2n to 3n
		// reads, not a multiple of n².
		if read := d.visits; read > 4*n {
			t.Errorf("%d other partners: draining %d postbacks read %d pending entries (%.0f each)", others, n, read, float64(read)/n)
		}
	}
}
