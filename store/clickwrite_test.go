package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

func TestPutGetClickAllFields(t *testing.T) {
	clk := newClock(t0)
	s := openClock(t, Sync, 0, clk)
	long := bytes.Repeat([]byte("é"), MaxValueLen/2)
	cases := []*Click{
		testClick("plain", t0),
		{ClickID: []byte("bare"), Time: t0.UnixMilli()}, // an older click would be expired at once
		{
			ClickID: []byte("mixed"), Campaign: []byte("c"), App: []byte("a"), Time: t0.UnixMilli() + 7,
			Platform: PlatformIOS, OSVersion: []byte("17.2"), Flags: FlagMacro | FlagOversize,
			AffID: long, PubID: long, OfferID: []byte("o"), CreativeID: []byte("cr"),
			Sub:  [5][]byte{long, []byte("{sub2}"), nil, []byte("4"), []byte("5")},
			GAID: []byte("38400000-8cF0-11bd-B23E-10b96e40000d"), IDFA: []byte("6D92078A-8246-4BA4-AE5B-76104861E7DC"),
			OAID: []byte("fcbe7ff7d5f9a1b2"), IP: []byte("::FFFF:1.2.3.4"), UserAgent: long, Country: []byte("DE"),
		},
		{ClickID: []byte("v6"), Time: t0.UnixMilli(), IP: []byte("2001:db8::1"), UserAgent: []byte("curl/8")},
		{ClickID: []byte("zone"), Time: t0.UnixMilli(), IP: []byte("fe80::1%eth0"), Platform: PlatformAndroid},
		{ClickID: []byte("zeros"), Time: t0.UnixMilli(), IP: []byte("01.2.3.4"), Platform: PlatformAndroid, GAID: []byte("0")},
		{ClickID: bytes.Repeat([]byte("k"), MaxValueLen), Time: t0.UnixMilli(), Flags: FlagInvalidID | FlagOversize},
	}
	for _, c := range cases {
		mustPut(t, s, c)
	}
	check := func(s *Store) {
		t.Helper()
		var buf []byte
		for _, c := range cases {
			var got Click
			var ok bool
			var err error
			buf, ok, err = s.GetClick(c.ClickID, &got, buf)
			if err != nil || !ok {
				t.Fatalf("GetClick(%.20q) = %v, %v", c.ClickID, ok, err)
			}
			if d := clickDiff(c, &got, false); d != "" {
				t.Fatalf("%.20q: %s", c.ClickID, d)
			}
			ua, err := s.ClickUserAgent(c.ClickID)
			if err != nil || ua != string(c.UserAgent) {
				t.Fatalf("ClickUserAgent(%.20q) = %.30q, %v; want %.30q", c.ClickID, ua, err, c.UserAgent)
			}
		}
		var got Click
		if _, ok, err := s.GetClick([]byte("absent"), &got, nil); ok || err != nil {
			t.Fatalf("GetClick(absent) = %v, %v", ok, err)
		}
		if _, err := s.ClickUserAgent([]byte("absent")); err != ErrNotFound {
			t.Fatalf("ClickUserAgent(absent) err = %v", err)
		}
	}
	check(s)
	dir := s.opts.Dir
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check(openOpts(t, Options{Dir: dir, Now: clk.Now}))
}

// TestGetClickBufferReuse: fields of a click read into a reused buffer are
// right even when the buffer must grow in the middle of a decode.
func TestGetClickBufferReuse(t *testing.T) {
	s := openClock(t, Async, 0, newClock(t0))
	a := testClick("a", t0)
	a.IDFA = []byte("6D92078A-8246-4BA4-AE5B-76104861E7DC")
	a.OAID = []byte("0f6e7c2b-1a2b-4c3d-8e9f-0123456789ab")
	a.IP = []byte("2001:db8:1:2:3:4:5:6")
	mustPut(t, s, a)
	for size := range 200 {
		buf := make([]byte, 0, size)
		var got Click
		buf, ok, err := s.GetClick([]byte("a"), &got, buf)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if d := clickDiff(a, &got, false); d != "" {
			t.Fatalf("cap %d: %s", size, d)
		}
		_ = buf
	}
}

func TestPutClickFirstWriteWins(t *testing.T) {
	for _, d := range []Durability{Sync, Async} {
		t.Run(durName[d], func(t *testing.T) {
			s := openClock(t, d, 0, newClock(t0))
			c := testClick("dup", t0)
			mustPut(t, s, c)
			c2 := testClick("dup", t0.Add(time.Minute))
			c2.AffID, c2.GAID = []byte("other"), []byte("11111111-2222-3333-4444-555555555555")
			if ok, err := s.PutClick(c2); ok || err != nil {
				t.Fatalf("second PutClick = %v, %v", ok, err)
			}
			var got Click
			if _, _, err := s.GetClick(c.ClickID, &got, nil); err != nil {
				t.Fatal(err)
			}
			if d := clickDiff(c, &got, false); d != "" {
				t.Fatal(d)
			}
			// The loser left no index entry behind.
			var m Click
			if _, ok, _ := s.LatestByDevice(c.App, DeviceGAID, c2.GAID, t0.Unix()+3600, t0.Unix()-3600, acceptAll, &m, nil); ok {
				t.Fatalf("the refused duplicate's device key was written")
			}
			if _, err := s.PutClick(&Click{}); err == nil {
				t.Fatal("PutClick without click_id succeeded")
			}
		})
	}
}

func TestPutClickConcurrentSameID(t *testing.T) {
	for _, d := range []Durability{Sync, Async} {
		t.Run(durName[d], func(t *testing.T) {
			s := openClock(t, d, 0, newClock(t0))
			for round := range 5 {
				id := fmt.Sprintf("race-%d", round)
				var stored atomic.Int32
				var wg sync.WaitGroup
				start := make(chan struct{})
				for g := range 50 {
					wg.Go(func() {
						c := testClick(id, t0)
						c.AffID = []byte(fmt.Sprint(g))
						<-start
						ok, err := s.PutClick(c)
						if err != nil {
							t.Error(err)
						}
						if ok {
							stored.Add(1)
						}
					})
				}
				close(start)
				wg.Wait()
				if n := stored.Load(); n != 1 {
					t.Fatalf("%d of 50 writers stored %s, want exactly 1", n, id)
				}
			}
		})
	}
}

func TestFlaggedClicksNotIndexed(t *testing.T) {
	s := openClock(t, Sync, 0, newClock(t0))
	gaid := []byte("38400000-8cf0-11bd-b23e-10b96e40000d")
	for i, f := range []ClickFlags{FlagBot, FlagInvalidID, FlagBot | FlagMacro} {
		c := testClick(fmt.Sprintf("flagged-%d", i), t0.Add(time.Duration(i+1)*time.Minute))
		c.Flags = f
		mustPut(t, s, c)
		var got Click
		if _, ok, err := s.GetClick(c.ClickID, &got, nil); !ok || err != nil || got.Flags != f {
			t.Fatalf("flagged click not stored: %v %v %v", ok, err, got.Flags)
		}
	}
	var m Click
	now := t0.Add(time.Hour).Unix()
	if _, ok, err := s.LatestByDevice([]byte("com.example.app"), DeviceGAID, gaid, now, now-7200, acceptAll, &m, nil); ok || err != nil {
		t.Fatalf("LatestByDevice found flagged click %q (%v)", m.ClickID, err)
	}
	ip := mustAddr("203.0.113.10")
	if _, ok, err := s.LatestByFingerprint([]byte("com.example.app"), ip, PlatformAndroid, []byte("14"), now, now-7200, acceptAll, &m, nil); ok || err != nil {
		t.Fatalf("LatestByFingerprint found flagged click %q (%v)", m.ClickID, err)
	}
	// A good click (older) is still found past the flagged ones.
	mustPut(t, s, testClick("good", t0))
	if _, ok, err := s.LatestByDevice([]byte("com.example.app"), DeviceGAID, gaid, now, now-7200, acceptAll, &m, nil); !ok || err != nil || string(m.ClickID) != "good" {
		t.Fatalf("LatestByDevice = %v, %v, %q; want good", ok, err, m.ClickID)
	}
}

func TestClicksDurableAfterReopen(t *testing.T) {
	for _, d := range []Durability{Sync, Async} {
		t.Run(durName[d], func(t *testing.T) {
			clk := newClock(t0)
			dir := t.TempDir()
			s := openOpts(t, Options{Dir: dir, Durability: d, Now: clk.Now})
			for i := range 100 {
				mustPut(t, s, testClick(fmt.Sprint("c", i), t0.Add(time.Duration(i)*time.Second)))
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = openOpts(t, Options{Dir: dir, Durability: d, Now: clk.Now})
			for i := range 100 {
				var got Click
				if _, ok, err := s.GetClick(fmt.Append(nil, "c", i), &got, nil); !ok || err != nil {
					t.Fatalf("click %d lost: %v %v", i, ok, err)
				}
			}
		})
	}
}

// TestSyncClickSurvivesCrash: in sync mode a click is on disk when PutClick
// returns; the crash is simulated by cloning only the synced state of an
// in-memory file system.
func TestSyncClickSurvivesCrash(t *testing.T) {
	fs := vfs.NewCrashableMem()
	clk := newClock(t0)
	s := openOpts(t, Options{Dir: "db", fs: fs, Durability: Sync, Now: clk.Now})
	for i := range 50 {
		mustPut(t, s, testClick(fmt.Sprint("c", i), t0.Add(time.Duration(i)*time.Second)))
	}
	err := s.Update(func(w *Writer) error {
		w.OutboxPut(QueuePostback, 7, StatusPending, 1, []byte("pb"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tx := s.BeginConversions()
	tx.PutInstall(&Install{InstallID: "in1", ClickID: "c1"})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	crashed := fs.CrashClone(vfs.CrashCloneCfg{})
	s2 := openOpts(t, Options{Dir: "db", fs: crashed, Durability: Sync, Now: clk.Now})
	for i := range 50 {
		var got Click
		if _, ok, err := s2.GetClick(fmt.Append(nil, "c", i), &got, nil); !ok || err != nil {
			t.Fatalf("click %d lost in the crash: %v %v", i, ok, err)
		}
	}
	var m Click
	if _, ok, err := s2.LatestByDevice([]byte("com.example.app"), DeviceGAID, []byte("38400000-8cf0-11bd-b23e-10b96e40000d"),
		t0.Unix()+60, t0.Unix(), acceptAll, &m, nil); !ok || err != nil || string(m.ClickID) != "c49" {
		t.Fatalf("LatestByDevice after crash = %v %v %q", ok, err, m.ClickID)
	}
	if _, err := s2.OutboxGet(QueuePostback, 7); err != nil {
		t.Fatalf("outbox entry lost in the crash: %v", err)
	}
	if _, err := s2.GetInstall("in1"); err != nil {
		t.Fatalf("install lost in the crash: %v", err)
	}
}

// TestBucketKeyWrittenAfterRefusedFirstClick: the first click of a new
// retention bucket may be refused (its id is already stored). The bucket
// key must still reach disk with the first click that is stored there, or
// after a restart the bucket's clicks are never found by device and never
// expire.
func TestBucketKeyWrittenAfterRefusedFirstClick(t *testing.T) {
	clk := newClock(t0)
	dir := t.TempDir()
	o := Options{Dir: dir, Retention: 4 * time.Hour, Now: clk.Now}
	s := openOpts(t, o)
	mustPut(t, s, testClick("orig", t0))
	later := t0.Add(2 * time.Hour) // another bucket
	clk.Set(later)
	if ok, err := s.PutClick(testClick("orig", later)); ok || err != nil {
		t.Fatalf("replayed click stored: %v %v", ok, err)
	}
	b := testClick("new", later)
	b.GAID = []byte("11111111-2222-3333-4444-555555555555")
	mustPut(t, s, b)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openOpts(t, o)
	var m Click
	if _, ok, err := s.LatestByDevice(b.App, DeviceGAID, b.GAID, later.Unix(), later.Unix()-60, acceptAll, &m, nil); !ok || err != nil {
		t.Fatalf("after reopen LatestByDevice = %v, %v: the bucket key was never written", ok, err)
	}
	clk.Set(later.Add(10 * time.Hour))
	if _, err := s.ExpireClicks(); err != nil {
		t.Fatal(err)
	}
	var got Click
	if _, ok, _ := s.GetClick(b.ClickID, &got, nil); ok {
		t.Fatal("click of an unrecorded bucket never expires")
	}
}

func TestNewIDStrictlyIncreasing(t *testing.T) {
	clk := newClock(t0)
	s := openClock(t, Async, 0, clk)
	const G, N = 16, 20000
	ids := make([][]uint64, G)
	var wg sync.WaitGroup
	for g := range G {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for range N {
				ids[g] = append(ids[g], s.NewID())
				if r.IntN(100) == 0 {
					clk.Advance(time.Duration(r.IntN(3)) * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	seen := make(map[uint64]bool, G*N)
	for g := range G {
		for i, id := range ids[g] {
			if i > 0 && id <= ids[g][i-1] {
				t.Fatalf("goroutine %d: id %d after %d", g, id, ids[g][i-1])
			}
			if seen[id] {
				t.Fatalf("id %d twice", id)
			}
			seen[id] = true
		}
	}
	// Time order: an id taken later on the clock is larger, and a clock
	// that goes back never makes an id repeat.
	a := s.NewID()
	clk.Advance(-time.Hour)
	if b := s.NewID(); b <= a {
		t.Fatalf("NewID went back with the clock: %d after %d", b, a)
	}
	clk.Advance(2 * time.Hour)
	if b := s.NewID(); b>>idSeqBits != uint64(clk.Now().UnixMilli()) {
		t.Fatalf("NewID %d does not carry the clock's millisecond", b)
	}
}

// TestCloseTwice: a second Close reports an error instead of panicking on
// the closed stop channel.
func TestCloseTwice(t *testing.T) {
	s := openClock(t, Async, 0, newClock(t0))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err == nil {
		t.Fatal("second Close returned nil")
	}
}

// A click made while its campaign's fingerprint matching was off gets no
// fingerprint key (it could never be matched by one), but keeps its device
// keys: the device rule still credits it.
func TestNoFingerprintClicksNotFingerprintIndexed(t *testing.T) {
	s := openClock(t, Sync, 0, newClock(t0))
	gaid := []byte("38400000-8cf0-11bd-b23e-10b96e40000d")
	mustPut(t, s, testClick("indexed", t0))
	off := testClick("fp-off", t0.Add(time.Minute))
	off.Flags = FlagNoFingerprint
	mustPut(t, s, off)

	var m Click
	now := t0.Add(time.Hour).Unix()
	app, ip := []byte("com.example.app"), mustAddr("203.0.113.10")
	if _, ok, err := s.LatestByFingerprint(app, ip, PlatformAndroid, []byte("14"), now, now-7200, acceptAll, &m, nil); !ok || err != nil || string(m.ClickID) != "indexed" {
		t.Fatalf("LatestByFingerprint = %v, %v, %q; want the older click, the newer has no key", ok, err, m.ClickID)
	}
	if _, ok, err := s.LatestByDevice(app, DeviceGAID, gaid, now, now-7200, acceptAll, &m, nil); !ok || err != nil || string(m.ClickID) != "fp-off" {
		t.Fatalf("LatestByDevice = %v, %v, %q; want fp-off", ok, err, m.ClickID)
	}
}

// An impression (view-through) is stored like a click, but indexed only
// under its device's view kinds: a click lookup never meets it, a view
// lookup meets nothing else, and it has no fingerprint key.
func TestImpressionsIndexedApart(t *testing.T) {
	s := openClock(t, Sync, 0, newClock(t0))
	gaid := []byte("38400000-8cf0-11bd-b23e-10b96e40000d")
	mustPut(t, s, testClick("click", t0))
	imp := testClick("imp:view", t0.Add(time.Minute))
	imp.Flags = FlagImpression
	mustPut(t, s, imp)

	var m Click
	now := t0.Add(time.Hour).Unix()
	app, ip := []byte("com.example.app"), mustAddr("203.0.113.10")
	for _, tc := range []struct {
		kind DeviceKind
		want string
	}{{DeviceGAID, "click"}, {DeviceGAID.View(), "imp:view"}} {
		if _, ok, err := s.LatestByDevice(app, tc.kind, gaid, now, now-7200, acceptAll, &m, nil); !ok || err != nil || string(m.ClickID) != tc.want {
			t.Errorf("LatestByDevice(%c) = %v, %v, %q; want %s", tc.kind, ok, err, m.ClickID, tc.want)
		}
	}
	if _, ok, err := s.LatestByFingerprint(app, ip, PlatformAndroid, []byte("14"), now, now-7200, acceptAll, &m, nil); !ok || err != nil || string(m.ClickID) != "click" {
		t.Errorf("LatestByFingerprint = %v, %v, %q; want the click, the impression has no key", ok, err, m.ClickID)
	}
	if DeviceIDFA.View() == DeviceIDFA || DeviceOAID.View() == DeviceGAID.View() || DeviceGAID.View().View() != DeviceGAID.View() {
		t.Error("view kinds are not distinct")
	}
	// DeviceClicks lists each kind apart too, newest first.
	mustPut(t, s, testClick("click2", t0.Add(2*time.Minute)))
	for _, tc := range []struct {
		kind DeviceKind
		want string
	}{{DeviceGAID, "click2,click"}, {DeviceGAID.View(), "imp:view"}, {DeviceIDFA, ""}} {
		var ids []string
		if err := s.DeviceClicks(app, tc.kind, gaid, func(c *Click) { ids = append(ids, string(c.ClickID)) }); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(ids, ","); got != tc.want {
			t.Errorf("DeviceClicks(%c) = %s, want %s", tc.kind, got, tc.want)
		}
	}
}
