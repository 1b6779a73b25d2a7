package dispatch

import (
	"testing"

	"github.com/valyala/bytebufferpool"
)

// The render benchmarks take a buffer from a pool and give it back, as the
// sender does, so 0 allocs/op here is the cost on the delivery path.

func BenchmarkRenderURL(b *testing.B) {
	benchmarkRender(b, CompileTemplate(typicalTemplate), (*Template).AppendURL)
}

func BenchmarkRenderJSON(b *testing.B) {
	benchmarkRender(b, CompileTemplate(typicalJSONTemplate), (*Template).AppendJSON)
}

func benchmarkRender(b *testing.B, tmpl *Template, render func(*Template, []byte, *Values) []byte) {
	v := testValues()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		bb := bytebufferpool.Get()
		bb.B = render(tmpl, bb.B[:0], v)
		n = len(bb.B)
		bytebufferpool.Put(bb)
	}
	b.SetBytes(int64(n))
}

func BenchmarkRenderURLParallel(b *testing.B) {
	tmpl := CompileTemplate(typicalTemplate)
	v := testValues()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			bb := bytebufferpool.Get()
			bb.B = tmpl.AppendURL(bb.B[:0], v)
			bytebufferpool.Put(bb)
		}
	})
}

func BenchmarkCompileTemplate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		CompileTemplate(typicalTemplate)
	}
}

func BenchmarkAppendSignature(b *testing.B) {
	secret := []byte("whsec_demo")
	method := []byte("POST")
	path := []byte("/v1/postbacks?src=clickedge")
	body := []byte(`{"click_id":"a1b2 c3&d","event":"purchase","revenue":"9.99","currency":"USD"}`)
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendSignature(buf[:0], secret, 1764115200, method, path, body)
	}
}
