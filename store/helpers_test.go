package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"
)

// testClock is an injected clock: tests move it, nothing sleeps.
type testClock struct{ ns atomic.Int64 }

func newClock(t time.Time) *testClock {
	c := new(testClock)
	c.ns.Store(t.UnixNano())
	return c
}

func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *testClock) Set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// t0 is a fixed, whole-day start for tests: 2025-11-26 00:00:00 UTC.
var t0 = time.Date(2025, 11, 26, 0, 0, 0, 0, time.UTC)

// openOpts opens a store in a fresh temporary directory (unless o.Dir is
// set) and closes it when the test ends unless the test closed it itself.
func openOpts(t testing.TB, o Options) *Store {
	t.Helper()
	if o.Dir == "" && o.fs == nil {
		o.Dir = t.TempDir()
	}
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !s.closed.Load() {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		}
	})
	return s
}

// openClock opens a store whose clock is clk.
func openClock(t testing.TB, d Durability, retention time.Duration, clk *testClock) *Store {
	t.Helper()
	return openOpts(t, Options{Durability: d, Retention: retention, Now: clk.Now})
}

func mustPut(t testing.TB, s *Store, c *Click) {
	t.Helper()
	ok, err := s.PutClick(c)
	if err != nil || !ok {
		t.Fatalf("PutClick(%q) = %v, %v", c.ClickID, ok, err)
	}
}

func acceptAll(*Click) bool { return true }

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

var durName = map[Durability]string{Sync: "sync", Async: "async"}

// clickDiff describes how two clicks differ, ignoring UserAgent when
// withUA is false (records keep only its hash). Empty and nil compare equal.
func clickDiff(want, got *Click, withUA bool) string {
	var b bytes.Buffer
	f := func(name string, w, g []byte) {
		if !bytes.Equal(w, g) {
			fmt.Fprintf(&b, "%s: got %q, want %q; ", name, g, w)
		}
	}
	f("ClickID", want.ClickID, got.ClickID)
	f("Campaign", want.Campaign, got.Campaign)
	f("App", want.App, got.App)
	if want.Time != got.Time {
		fmt.Fprintf(&b, "Time: got %d, want %d; ", got.Time, want.Time)
	}
	if want.Platform != got.Platform {
		fmt.Fprintf(&b, "Platform: got %d, want %d; ", got.Platform, want.Platform)
	}
	f("OSVersion", want.OSVersion, got.OSVersion)
	if want.Flags != got.Flags {
		fmt.Fprintf(&b, "Flags: got %b, want %b; ", got.Flags, want.Flags)
	}
	f("AffID", want.AffID, got.AffID)
	f("PubID", want.PubID, got.PubID)
	f("OfferID", want.OfferID, got.OfferID)
	f("CreativeID", want.CreativeID, got.CreativeID)
	for i := range want.Sub {
		f(fmt.Sprintf("Sub%d", i+1), want.Sub[i], got.Sub[i])
	}
	f("GAID", want.GAID, got.GAID)
	f("IDFA", want.IDFA, got.IDFA)
	f("OAID", want.OAID, got.OAID)
	f("IP", want.IP, got.IP)
	if withUA {
		f("UserAgent", want.UserAgent, got.UserAgent)
	}
	f("Country", want.Country, got.Country)
	f("DeepLink", want.DeepLink, got.DeepLink)
	if want.ViewLookback != got.ViewLookback {
		fmt.Fprintf(&b, "ViewLookback: got %d, want %d; ", got.ViewLookback, want.ViewLookback)
	}
	return b.String()
}

// Realistic clicks, for allocation tests, benchmarks and disk measurement.
// Every click is a pure function of (seed, i), so a benchmark can load
// millions without keeping them and later rebuild any one to look it up.

var androidUAs = []string{
	"Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UD1A.230803.041; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36",
	"Mozilla/5.0 (Linux; Android 13; SM-A536E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.163 Mobile Safari/537.36",
	"Mozilla/5.0 (Linux; Android 12; Redmi Note 11) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.5993.111 Mobile Safari/537.36",
	"Mozilla/5.0 (Linux; Android 11; CPH2239) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.43 Mobile Safari/537.36",
	"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (Linux; Android 10; vivo 1906) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
}

var iosUAs = []string{
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/442.0.0.34.110]",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
}

var (
	androidOS = []string{"14", "13", "12", "11", "14", "10"}
	iosOS     = []string{"17.2", "16.6", "17.1", "17.0"}
	countries = []string{"IN", "US", "BR", "ID", "DE", "GB", "MX", "VN", "TR", "PH"}
	apps      = []string{"com.example.app", "com.example.game", "id1234567890"}
)

const idChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// clickGen builds realistic clicks into reused buffers.
type clickGen struct {
	seed uint64
	base int64 // unix ms of click 0
	step int64 // ms between clicks
	buf  []byte
}

func newClickGen(seed uint64, base time.Time, step time.Duration) *clickGen {
	return &clickGen{seed: seed, base: base.UnixMilli(), step: step.Milliseconds(), buf: make([]byte, 0, 1024)}
}

// clickID appends click i's id: 20 to 32 letters and digits, as networks
// make them.
func (g *clickGen) clickID(dst []byte, i uint64) []byte {
	r := rand.New(rand.NewPCG(g.seed, i*2+1))
	n := 20 + r.IntN(13)
	for range n {
		dst = append(dst, idChars[r.IntN(len(idChars))])
	}
	return dst
}

// adID appends click i's advertising id, a UUID: lower-case (gaid) or
// upper-case (idfa). Devices repeat: about one click in eight comes from a
// device seen before.
func (g *clickGen) adID(dst []byte, i uint64, upper bool) []byte {
	dev := i
	if i%8 == 7 {
		dev = i / 3
	}
	r := rand.New(rand.NewPCG(g.seed^0x5eed, dev))
	var u [16]byte
	for j := range u {
		u[j] = byte(r.Uint32())
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	if upper {
		return appendUUID(dst, u[:], upperHex)
	}
	return appendUUID(dst, u[:], lowerHex)
}

// fill makes c click i; its byte slices point into g's buffer, valid until
// the next fill.
func (g *clickGen) fill(c *Click, i uint64) {
	r := rand.New(rand.NewPCG(g.seed^0xc11c, i))
	b := g.buf[:0]
	span := func(start int) []byte { return b[start:len(b):len(b)] }
	*c = Click{}
	s := len(b)
	b = g.clickID(b, i)
	c.ClickID = span(s)
	c.Time = g.base + int64(i)*g.step
	s = len(b)
	b = fmt.Appendf(b, "cmp%07d", r.IntN(40))
	c.Campaign = span(s)
	c.App = []byte(apps[r.IntN(len(apps))])
	s = len(b)
	b = fmt.Appendf(b, "%d", 1000+r.IntN(300))
	c.AffID = span(s)
	s = len(b)
	b = fmt.Appendf(b, "%d", 10000+r.IntN(5000))
	c.PubID = span(s)
	s = len(b)
	b = fmt.Appendf(b, "%d", 50+r.IntN(20))
	c.OfferID = span(s)
	s = len(b)
	b = fmt.Appendf(b, "cr_%d", r.IntN(100))
	c.CreativeID = span(s)
	// sub1: publisher site; sub2: placement; sub3: a banner size; sub4: a
	// source app bundle; sub5: the publisher's own per-click token.
	s = len(b)
	b = fmt.Appendf(b, "site_%d", r.IntN(3000))
	c.Sub[0] = span(s)
	s = len(b)
	b = fmt.Appendf(b, "pl%d", r.IntN(12))
	c.Sub[1] = span(s)
	s = len(b)
	b = append(b, []string{"320x50", "300x250", "728x90", "interstitial"}[r.IntN(4)]...)
	c.Sub[2] = span(s)
	s = len(b)
	b = fmt.Appendf(b, "com.publisher.app%d", r.IntN(500))
	c.Sub[3] = span(s)
	s = len(b)
	b = fmt.Appendf(b, "%016x", r.Uint64())
	c.Sub[4] = span(s)
	if r.IntN(100) < 70 {
		k := r.IntN(len(androidUAs))
		c.Platform = PlatformAndroid
		c.UserAgent = []byte(androidUAs[k])
		c.OSVersion = []byte(androidOS[k])
		s = len(b)
		b = g.adID(b, i, false)
		c.GAID = span(s)
	} else {
		k := r.IntN(len(iosUAs))
		c.Platform = PlatformIOS
		c.UserAgent = []byte(iosUAs[k])
		c.OSVersion = []byte(iosOS[k])
		s = len(b)
		b = g.adID(b, i, true)
		c.IDFA = span(s)
	}
	s = len(b)
	b = fmt.Appendf(b, "%d.%d.%d.%d", 1+r.IntN(222), r.IntN(256), r.IntN(256), 1+r.IntN(254))
	c.IP = span(s)
	c.Country = []byte(countries[r.IntN(len(countries))])
	g.buf = b
}
