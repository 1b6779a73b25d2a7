package tracker

import (
	"testing"
	"unsafe"

	"github.com/clickedge/clickedge/store"
)

// within reports whether s lies inside b's memory.
func within(s, b []byte) bool {
	if len(s) == 0 || len(b) == 0 {
		return false
	}
	ps, pb := uintptr(unsafe.Pointer(&s[0])), uintptr(unsafe.Pointer(&b[0]))
	return ps >= pb && ps+uintptr(len(s)) <= pb+uintptr(len(b))
}

// FuzzUserAgentPromises: what ParseUserAgent's comment promises for any
// agent: nothing is allocated; the version is a sub-slice of ua or (iOS) of
// the dotted table, with no spare capacity.
func FuzzUserAgentPromises(f *testing.F) {
	for _, tc := range realUserAgents {
		f.Add([]byte(tc.ua))
	}
	f.Fuzz(func(t *testing.T, ua []byte) {
		p, v := ParseUserAgent(ua)
		if n := testing.AllocsPerRun(3, func() { ParseUserAgent(ua) }); n != 0 {
			t.Fatalf("ParseUserAgent(%q): %v allocations", ua, n)
		}
		if len(v) > 0 && !within(v, ua) && !(p == store.PlatformIOS && within(v, dottedText)) {
			t.Fatalf("ParseUserAgent(%q) = %q, from neither ua nor the table", ua, v)
		}
	})
}
