package dispatch

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/store"
)

// outboxIndex maps every postback id to where it is indexed.
func outboxIndex(t testing.TB, st *store.Store) map[uint64][]string {
	t.Helper()
	idx := map[uint64][]string{}
	for _, s := range []store.Status{store.StatusPending, store.StatusDelivered, store.StatusFailed} {
		if err := st.OutboxScan(store.QueuePostback, s, 0, math.MaxInt64, false, 0, func(e store.OutboxEntry) bool {
			idx[e.ID] = append(idx[e.ID], fmt.Sprintf("%s@%d", s, e.At))
			return true
		}); err != nil {
			t.Fatal(err)
		}
	}
	return idx
}

// TestFsckDispatcherHistories: through random histories of postbacks
// queued, delivered, refused, retried, redriven and pruned, reloads that
// drop and restore a partner and clock steps, each postback stays indexed
// once and the queue-depth gauge equals the pending postbacks stored.
func TestFsckDispatcherHistories(t *testing.T) {
	seeds := uint64(4)
	if testing.Short() {
		seeds = 1
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 3))
			st := openStore(t, store.Async)
			snk := newSink(t)
			snk.setHandler(func(ctx *fasthttp.RequestCtx, _ *sinkReq) {
				ctx.SetStatusCode([]int{200, 200, 503, 404}[rand.IntN(4)])
			})
			both := parseConfig(t, true, partnerYAML("a", snk.addr, ""), partnerYAML("b", snk.addr, ""))
			onlyA := parseConfig(t, true, partnerYAML("a", snk.addr, ""))
			clk := newClock()
			d := start(t, st, both, clk)
			var trail []string
			quiet := func() {
				t.Helper()
				waitFor(t, "quiet", func() bool {
					if d.unrecorded() != 0 {
						return false
					}
					busy := false
					st.OutboxScan(store.QueuePostback, store.StatusPending, 0, clk.UnixMilli()+1, false, 1, func(store.OutboxEntry) bool {
						busy = true
						return false
					})
					if busy {
						d.wakeUp()
					}
					return !busy && d.unrecorded() == 0
				})
				idx := outboxIndex(t, st)
				for id, where := range idx {
					if len(where) != 1 {
						t.Fatalf("postback %d indexed %d times: %v\n%v", id, len(where), where, trail)
					}
				}
				if n := count(t, st, store.StatusPending); d.depth.Load() != n {
					t.Fatalf("queue depth %d, %d pending stored\n%v", d.depth.Load(), n, trail)
				}
			}
			for range 60 {
				switch op := r.IntN(10); {
				case op < 4:
					n := 1 + r.IntN(30)
					trail = append(trail, fmt.Sprint("queue ", n))
					var jobs []*Job
					for range n {
						jobs = append(jobs, newJob(st, []string{"a", "b"}[r.IntN(2)], "install", clk.Now()))
					}
					enqueue(t, st, jobs...)
					d.NotifyDue(n, clk.UnixMilli())
				case op < 6:
					dt := time.Duration(r.Int64N(int64(2 * time.Hour)))
					if r.IntN(5) == 0 {
						dt = 24 * time.Hour * time.Duration(1+r.IntN(20))
					}
					trail = append(trail, fmt.Sprint("advance ", dt))
					clk.Add(dt)
					d.wakeUp()
				case op < 7:
					trail = append(trail, "step back")
					clk.Add(-time.Duration(r.Int64N(int64(3 * time.Hour))))
					d.wakeUp()
				case op < 8:
					n, err := d.Redrive([]string{"", "a", "b"}[r.IntN(3)])
					if err != nil {
						t.Fatal(err)
					}
					trail = append(trail, fmt.Sprint("redrive ", n))
				case op < 9:
					trail = append(trail, "reload without b")
					d.SetConfig(onlyA)
				default:
					trail = append(trail, "reload with b")
					d.SetConfig(both)
				}
				time.Sleep(20 * time.Millisecond)
				quiet()
			}
		})
	}
}
