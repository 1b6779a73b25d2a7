package store

import (
	"bytes"
	"testing"
	"time"
)

// Allocation budgets of the hot paths, asserted as fasthttp's
// allocation_test.go does. Run without -race (the race detector allocates).

// realisticClicks returns n realistic clicks, each with its own copies of
// its values, starting at t0 one every 10ms.
func realisticClicks(n int) []Click {
	g := newClickGen(7, t0, 10*time.Millisecond)
	out := make([]Click, n)
	for i := range out {
		var c Click
		g.fill(&c, uint64(i))
		out[i] = cloneClick(&c)
	}
	return out
}

func cloneClick(c *Click) Click {
	cl := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		return bytes.Clone(b)
	}
	d := *c
	d.ClickID, d.Campaign, d.App, d.OSVersion = cl(c.ClickID), cl(c.Campaign), cl(c.App), cl(c.OSVersion)
	d.AffID, d.PubID, d.OfferID, d.CreativeID = cl(c.AffID), cl(c.PubID), cl(c.OfferID), cl(c.CreativeID)
	for i := range d.Sub {
		d.Sub[i] = cl(c.Sub[i])
	}
	d.GAID, d.IDFA, d.OAID, d.IP, d.UserAgent, d.Country = cl(c.GAID), cl(c.IDFA), cl(c.OAID), cl(c.IP), cl(c.UserAgent), cl(c.Country)
	d.DeepLink = cl(c.DeepLink)
	return d
}

// allocStore opens a store as one in use looks: 50k clicks over a week
// compacted into sstables (two buckets), a flushed L0 table, and clicks in
// the memtable. Point reads that reach an sstable are where Pebble would
// allocate (see scratch.go).
func allocStore(t *testing.T, clicks []Click) *Store {
	clk := newClock(t0)
	s := openOpts(t, Options{Durability: Async, Now: clk.Now})
	g := newClickGen(99, t0.Add(-7*24*time.Hour), 12*time.Second)
	if err := s.bulkLoad(g, 0, 50_000, 1000); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	for i := range clicks[:len(clicks)/2] {
		mustPut(t, s, &clicks[i])
	}
	if err := s.db.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := range clicks[len(clicks)/2:] {
		mustPut(t, s, &clicks[len(clicks)/2+i])
	}
	return s
}

func skipIfRace(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
}

func TestPutClickAllocs(t *testing.T) {
	skipIfRace(t)
	const warm, runs = 2000, 2000
	clicks := realisticClicks(warm + runs + 1)
	s := allocStore(t, clicks[:warm])
	i := warm
	allocs := testing.AllocsPerRun(runs, func() {
		ok, err := s.PutClick(&clicks[i])
		if err != nil || !ok {
			t.Fatalf("PutClick = %v, %v", ok, err)
		}
		i++
	})
	if allocs != 0 {
		t.Fatalf("PutClick (async): %.2f allocs/op, want 0", allocs)
	}
	// A duplicate is refused without allocating either.
	allocs = testing.AllocsPerRun(runs, func() {
		if ok, err := s.PutClick(&clicks[0]); ok || err != nil {
			t.Fatalf("duplicate PutClick = %v, %v", ok, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("duplicate PutClick: %.2f allocs/op, want 0", allocs)
	}
}

// With replication on, a click also queues its replication record in its
// batch, still without allocating.
func TestPutClickReplicatedAllocs(t *testing.T) {
	skipIfRace(t)
	const warm, runs = 2000, 2000
	clicks := realisticClicks(warm + runs + 1)
	s := openOpts(t, Options{Durability: Async, Now: newClock(t0).Now, Replicate: true})
	for i := range clicks[:warm] {
		mustPut(t, s, &clicks[i])
	}
	i := warm
	allocs := testing.AllocsPerRun(runs, func() {
		if ok, err := s.PutClick(&clicks[i]); err != nil || !ok {
			t.Fatalf("PutClick = %v, %v", ok, err)
		}
		i++
	})
	if allocs != 0 {
		t.Fatalf("PutClick (replicated): %.2f allocs/op, want 0", allocs)
	}
	if got := s.ReplicationBacklog(); got != int64(i) {
		t.Fatalf("backlog %d, want %d", got, i)
	}
}

func TestClickCodecAllocs(t *testing.T) {
	skipIfRace(t)
	clicks := realisticClicks(100)
	val := make([]byte, 0, 1024)
	buf := make([]byte, 0, 256)
	var got Click
	i := 0
	if a := testing.AllocsPerRun(1000, func() {
		c := &clicks[i%len(clicks)]
		val = appendClickValue(val[:0], c, 1)
		i++
	}); a != 0 {
		t.Fatalf("appendClickValue: %.2f allocs/op", a)
	}
	vals := make([][]byte, len(clicks))
	for i := range clicks {
		vals[i] = appendClickValue(nil, &clicks[i], 1)
	}
	if a := testing.AllocsPerRun(1000, func() {
		var err error
		buf, _, err = decodeClick(vals[i%len(vals)], &got, buf[:0])
		if err != nil {
			t.Fatal(err)
		}
		i++
	}); a != 0 {
		t.Fatalf("decodeClick: %.2f allocs/op", a)
	}
}

func TestGetClickAllocs(t *testing.T) {
	skipIfRace(t)
	clicks := realisticClicks(1000)
	s := allocStore(t, clicks)
	buf := make([]byte, 0, 1024)
	var c Click
	i := 0
	miss := []byte("no-such-click-id-at-all")
	if a := testing.AllocsPerRun(1000, func() {
		var ok bool
		var err error
		buf, ok, err = s.GetClick(clicks[i%len(clicks)].ClickID, &c, buf)
		if !ok || err != nil {
			t.Fatal(ok, err)
		}
		buf, ok, err = s.GetClick(miss, &c, buf)
		if ok || err != nil {
			t.Fatal(ok, err)
		}
		i++
	}); a != 0 {
		t.Fatalf("GetClick hit and miss: %.2f allocs/op", a)
	}
}

func TestLatestAllocs(t *testing.T) {
	skipIfRace(t)
	clicks := realisticClicks(1000)
	s := allocStore(t, clicks)
	at := clicks[len(clicks)-1].Time/1000 + 60
	buf := make([]byte, 0, 1024)
	var c Click
	i := 0
	if a := testing.AllocsPerRun(1000, func() {
		k := &clicks[i%len(clicks)]
		kind, id := DeviceGAID, k.GAID
		if k.Platform == PlatformIOS {
			kind, id = DeviceIDFA, k.IDFA
		}
		var ok bool
		var err error
		buf, ok, err = s.LatestByDevice(k.App, kind, id, at, at-86400, acceptAll, &c, buf)
		if !ok || err != nil {
			t.Fatal(ok, err)
		}
		i++
	}); a != 0 {
		t.Fatalf("LatestByDevice hit: %.2f allocs/op", a)
	}
	ip := mustAddr("198.51.100.1")
	if a := testing.AllocsPerRun(1000, func() {
		var ok bool
		var err error
		buf, ok, err = s.LatestByDevice([]byte("com.example.app"), DeviceGAID, []byte(gaidLower), at, at-86400, acceptAll, &c, buf)
		if ok || err != nil {
			t.Fatal(ok, err)
		}
		buf, ok, err = s.LatestByFingerprint([]byte("com.example.app"), ip, PlatformAndroid, []byte("14"), at, at-86400, acceptAll, &c, buf)
		if ok || err != nil {
			t.Fatal(ok, err)
		}
	}); a != 0 {
		t.Fatalf("LatestByDevice and LatestByFingerprint miss: %.2f allocs/op", a)
	}
}
