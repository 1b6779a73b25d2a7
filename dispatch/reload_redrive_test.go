package dispatch

import (
	"fmt"
	"testing"
	"time"

	"github.com/clickedge/clickedge/store"
)

// A partner added by a reload while a scheduler pass runs: a postback for
// it that the tracker queued meanwhile waits for the next pass, which has
// its sender, rather than failing as "partner not configured".
func TestPartnerAddedDuringPassNotFailed(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	clk := newClock()
	d := New(Options{Store: st, Config: parseConfig(t, true, partnerYAML("old", snk.addr, "")), Logger: quietLogger(), Now: clk.Now})
	t.Cleanup(func() { d.retireSenders(nil) })

	d.syncSenders() // schedule(): start of a pass, old partner set
	// SIGHUP: Edge.Reload -> tracker.SetConfig, dispatcher.SetConfig
	d.SetConfig(parseConfig(t, true, partnerYAML("old", snk.addr, ""), partnerYAML("new", snk.addr, "")))
	j := newJob(st, "new", "install", clk.Now()) // the tracker queues one for "new"
	enqueue(t, st, j)
	d.Notify(1)
	d.pass() // the pass that began before the reload

	select {
	case r := <-d.results:
		if r.outcome == fail {
			t.Errorf("postback for partner %q (in the config) recorded as failed: %q", j.Partner, r.attempt.Error)
		}
	default:
	}
}

func TestPartnerAddedDuringPassNotFailedLive(t *testing.T) {
	st := openStore(t, store.Async)
	snk := newSink(t)
	parts := []string{partnerYAML("p0", snk.addr, "")}
	d := start(t, st, parseConfig(t, true, parts...), nil)
	// keep the scheduler busy with a steady stream of due postbacks
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			js := make([]*Job, 50)
			for i := range js {
				js[i] = newJob(st, "p0", "install", time.Now())
			}
			enqueue(t, st, js...)
			d.Notify(len(js))
		}
	}()
	for i := 1; i <= 150; i++ {
		name := fmt.Sprintf("p%d", i)
		parts = append(parts, partnerYAML(name, snk.addr, ""))
		d.SetConfig(parseConfig(t, true, parts...))
		enqueue(t, st, newJob(st, name, "install", time.Now()))
		d.Notify(1)
	}
	close(stop)
	<-done
	time.Sleep(time.Second)
	for _, v := range list(t, d, store.StatusFailed) {
		t.Errorf("postback %s of partner %s failed: %+v", v.ID, v.Partner, v.Attempts)
	}
}
