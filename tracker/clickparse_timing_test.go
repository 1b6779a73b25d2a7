package tracker

import (
	"net/netip"
	"testing"

	"github.com/valyala/fasthttp"
)

func BenchmarkClickParse(b *testing.B) {
	var args fasthttp.Args
	args.Parse(realisticQuery)
	header := []byte(iosUA)
	var in ClickInput
	b.ReportAllocs()
	for b.Loop() {
		in.Reset()
		in.Parse(&args, header)
	}
}

// BenchmarkClickParseWithArgs adds fasthttp's decoding of the query, which
// the handler pays for too.
func BenchmarkClickParseWithArgs(b *testing.B) {
	var args fasthttp.Args
	query := []byte(realisticQuery)
	header := []byte(iosUA)
	var in ClickInput
	b.ReportAllocs()
	for b.Loop() {
		args.ParseBytes(query)
		in.Reset()
		in.Parse(&args, header)
	}
}

func BenchmarkIsBot(b *testing.B) {
	ua := []byte(iosUA)
	b.ReportAllocs()
	for b.Loop() {
		IsBot(ua)
	}
}

func BenchmarkParseUserAgent(b *testing.B) {
	ua := []byte(iosUA)
	b.ReportAllocs()
	for b.Loop() {
		ParseUserAgent(ua)
	}
}

func BenchmarkClientIP(b *testing.B) {
	peer := netip.MustParseAddr("10.0.0.1")
	xff := []byte("1.1.1.1, 198.51.100.7, 10.0.0.2")
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		dst = ClientIP(peer, xff, testTrusted, dst[:0])
	}
}

func BenchmarkClickIDGen(b *testing.B) {
	g := NewClickIDGen("local")
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		dst := make([]byte, 0, 64)
		for pb.Next() {
			dst = g.Append(dst[:0], testNow)
		}
	})
	_ = dst
}

func BenchmarkAppendLocation(b *testing.B) {
	dst := make([]byte, 0, 256)
	id, campaign := []byte("a1b2c3d4e5f6a7b8"), []byte("OgWmhiSXhG")
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendLocation(dst[:0], playURL, id, campaign)
	}
}
