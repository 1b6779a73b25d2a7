package store

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/cockroachdb/pebble/v2"
)

// BenchmarkAttributionLookup measures the reads an install's attribution
// makes, one at a time, against a store of CLICKEDGE_BENCH_CLICKS realistic
// clicks (default 1e6; the target is 1e7) spread over four weeks, so over
// the five buckets of the default 30-day retention, plus one install and
// one event for every 50 clicks. It reports each lookup's latency
// percentiles from an HDR histogram, by the wall clock and by the thread's
// CPU clock (which leaves out the time other processes held the CPU: on a
// shared machine the two differ), after an untimed warm-up of every lookup.
// CLICKEDGE_BENCH_CACHE_MB sets Options.CacheSize.
//
// Loading 10 million clicks and compacting takes minutes, so with
// CLICKEDGE_BENCH_DIR set the loaded store is kept there and reused by
// later runs with the same click count:
//
//	CLICKEDGE_BENCH_CLICKS=1e7 CLICKEDGE_BENCH_DIR=/tmp/clickedge-bench-1e7 \
//	  go test ./store/ -run '^$' -bench AttributionLookup -benchtime 200000x -timeout 2h
func BenchmarkAttributionLookup(b *testing.B) {
	n := uint64(1_000_000)
	if v := os.Getenv("CLICKEDGE_BENCH_CLICKS"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 1000 {
			b.Fatalf("CLICKEDGE_BENCH_CLICKS=%q: want a number of clicks, at least 1000", v)
		}
		n = uint64(f)
	}
	const span = 28 * 24 * time.Hour
	start := t0.Add(-span)
	g := newClickGen(2024, start, span/time.Duration(n))
	now := time.UnixMilli(g.base + int64(n)*g.step)
	clk := newClock(now)

	dir := os.Getenv("CLICKEDGE_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	marker := filepath.Join(dir, "clickedge-bench-loaded")
	want := fmt.Sprintf("clicks %d seed %d step %d\n", n, g.seed, g.step)
	o := Options{Dir: dir, Durability: Async, Now: clk.Now}
	if v := os.Getenv("CLICKEDGE_BENCH_CACHE_MB"); v != "" {
		mb, err := strconv.Atoi(v)
		if err != nil {
			b.Fatal(err)
		}
		o.CacheSize = int64(mb) << 20
	}
	have, _ := os.ReadFile(marker)
	if string(have) != want {
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		began := time.Now()
		s, err := Open(o)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.bulkLoad(g, 0, n, 1000); err != nil {
			b.Fatal(err)
		}
		if err := loadConversions(s, n/50); err != nil {
			b.Fatal(err)
		}
		loaded := time.Since(began)
		if err := s.Compact(); err != nil {
			b.Fatal(err)
		}
		b.Logf("loaded %d clicks in %v, compacted in %v: %d bytes of sstables (%.0f bytes/click)",
			n, loaded.Round(time.Second), (time.Since(began) - loaded).Round(time.Second),
			tableBytes(s), float64(tableBytes(s))/float64(n))
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(marker, []byte(want), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	opened := time.Now()
	s, err := Open(o)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	// The id filters of the stored buckets fill in the background after
	// Open (idfilter.go); measure lookups once that scan is over, and say
	// how long a restart's scan takes at this size.
	waitIDFilters(b, s, 10*time.Minute)
	b.Logf("%d clicks, %d buckets, %d bytes of sstables, block cache %d MiB; id filters filled %v after Open",
		n, len(s.buckets), tableBytes(s), s.cache.MaxSize()>>20, time.Since(opened).Round(10*time.Millisecond))

	nowSec := now.Unix()
	const clickLookback, fpLookback = 7 * 86400, 86400
	r := rand.New(rand.NewPCG(1, 2))
	// A click of the last lookback, whose id and device attribution would
	// look up.
	recent := func() uint64 {
		k := uint64(clickLookback) * uint64(time.Second/time.Millisecond) / uint64(g.step)
		return n - 1 - r.Uint64N(min(k, n))
	}
	// A click of the last hour: most installs follow their click that soon.
	lastHour := func() uint64 {
		k := uint64(time.Hour/time.Millisecond) / uint64(g.step)
		return n - 1 - r.Uint64N(min(k, n))
	}
	missID := func(dst []byte) []byte {
		for range 24 {
			dst = append(dst, idChars[r.IntN(len(idChars))])
		}
		return append(dst, '~') // '~' is in no generated id
	}
	missUUID := func(dst []byte) []byte {
		var u [16]byte
		for i := range u {
			u[i] = byte(r.Uint32())
		}
		return appendUUID(dst, u[:], lowerHex)
	}
	app := []byte(apps[0])
	var c Click
	buf := make([]byte, 0, 1024)

	type lookup struct {
		name string
		prep func(i int) // fills the i-th request before timing
		run  func(i int) bool
	}
	var ids [][]byte
	var kinds []DeviceKind
	var apps_ [][]byte
	var ips []netip.Addr
	reset := func(k int) {
		ids, kinds, apps_, ips = make([][]byte, k), make([]DeviceKind, k), make([][]byte, k), make([]netip.Addr, k)
	}
	var hitClick Click
	deviceOf := func(i int, ci uint64) {
		g.fill(&hitClick, ci)
		apps_[i] = append([]byte(nil), hitClick.App...)
		if len(hitClick.GAID) > 0 {
			kinds[i], ids[i] = DeviceGAID, append([]byte(nil), hitClick.GAID...)
		} else {
			kinds[i], ids[i] = DeviceIDFA, append([]byte(nil), hitClick.IDFA...)
		}
	}
	randIP := func() netip.Addr {
		return netip.AddrFrom4([4]byte{byte(1 + r.IntN(222)), byte(r.IntN(256)), byte(r.IntN(256)), byte(1 + r.IntN(254))})
	}
	lookups := []lookup{
		{"GetClick/hit-last-week", func(i int) { ids[i] = g.clickID(nil, recent()) }, func(i int) bool {
			var ok bool
			buf, ok, benchErr = s.GetClick(ids[i], &c, buf)
			return ok
		}},
		{"GetClick/hit-last-hour", func(i int) { ids[i] = g.clickID(nil, lastHour()) }, func(i int) bool {
			var ok bool
			buf, ok, benchErr = s.GetClick(ids[i], &c, buf)
			return ok
		}},
		{"GetClick/miss", func(i int) { ids[i] = missID(nil) }, func(i int) bool {
			var ok bool
			buf, ok, benchErr = s.GetClick(ids[i], &c, buf)
			return !ok
		}},
		{"LatestByDevice/hit", func(i int) { deviceOf(i, recent()) }, func(i int) bool {
			var ok bool
			buf, ok, benchErr = s.LatestByDevice(apps_[i], kinds[i], ids[i], nowSec, nowSec-clickLookback, acceptAll, &c, buf)
			return ok
		}},
		{"LatestByDevice/miss", func(i int) { ids[i] = missUUID(nil) }, func(i int) bool {
			var ok bool
			buf, ok, benchErr = s.LatestByDevice(app, DeviceGAID, ids[i], nowSec, nowSec-clickLookback, acceptAll, &c, buf)
			return !ok
		}},
		{"LatestByFingerprint/miss", func(i int) { ips[i] = randIP() }, func(i int) bool {
			var ok bool
			buf, ok, benchErr = s.LatestByFingerprint(app, ips[i], PlatformAndroid, []byte("14"), nowSec, nowSec-fpLookback, acceptAll, &c, buf)
			return !ok
		}},
		// A whole install decision for an organic install, the slowest:
		// dedup checks of install_id and event_id, then the click_id, the
		// device and the fingerprint all miss.
		{"Decision/organic", func(i int) { ids[i] = missID(nil); ips[i] = randIP(); apps_[i] = missUUID(nil) }, func(i int) bool {
			return decide(s, ids[i], apps_[i], ips[i], nowSec, &c, &buf) == MatchOrganic
		}},
		// An install with the click_id of a recent click.
		{"Decision/click_id", func(i int) { ids[i] = g.clickID(nil, recent()); ips[i] = randIP(); apps_[i] = missUUID(nil) }, func(i int) bool {
			return decide(s, ids[i], apps_[i], ips[i], nowSec, &c, &buf) == MatchClickID
		}},
	}
	// Warm the block cache (filter and index blocks above all) as a store
	// that has been serving for a while has it: every kind of lookup, 20k
	// each, untimed.
	const warm = 20_000
	reset(warm)
	for _, l := range lookups {
		for i := range warm {
			l.prep(i)
		}
		for i := range warm {
			l.run(i)
		}
	}
	for _, l := range lookups {
		b.Run(l.name, func(b *testing.B) {
			reset(b.N)
			for i := range b.N {
				l.prep(i)
			}
			h := hdrhistogram.New(100, int64(time.Second), 3)
			hcpu := hdrhistogram.New(100, int64(time.Second), 3)
			wrong := 0
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				began, cpu := time.Now(), threadCPU()
				ok := l.run(i)
				_ = h.RecordValue(int64(time.Since(began)))
				_ = hcpu.RecordValue(max(threadCPU()-cpu, 100))
				if benchErr != nil {
					b.Fatal(benchErr)
				}
				if !ok {
					wrong++
				}
			}
			b.StopTimer()
			us := func(q float64) float64 { return float64(h.ValueAtQuantile(q)) / 1e3 }
			b.ReportMetric(us(50), "p50-µs")
			b.ReportMetric(us(99), "p99-µs")
			b.ReportMetric(us(99.9), "p999-µs")
			b.ReportMetric(float64(h.Max())/1e3, "max-µs")
			// The same on the thread's CPU clock: the lookup's own work,
			// without the time the machine's other processes took.
			b.ReportMetric(float64(hcpu.ValueAtQuantile(50))/1e3, "cpu-p50-µs")
			b.ReportMetric(float64(hcpu.ValueAtQuantile(99))/1e3, "cpu-p99-µs")
			// A random miss can hit by chance, a device's newest click can
			// be past the window: a few are expected, many are a bug.
			if wrong > b.N/100+1 {
				b.Fatalf("%d of %d lookups had the unexpected outcome", wrong, b.N)
			}
		})
	}
}

var benchErr error // the benchmark closures' error, checked after each lookup

// decide makes the reads of an install's attribution as the tracker does:
// install_id and event_id dedup in a conversion transaction, then click_id,
// device id and fingerprint, stopping at the first match.
func decide(s *Store, clickID, gaid []byte, ip netip.Addr, at int64, c *Click, buf *[]byte) MatchType {
	tx := s.BeginConversions()
	defer tx.Abort()
	var ok bool
	var err error
	defer func() { benchErr = err }()
	if _, ok, err = tx.Install(string(gaid) + "-install"); err != nil || ok {
		return MatchOrganic
	}
	if _, ok, err = tx.Event(string(gaid) + "-event"); err != nil || ok {
		return MatchOrganic
	}
	if *buf, ok, err = s.GetClick(clickID, c, *buf); err != nil || ok {
		return MatchClickID
	}
	if *buf, ok, err = s.LatestByDevice([]byte(apps[0]), DeviceGAID, gaid, at, at-7*86400, acceptAll, c, *buf); err != nil || ok {
		return MatchDeviceID
	}
	if *buf, ok, err = s.LatestByFingerprint([]byte(apps[0]), ip, PlatformAndroid, []byte("14"), at, at-86400, acceptAll, c, *buf); err != nil || ok {
		return MatchFingerprint
	}
	return MatchOrganic
}

// loadConversions writes n installs and their install events with random
// ids, so that dedup checks read real sstables.
func loadConversions(s *Store, n uint64) error {
	r := rand.New(rand.NewPCG(7, 7))
	batch := s.db.NewBatch()
	for i := range n {
		var u [16]byte
		for j := range u {
			u[j] = byte(r.Uint32())
		}
		id := string(appendUUID(nil, u[:], lowerHex))
		in := Install{InstallID: id, EventID: id + "-e", App: apps[0], Platform: PlatformAndroid, Time: t0.Unix(),
			Match: MatchClickID, ClickID: "abc", Campaign: "cmp0000001", GAID: id, IP: "203.0.113.1", Country: "IN"}
		ev := Event{EventID: in.EventID, InstallID: id, Name: "install", Time: t0.Unix(), Postback: "queued", PostbackID: i}
		batch.Set(textKey(tableInstall, in.InstallID), in.encode(nil), nil)
		batch.Set(textKey(tableEvent, ev.EventID), ev.encode(nil), nil)
		if batch.Count() >= 2000 {
			if err := batch.Commit(pebble.NoSync); err != nil {
				return err
			}
			batch.Reset()
		}
	}
	err := batch.Commit(pebble.NoSync)
	batch.Close()
	return err
}
