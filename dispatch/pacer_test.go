package dispatch

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/clickedge/clickedge/store"
)

func TestPacer(t *testing.T) {
	if p := newPacer(0); p != nil {
		t.Fatalf("newPacer(0) = %+v; want nil (no limit)", p)
	}
	p := newPacer(10) // a slot every 100ms
	ms := int64(time.Millisecond)
	for _, step := range []struct {
		now  int64 // ms since the pacer's epoch
		wait time.Duration
	}{
		{0, 0},                        // an idle partner sends at once
		{0, 100 * time.Millisecond},   // then one every 100ms,
		{0, 200 * time.Millisecond},   // whoever asks
		{150, 150 * time.Millisecond}, // slot at 300ms
		{1000, 0},                     // idle again: at once, no saved-up burst
		{1000, 100 * time.Millisecond},
	} {
		if got := p.reserve(step.now * ms); got != step.wait {
			t.Fatalf("at %dms: wait %v; want %v", step.now, got, step.wait)
		}
	}
}

func TestPacerAllocations(t *testing.T) {
	p := newPacer(1000)
	var now int64
	if n := testing.AllocsPerRun(100, func() { now += int64(time.Millisecond); p.reserve(now) }); n != 0 {
		t.Fatalf("reserve allocates %v times; want 0", n)
	}
}

// startPaced starts a dispatcher whose one partner, slow, has max_rps rps
// (0: none), and hands it n install postbacks.
func startPaced(t *testing.T, rps, n int) (*store.Store, *sink, *Dispatcher, []*Job) {
	t.Helper()
	st := openStore(t, store.Async)
	snk := newSink(t)
	d := start(t, st, parseConfig(t, true, partnerYAML("slow", snk.addr, fmt.Sprintf("    max_rps: %d\n", rps))), nil)
	var jobs []*Job
	for range n {
		jobs = append(jobs, newJob(st, "slow", "install", time.Now()))
	}
	enqueue(t, st, jobs...)
	d.Notify(len(jobs))
	return st, snk, d, jobs
}

// A partner's max_rps spaces its postbacks: ten at 20/s span at least
// nine intervals of 50ms, however many workers it has.
func TestPartnerMaxRPS(t *testing.T) {
	st, snk, _, _ := startPaced(t, 20, 10)
	waitCount(t, st, store.StatusDelivered, 10)
	r := snk.requests()
	if span, least := r[len(r)-1].At.Sub(r[0].At), 9*50*time.Millisecond-40*time.Millisecond; span < least {
		t.Fatalf("10 postbacks at max_rps 20 arrived within %v; want at least %v", span, least)
	}
}

// Stop does not wait for a paced partner's future slots: the postbacks
// waiting for one stay pending, unsent.
func TestStopWhilePaced(t *testing.T) {
	st, snk, d, _ := startPaced(t, 1, 6)
	waitCount(t, st, store.StatusDelivered, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	began := time.Now()
	if err := d.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("Stop took %v; the next slots were 1..5s away and should not be waited for", took)
	}
	// One was sent at once; a slow machine may have reached the slot 1s on.
	sent := snk.n.Load()
	if sent < 1 || sent > 2 {
		t.Errorf("%d sent; want 1 (or 2 on a slow machine)", sent)
	}
	if n := count(t, st, store.StatusDelivered); n != sent {
		t.Errorf("%d delivered after Stop; want every sent one (%d) recorded", n, sent)
	}
	if n := count(t, st, store.StatusPending); n != 6-sent {
		t.Errorf("%d pending after Stop; want %d", n, 6-sent)
	}
}

// A reload that lifts a partner's max_rps takes effect at once: the old
// sender's workers stop waiting for their slots and give their postbacks
// back, and the new sender sends them.
func TestReloadLiftsMaxRPS(t *testing.T) {
	st, snk, d, jobs := startPaced(t, 1, 20)
	waitCount(t, st, store.StatusDelivered, 1)
	d.SetConfig(parseConfig(t, true, partnerYAML("slow", snk.addr, "")))
	d.Notify(0)
	waitCount(t, st, store.StatusDelivered, 20) // at 1/s this would take 19s
	for _, j := range jobs {
		if n := snk.count(j.EventID); n != 1 {
			t.Fatalf("postback %s sent %d times; want once", j.EventID, n)
		}
	}
}
