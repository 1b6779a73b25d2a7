package dispatch

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/store"
)

// A postback the redrive moved, tried and refused again within the
// redrive's own millisecond is recorded failed at nowMs, inside the scans'
// end (nowMs+1 exclusive): a later batch of the same redrive must not move
// (and send) it a second time, whether or not end lies in the future.
func TestRedriveMovesEachOnceWhenRefusedInTheSameMillisecond(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	snk.setHandler(func(ctx *fasthttp.RequestCtx, _ *sinkReq) { ctx.SetStatusCode(404) })
	cfg := parseConfig(t, true, partnerYAML("a", snk.addr, ""), partnerYAML("b", "127.0.0.1:9", ""))
	clk := newClock() // stands still: every failure is recorded at the redrive's nowMs
	d := start(t, st, cfg, clk)
	const nA, nB = 2 * redriveBatch, 400000
	old := clk.Now().Add(-time.Hour).UnixMilli()
	put := func(w *store.Writer, partner string, at int64) {
		j := newJob(st, partner, "install", t0)
		j.Attempts = []Attempt{{Time: old, StatusCode: 404}}
		w.OutboxPut(store.QueuePostback, j.ID, store.StatusFailed, at, AppendJob(nil, j))
	}
	for i, fill := range []func(w *store.Writer){
		func(w *store.Writer) {
			for range redriveBatch {
				put(w, "a", old)
			}
		},
		func(w *store.Writer) { // walked by the second batch: time for the first's to be refused
			for range nB / 2 {
				put(w, "b", old+1)
			}
		},
		func(w *store.Writer) {
			for range nB / 2 {
				put(w, "b", old+1)
			}
		},
		func(w *store.Writer) {
			for range redriveBatch {
				put(w, "a", old+2)
			}
		},
	} {
		if err := st.Update(func(w *store.Writer) error { fill(w); return nil }); err != nil {
			t.Fatal(i, err)
		}
	}
	k, err := d.Redrive("a")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if got := snk.n.Load(); k != nA || got > nA {
		t.Errorf("Redrive(a) = %d (there were %d failed postbacks of a); the partner received %d requests", k, nA, got)
	}
}
