package store

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// countPrefix counts the keys that start with prefix.
func countPrefix(t testing.TB, s *Store, prefix []byte) int {
	t.Helper()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for it.First(); it.Valid(); it.Next() {
		n++
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	return n
}

// tableBytes is the size of the live sstables: DiskUsage less the WAL,
// whose files Pebble recycles and which Compact leaves empty.
func tableBytes(s *Store) uint64 { return s.db.Metrics().Table.Local.LiveSize }

func retentionGAID(i int) []byte {
	return fmt.Appendf(nil, "%08x-0000-4000-8000-%012x", i, i)
}

func TestExpireClicks(t *testing.T) {
	clk := newClock(t0)
	dir := t.TempDir()
	o := Options{Dir: dir, Retention: 4 * time.Hour, Now: clk.Now}
	s := openOpts(t, o)
	if s.bucketWidth != 3600 {
		t.Fatalf("bucket width %d, want 3600", s.bucketWidth)
	}
	const every = 10 * time.Minute
	const n = 8 * 6 // 8h of clicks
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * every) }
	for i := range n {
		clk.Set(at(i))
		c := testClick(fmt.Sprint("c", i), at(i))
		c.GAID = retentionGAID(i)
		c.UserAgent = fmt.Appendf(nil, "Mozilla/5.0 (Linux; Android 14; Pixel %d)", i)
		mustPut(t, s, c)
	}
	if got := len(s.buckets); got != 8 {
		t.Fatalf("%d buckets, want 8", got)
	}
	now := t0.Add(8 * time.Hour)
	clk.Set(now)
	expired, err := s.ExpireClicks()
	if err != nil {
		t.Fatal(err)
	}
	// cutoff is now-4h = t0+4h: buckets [t0, t0+1h) .. [t0+3h, t0+4h) go.
	if expired != 4 {
		t.Fatalf("expired %d buckets, want 4", expired)
	}
	cutoff := now.Add(-4 * time.Hour)
	for i := range n {
		id := fmt.Append(nil, "c", i)
		gone := at(i).Before(cutoff)
		var c Click
		_, ok, err := s.GetClick(id, &c, nil)
		if err != nil || ok == gone {
			t.Fatalf("click %d at %v: GetClick = %v, %v; gone = %v", i, at(i), ok, err, gone)
		}
		ua, err := s.ClickUserAgent(id)
		if gone && !errors.Is(err, ErrNotFound) || !gone && (err != nil || ua == "") {
			t.Fatalf("click %d: ClickUserAgent = %q, %v", i, ua, err)
		}
		_, ok, err = s.LatestByDevice([]byte("com.example.app"), DeviceGAID, retentionGAID(i), now.Unix(), 0, acceptAll, &c, nil)
		if err != nil || ok == gone {
			t.Fatalf("click %d: LatestByDevice = %v, %v", i, ok, err)
		}
	}
	for _, table := range []byte{tableClick, tableDevice, tableFinger, tableUA, tableBucket} {
		for h := range 8 {
			p := appendBucketKey(nil, uint32(t0.Add(time.Duration(h)*time.Hour).Unix()))
			p[0] = table
			got := countPrefix(t, s, p)
			if gone := h < 4; gone && got != 0 || !gone && got == 0 {
				t.Fatalf("table %c bucket %d: %d keys", table, h, got)
			}
		}
	}
	if got := countPrefix(t, s, []byte{tableClick}); got != n/2 {
		t.Fatalf("%d click records, want %d", got, n/2)
	}
	// Nothing more to expire; the bucket list survives a reopen.
	if expired, err := s.ExpireClicks(); err != nil || expired != 0 {
		t.Fatalf("second ExpireClicks = %d, %v", expired, err)
	}
	before := slices.Clone(s.buckets)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openOpts(t, o)
	sameSpan := func(a, b bucket) bool { return a.start == b.start && a.width == b.width }
	if !slices.EqualFunc(before, s.buckets, sameSpan) {
		t.Fatalf("buckets after reopen %v, want %v", s.buckets, before)
	}
	// Everything goes in the end.
	clk.Set(now.Add(5 * time.Hour))
	if expired, err := s.ExpireClicks(); err != nil || expired != 4 {
		t.Fatalf("final ExpireClicks = %d, %v", expired, err)
	}
	for _, table := range []byte{tableClick, tableDevice, tableFinger, tableUA, tableBucket} {
		if got := countPrefix(t, s, []byte{table}); got != 0 {
			t.Fatalf("table %c: %d keys left", table, got)
		}
	}
}

// TestExpiredBucketUserAgentRewritten: a click that arrives for a bucket
// already expired (a late server-to-server or replicated click) gets its
// user agent stored again, although the store wrote that agent in that
// bucket before.
func TestExpiredBucketUserAgentRewritten(t *testing.T) {
	clk := newClock(t0)
	s := openOpts(t, Options{Retention: 4 * time.Hour, Now: clk.Now})
	mustPut(t, s, testClick("first", t0))
	clk.Set(t0.Add(6 * time.Hour))
	if n, err := s.ExpireClicks(); err != nil || n != 1 {
		t.Fatalf("ExpireClicks = %d, %v", n, err)
	}
	mustPut(t, s, testClick("late", t0.Add(time.Minute)))
	ua, err := s.ClickUserAgent([]byte("late"))
	if err != nil || ua != string(testClick("", t0).UserAgent) {
		t.Fatalf("ClickUserAgent(late) = %q, %v", ua, err)
	}
}

// TestDiskBounded writes clicks every simulated hour for three retentions,
// expiring as the sweeper would, and checks that the store ends no bigger
// than the retention plus one bucket of clicks needs.
func TestDiskBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 60k clicks")
	}
	const perHour = 5000
	const retention = 4 * time.Hour
	clk := newClock(t0)
	s := openOpts(t, Options{Durability: Async, Retention: retention, Now: clk.Now})
	g := newClickGen(1, t0, time.Hour/perHour)
	var c Click
	var peak uint64
	hours := int(3 * retention / time.Hour)
	for h := range hours {
		for i := range perHour {
			n := uint64(h*perHour + i)
			g.fill(&c, n)
			clk.Set(time.UnixMilli(c.Time))
			if _, err := s.PutClick(&c); err != nil {
				t.Fatal(err)
			}
		}
		clk.Set(t0.Add(time.Duration(h+1) * time.Hour))
		if _, err := s.ExpireClicks(); err != nil {
			t.Fatal(err)
		}
		if h == int(retention/time.Hour) {
			// Retention plus one bucket of clicks: the most ever kept.
			if err := s.Compact(); err != nil {
				t.Fatal(err)
			}
			peak = tableBytes(s)
		}
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	live := countPrefix(t, s, []byte{tableClick})
	if live > perHour*int(retention/time.Hour+1) {
		t.Fatalf("%d clicks kept, want at most %d", live, perHour*int(retention/time.Hour+1))
	}
	if live < perHour*int(retention/time.Hour) {
		t.Fatalf("%d clicks kept, want at least the retention's %d", live, perHour*int(retention/time.Hour))
	}
	final := tableBytes(s)
	t.Logf("%d clicks live; sstables %d bytes after one retention, %d at the end (%.0f bytes/click); disk %d bytes with the WAL",
		live, peak, final, float64(final)/float64(live), s.DiskUsage())
	if final > peak+peak/4 {
		t.Fatalf("sstables %d bytes after %d hours, more than 1.25x the %d bytes of one retention", final, hours, peak)
	}
	// The rest is the WAL, which Pebble recycles: a few memtables' worth.
	if wal := s.DiskUsage() - final; wal > 4*memTableSize {
		t.Fatalf("%d bytes besides sstables", wal)
	}
}

// TestBucketsAfterRetentionChange: buckets made under an older retention
// (another width) never overlap the new ones, so every second has one
// bucket and every click is found.
func TestBucketsAfterRetentionChange(t *testing.T) {
	clk := newClock(t0.Add(18 * time.Hour))
	dir := t.TempDir()
	s := openOpts(t, Options{Dir: dir, Retention: 4 * time.Hour, Now: clk.Now})
	put := func(s *Store, id string, at time.Time) {
		c := testClick(id, at)
		c.GAID = retentionGAID(len(id) * int(at.Unix()%9973))
		mustPut(t, s, c)
	}
	// 1h buckets at t0+14h, t0+15h and t0+17h.
	for _, h := range []int{14, 15, 17} {
		put(s, fmt.Sprint("old", h), t0.Add(time.Duration(h)*time.Hour+time.Minute))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Now 40h: buckets 10h wide, aligned on t0+10h, t0+20h.
	s = openOpts(t, Options{Dir: dir, Retention: 40 * time.Hour, Now: clk.Now})
	var ids []string
	for m := 9 * 60; m < 22*60; m += 17 {
		id := fmt.Sprint("new", m)
		put(s, id, t0.Add(time.Duration(m)*time.Minute))
		ids = append(ids, id)
	}
	bs := slices.Clone(s.buckets)
	for i, a := range bs {
		if a.width == 0 {
			t.Fatalf("empty bucket %v", a)
		}
		for _, b := range bs[i+1:] {
			if int64(a.start) < b.end() && int64(b.start) < a.end() {
				t.Fatalf("buckets %v and %v overlap (all: %v)", a, b, bs)
			}
		}
	}
	for _, id := range append(ids, "old14", "old15", "old17") {
		var c Click
		if _, ok, err := s.GetClick([]byte(id), &c, nil); !ok || err != nil {
			t.Fatalf("GetClick(%s) = %v, %v", id, ok, err)
		}
		sec := c.Time / 1000
		var m Click
		if _, ok, err := s.LatestByDevice(c.App, DeviceGAID, c.GAID, sec, sec, acceptAll, &m, nil); !ok || err != nil || string(m.ClickID) != id {
			t.Fatalf("LatestByDevice for %s = %v, %v, %q", id, ok, err, m.ClickID)
		}
	}
}

// TestClickTimeOutOfRange: clicks dated before 1970 or after 2106 share one
// bucket at each end instead of making one bucket each.
func TestClickTimeOutOfRange(t *testing.T) {
	clk := newClock(t0)
	s := openOpts(t, Options{Retention: 1<<63 - 1, Now: clk.Now})
	for i, ms := range []int64{1 << 62, 1<<62 + 5000, 1 << 60, -5000, -1 << 62} {
		c := testClick(fmt.Sprint("far", i), t0)
		c.Time = ms
		mustPut(t, s, c)
	}
	if n := len(s.buckets); n != 2 {
		t.Fatalf("%d buckets: %v", n, s.buckets)
	}
	for i := range 5 {
		var c Click
		if _, ok, err := s.GetClick(fmt.Append(nil, "far", i), &c, nil); !ok || err != nil {
			t.Fatalf("far%d: %v %v", i, ok, err)
		}
	}
}

// TestShorterRetentionAfterRestart: a click_retention lowered across a
// restart cuts the bucket still open under the old, wider width at the next
// boundary of the new one, so clicks older than the new retention go within
// one new width of it, not when the old bucket would have ended (days
// later with 30d's 7.5-day buckets). Found by an audit.
func TestShorterRetentionAfterRestart(t *testing.T) {
	clk := newClock(t0)
	dir := t.TempDir()
	s := openOpts(t, Options{Dir: dir, Retention: 30 * 24 * time.Hour, Now: clk.Now})
	mustPut(t, s, testClick("before-change", t0))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	const retention = 24 * time.Hour
	clk.Set(t0.Add(time.Minute))
	s = openOpts(t, Options{Dir: dir, Retention: retention, Now: clk.Now})
	mustPut(t, s, testClick("after-change", t0.Add(time.Minute)))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The cut is stored: a second restart keeps it.
	s = openOpts(t, Options{Dir: dir, Retention: retention, Now: clk.Now})
	for _, b := range s.buckets {
		if limit := clk.Now().Unix() + int64(widthFor(retention)); b.end() > limit {
			t.Errorf("bucket %v ends past %d: one new width from now", b, limit)
		}
	}
	// Two days on, both clicks are a day past the 1d retention.
	now := t0.Add(2 * 24 * time.Hour)
	clk.Set(now)
	if _, err := s.ExpireClicks(); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"before-change", "after-change"} {
		var c Click
		if _, ok, err := s.GetClick([]byte(id), &c, nil); err != nil || ok {
			t.Errorf("click %q made %v ago is still stored with click_retention %v (GetClick = %v, %v); buckets %v",
				id, now.Sub(time.UnixMilli(c.Time)), retention, ok, err, s.buckets)
		}
	}
}
