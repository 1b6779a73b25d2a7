package dispatch

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/store"
)

// TestRedriveMovesEachOnce: one redrive moves each failed postback once,
// even when the dispatcher tries some of them and they fail again before
// the redrive's later batches (more than redriveBatch failed): they count,
// and are sent, once. A postback refused again is recorded failed at or
// after the redrive's start (nowMs), where its scans reach in two cases:
//   - from the future: a failure recorded while the clock ran ahead (NTP
//     then stepped it back) puts the scans' end in the future, past the
//     refused-again postbacks;
//   - same millisecond: refused within the redrive's own millisecond (the
//     clock stands still here), a postback is recorded at nowMs, inside the
//     scans' end (nowMs+1, exclusive).
func TestRedriveMovesEachOnce(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frozen bool // the clock stands still
		ahead  bool // one failure recorded in the future
	}{
		{"failures in the past", false, false},
		{"from the future", false, true},
		{"same millisecond", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t, store.Async)
			snk := newSink(t)
			snk.setHandler(func(ctx *fasthttp.RequestCtx, _ *sinkReq) { ctx.SetStatusCode(404) })
			cfg := parseConfig(t, true, partnerYAML("a", snk.addr, ""), partnerYAML("b", "127.0.0.1:9", ""))
			var clk *fakeClock // nil: the wall clock
			now := time.Now()
			if tc.frozen {
				clk = newClock()
				now = clk.Now()
			}
			d := start(t, st, cfg, clk)
			// Three batches or more: the second walks b's failures for long
			// enough that the first's postbacks are tried and refused again
			// before the third.
			nA, nB := 2*redriveBatch, 400000
			old := now.Add(-time.Hour).UnixMilli()
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
					if tc.ahead {
						put(w, "a", now.Add(time.Hour).UnixMilli()) // recorded before the clock went back
						nA++
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
			if got := snk.n.Load(); k != nA || got > int64(nA) {
				t.Errorf("Redrive(a) = %d (there were %d failed postbacks of a); the partner received %d requests", k, nA, got)
			}
		})
	}
}
