package store

import (
	"fmt"
	"testing"
	"time"
)

func TestIDFilter(t *testing.T) {
	const n = 1_000_000 // grows from a 64Ki-id segment three times
	f := newIDFilterExact(1<<16, true)
	for i := range n {
		f.add(idHash(fmt.Appendf(nil, "click-%d", i)))
	}
	if segs := len(*f.segs.Load()); segs < 3 {
		t.Fatalf("%d segments after %d ids, want growth", segs, n)
	}
	for i := range n {
		if !f.mayContain(idHash(fmt.Appendf(nil, "click-%d", i))) {
			t.Fatalf("id %d added but not found", i)
		}
	}
	fp := 0
	for i := range n {
		if f.mayContain(idHash(fmt.Appendf(nil, "other-%d", i))) {
			fp++
		}
	}
	// Each segment is sized for 1% at most; three or four of them sum to
	// under 3% (about 1.5% in practice).
	if rate := float64(fp) / n; rate > 0.03 {
		t.Fatalf("false positive rate %.4f, want under 0.03", rate)
	} else {
		t.Logf("false positive rate %.4f over %d segments", rate, len(*f.segs.Load()))
	}
}

func TestIDFilterSizedAtStart(t *testing.T) {
	f := newIDFilter(3_000_000, false)
	if f.ready.Load() {
		t.Fatal("filter ready before it was filled")
	}
	if c := (*f.segs.Load())[0].capacity; c < 3_000_000 {
		t.Fatalf("capacity %d, want at least 3M", c)
	}
}

// TestFirstWriteWinsAcrossReopen: a click stored before a restart is
// refused after it, both while the buckets' id filters are still being
// filled (the lookups go to Pebble) and once they are.
func TestFirstWriteWinsAcrossReopen(t *testing.T) {
	clk := newClock(t0)
	dir := t.TempDir()
	s := openOpts(t, Options{Dir: dir, Durability: Sync, Now: clk.Now})
	// Two buckets (a week apart at the default retention's 7.5-day width).
	old := testClick("before-restart-old", t0)
	recent := testClick("before-restart", t0.Add(8*24*time.Hour))
	mustPut(t, s, old)
	mustPut(t, s, recent)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	clk.Set(t0.Add(8*24*time.Hour + time.Hour))
	hold := make(chan struct{})
	s = openOpts(t, Options{Dir: dir, Durability: Sync, Now: clk.Now, holdIDFilters: hold})
	if n := len(s.allBuckets(nil)); n != 2 {
		t.Fatalf("%d buckets, want 2", n)
	}
	refused := func(when string) {
		t.Helper()
		for _, c := range []*Click{old, recent} {
			again := testClick(string(c.ClickID), clk.Now())
			if ok, err := s.PutClick(again); ok || err != nil {
				t.Fatalf("%s: PutClick(%q) again = %v, %v; want refused", when, c.ClickID, ok, err)
			}
		}
	}
	refused("filters not filled")
	mustPut(t, s, testClick("during-fill", clk.Now()))
	close(hold)
	waitIDFilters(t, s, 10*time.Second)
	refused("filters filled")
	if ok, err := s.PutClick(testClick("during-fill", clk.Now())); ok || err != nil {
		t.Fatalf("PutClick(during-fill) again = %v, %v; want refused", ok, err)
	}
	mustPut(t, s, testClick("after-fill", clk.Now()))
}

// waitIDFilters waits up to limit for every bucket's id filter to be
// filled by the scan Open starts.
func waitIDFilters(t testing.TB, s *Store, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ready := true
		for _, b := range s.allBuckets(nil) {
			ready = ready && b.ids.ready.Load()
		}
		if ready {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("id filters not filled after %v", limit)
		}
		time.Sleep(time.Millisecond)
	}
}

func BenchmarkIDFilter(b *testing.B) {
	f := newIDFilter(1<<20, true)
	ids := make([][]byte, 4096)
	for i := range ids {
		ids[i] = fmt.Appendf(nil, "CjwKCAiA-%d-x", i)
		f.add(idHash(ids[i]))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if !f.mayContain(idHash(ids[i&4095])) {
			b.Fatal("miss")
		}
		i++
	}
}

// TestFilterFalsePositiveStillStores: an id the filter wrongly says may be
// stored is looked up, not found, and stored.
func TestFilterFalsePositiveStillStores(t *testing.T) {
	for _, d := range []Durability{Sync, Async} {
		t.Run(durName[d], func(t *testing.T) {
			s := openClock(t, d, 0, newClock(t0))
			mustPut(t, s, testClick("first", t0)) // makes the bucket
			b, _ := s.bucketFor(t0.Unix())
			b.ids.add(idHash([]byte("ghost")))
			mustPut(t, s, testClick("ghost", t0))
			if ok, err := s.PutClick(testClick("ghost", t0)); ok || err != nil {
				t.Fatalf("second PutClick(ghost) = %v, %v; want refused", ok, err)
			}
		})
	}
}
