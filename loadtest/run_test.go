package loadtest

import (
	"context"
	"math"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRunAchievesRateAndMix(t *testing.T) {
	edge := startFakeEdge(t, "demo", 0, 0)
	o := Options{Target: edge.URL, Rate: 500, Duration: 2 * time.Second, Seed: 42, Mix: DefaultMix}
	start := time.Now()
	r, err := Run(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	edge.check(t)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("run took %v", took)
	}
	if math.Abs(r.AchievedRate-500)/500 > 0.10 {
		t.Errorf("achieved %.1f req/s, want 500 ± 10%%", r.AchievedRate)
	}
	if r.Requests != 1000 || r.Scheduled != 1000 {
		t.Errorf("requests %d, scheduled %d, want 1000", r.Requests, r.Scheduled)
	}
	if len(r.Errors) != 0 {
		t.Errorf("errors %v", r.Errors)
	}
	share := func(k string) float64 { return float64(r.ByKind[k].Requests) / float64(r.Requests) }
	for k, want := range map[string]float64{"click": 0.90, "install": 0.08, "event": 0.02} {
		if got := share(k); math.Abs(got-want) > 0.03 {
			t.Errorf("%s share %.3f, want %.2f", k, got, want)
		}
	}
	if c := edge.clicks.Load(); c != r.ByKind["click"].Requests || edge.installs.Load() != r.ByKind["install"].Requests {
		t.Errorf("edge saw %d clicks, %d installs; result says %+v", c, edge.installs.Load(), r.ByKind)
	}
	// Bots and malformed links are there in about their shares (2%, 1%).
	clicks := float64(edge.clicks.Load())
	if b := float64(edge.bots.Load()) / clicks; b < 0.005 || b > 0.05 {
		t.Errorf("bot share %.3f", b)
	}
	if m := float64(edge.unknown.Load()+edge.macros.Load()) / clicks; m == 0 || m > 0.04 {
		t.Errorf("malformed share %.3f", m)
	}
	if edge.unknown.Load() == 0 {
		t.Error("no click for an unknown campaign was sent, so 404 handling went untested")
	}
	if edge.byClickID.Load() == 0 || edge.byAdID.Load() == 0 {
		t.Errorf("installs by click_id %d, by advertising id %d: want both", edge.byClickID.Load(), edge.byAdID.Load())
	}
	if r.Latency.P50 <= 0 || r.Latency.Max < r.Latency.P99 || r.Hist.Count() != r.Requests {
		t.Errorf("latency %+v, histogram count %d", r.Latency, r.Hist.Count())
	}
}

// A target that stalls its first requests over a real socket: the schedule
// keeps going, and the stall shows in the latency of the slots queued behind
// it, measured from their intended start.
func TestRunStalledTargetOverTCP(t *testing.T) {
	const stall = 400 * time.Millisecond
	edge := startFakeEdge(t, "demo", 2, stall)
	o, err := Options{Target: edge.URL, Rate: 200, Duration: time.Second, Conns: 2, Seed: 1, Mix: Mix{Click: 1}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	u, _ := checkTarget(o.Target)
	hc := newHostClient(u, o)
	tr := newTraffic(o, o.Seed, u.Host, "")
	e := newEngine(schedule{rate: o.Rate, n: o.scheduled()}, o.Conns, o.Timeout, func() sender { return newHTTPSender(hc, tr, o.Timeout) })
	var mu sync.Mutex
	slots := map[int64]slotTimes{}
	e.onDone = func(i int64, due, began, end time.Time) {
		mu.Lock()
		slots[i] = slotTimes{due, began, end}
		mu.Unlock()
	}
	e.run(context.Background(), nil)
	r := e.result(o, false)
	edge.check(t)

	if r.Requests != 200 || len(r.Errors) != 0 {
		t.Fatalf("requests %d, errors %v", r.Requests, r.Errors)
	}
	if r.DurationS > 1.25 {
		t.Errorf("run took %.2fs for a 1s schedule: the stall slowed the schedule down", r.DurationS)
	}
	// Slot 2 was due at 10 ms and could only start once a worker came back.
	if got := slots[2].end.Sub(slots[2].due); got < stall-50*time.Millisecond {
		t.Errorf("slot 2 latency %v, want about %v", got, stall)
	}
	if r.Latency.P90 < 100 || r.Latency.Max < 350 {
		t.Errorf("latency %+v: the stall does not show", r.Latency)
	}
	// The last slots start on time (a little slack for a busy machine).
	for i := int64(180); i < 200; i++ {
		if late := slots[i].began.Sub(slots[i].due); late > 30*time.Millisecond {
			t.Errorf("slot %d began %v late", i, late)
		}
	}
}

func TestRunRefusesBadOptions(t *testing.T) {
	for _, o := range []Options{
		{Target: "http://127.0.0.1:1", Rate: 0, Duration: time.Second},
		{Target: "http://127.0.0.1:1", Rate: 1, Duration: 0},
		{Target: "http://127.0.0.1:1", Rate: 1, Duration: 2 * time.Hour},
		{Target: "file:///etc/passwd", Rate: 1, Duration: time.Second},
		{Target: "http://127.0.0.1:1", Rate: 1, Duration: time.Second, BotShare: 2},
	} {
		if _, err := Run(context.Background(), o, nil); err == nil {
			t.Errorf("Run(%+v) accepted", o)
		}
	}
}

func TestRunCountsConnectErrors(t *testing.T) {
	// The port of a listener just closed has nobody behind it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	r, err := Run(context.Background(), Options{Target: dead, Rate: 50, Duration: 100 * time.Millisecond, Seed: 3, Timeout: time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Errors["connect"] != r.Requests || r.Requests != 5 {
		t.Fatalf("requests %d, errors %v, want 5 connect errors", r.Requests, r.Errors)
	}
	if !strings.Contains(r.ErrorSamples["connect"], "refused") {
		t.Fatalf("error samples %q", r.ErrorSamples)
	}
}
