package dispatch

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/store"
)

// A failed postback recorded while the clock ran ahead (NTP then stepped
// it back) puts the redrive's end in the future: postbacks the redrive
// moved, tried and refused again now lie between its scan position and that
// end, and a later batch of the same redrive must not move (and send) them
// a second time.
func TestRedriveMovesEachOnceWithFailureFromTheFuture(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	snk.setHandler(func(ctx *fasthttp.RequestCtx, _ *sinkReq) { ctx.SetStatusCode(404) })
	cfg := parseConfig(t, true, partnerYAML("a", snk.addr, ""), partnerYAML("b", "127.0.0.1:9", ""))
	d := start(t, st, cfg, nil) // wall clock
	// Three batches: the second walks b's failures for long enough that
	// the first's postbacks are tried and refused again before the third.
	const nA, nB = 2*redriveBatch + 1, 400000
	old := time.Now().Add(-time.Hour).UnixMilli()
	ahead := time.Now().Add(time.Hour).UnixMilli() // recorded before the clock went back
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
		func(w *store.Writer) { // another partner's, after a's: the scan walks them
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
			put(w, "a", ahead)
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
