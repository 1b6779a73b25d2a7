//go:build !race

package tracker

import (
	"net/netip"
	"testing"

	"github.com/valyala/fasthttp"
)

func TestAllocationClickParse(t *testing.T) {
	var args fasthttp.Args
	args.Parse(realisticQuery)
	if args.Len() != 15 {
		t.Fatalf("%d parameters", args.Len())
	}
	header := []byte(iosUA)
	var in ClickInput
	g := NewClickIDGen("local")
	peer := netip.MustParseAddr("10.0.0.1")
	xff := []byte("1.1.1.1, 198.51.100.7, 10.0.0.2")
	checkAllocs(t, "Parse", func() {
		in.Reset()
		in.Parse(&args, header)
	})
	if string(in.Click.GAID) != gaid || string(in.Click.OSVersion) != "14" || string(in.Click.Sub[4]) != "€5" {
		t.Fatalf("parsed %v", clickFields(&in))
	}

	var noIDArgs fasthttp.Args
	noIDArgs.Parse("c=demo&sub1=x")
	checkAllocs(t, "Parse+SetClientIP+GenerateClickID", func() {
		in.Reset()
		in.Parse(&noIDArgs, header)
		in.SetClientIP(peer, xff, testTrusted)
		in.GenerateClickID(g, testNow)
	})
	if string(in.Click.IP) != "198.51.100.7" {
		t.Fatalf("IP %q", in.Click.IP)
	}
}

func TestAllocationPieces(t *testing.T) {
	ua := []byte(iosUA)
	bot := []byte("Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)")
	dst := make([]byte, 0, 1024)
	peer := netip.MustParseAddr("10.0.0.1")
	peer6 := netip.MustParseAddr("2001:db8:cafe::1")
	xff := []byte("1.1.1.1, 198.51.100.7, 10.0.0.2")
	xff6 := []byte("[2001:db8::42]:443, 2001:db8:cafe::9")
	g := NewClickIDGen("local")
	bad := []byte("a\xffb{click_id}" + string(make([]byte, 600)))

	desktop, app := []byte(desktopUA), []byte("MyApp/1.2.3 CFNetwork/1474 Darwin/23.0.0")
	checkAllocs(t, "ParseUserAgent", func() { ParseUserAgent(ua); ParseUserAgent(desktop); ParseUserAgent(app) })
	checkAllocs(t, "IsBot", func() { IsBot(ua); IsBot(bot) })
	checkAllocs(t, "AppendSanitized", func() { AppendSanitized(dst[:0], bad) })
	checkAllocs(t, "ClientIP", func() {
		ClientIP(peer, xff, testTrusted, dst[:0])
		ClientIP(peer6, xff6, testTrusted, dst[:0])
	})
	checkAllocs(t, "ClickIDGen.Append", func() { g.Append(dst[:0], testNow) })
	checkAllocs(t, "AppendLocation", func() {
		AppendLocation(dst[:0], playURL, []byte("a1b2 c3&d"), []byte("OgWmhiSXhG"))
	})
}

func checkAllocs(t *testing.T, name string, f func()) {
	t.Helper()
	if n := testing.AllocsPerRun(100, f); n != 0 {
		t.Errorf("%s: %v allocations per run, want 0", name, n)
	}
}
