package dispatch

import (
	"testing"
	"time"

	"github.com/clickedge/clickedge/store"
)

// TestLateCommitDeliveredPromptly: a conversion takes its postback's due
// time when its request begins, then may wait for the conversion lock (a
// batch of thousands of lines ahead of it, a write stall) and commit a
// second later. The scheduler looked back only lateMargin (250 ms) before
// its last pass, so once a pass had run in between, the entry waited for
// the next full scan, up to 30 s. NotifyDue says how far back to look.
// Found by an audit.
func TestLateCommitDeliveredPromptly(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	d := start(t, st, parseConfig(t, true, partnerYAML("net", snk.addr, "")), nil)

	first := newJob(st, "net", "install", time.Now())
	enqueue(t, st, first)
	d.NotifyDue(1, first.FirstDue)
	waitCount(t, st, store.StatusDelivered, 1)

	late := newJob(st, "net", "install", time.Now()) // its request begins
	for range 4 {                                    // others commit meanwhile
		time.Sleep(250 * time.Millisecond)
		other := newJob(st, "net", "install", time.Now())
		enqueue(t, st, other)
		d.NotifyDue(1, other.FirstDue)
	}
	waitCount(t, st, store.StatusDelivered, 5)
	enqueue(t, st, late) // it commits a second after it began
	committed := time.Now()
	d.NotifyDue(1, late.FirstDue)

	deadline := committed.Add(5 * time.Second)
	for count(t, st, store.StatusDelivered) != 6 {
		if time.Now().After(deadline) {
			t.Fatalf("postback due %v before its commit still pending %v after it",
				committed.Sub(time.UnixMilli(late.FirstDue)).Round(time.Millisecond), time.Since(committed).Round(time.Millisecond))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
