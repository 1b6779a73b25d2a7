package store

import (
	"testing"
)

// FuzzClickFlags: clickFlags, the quick read PutClick makes of a stored
// click, agrees with decodeClick on every record decodeClick accepts, and
// reads the flags a click was encoded with.
func FuzzClickFlags(f *testing.F) {
	f.Add(appendClickValue(nil, testClick("seed", t0), 42), uint16(FlagBot))
	f.Add([]byte{clickVersion, 0x80, 0x80, 0x04}, uint16(0))
	f.Fuzz(func(t *testing.T, record []byte, flags uint16) {
		var d Click
		fl, ok := clickFlags(record)
		if _, _, err := decodeClick(record, &d, nil); err == nil && (!ok || fl != d.Flags) {
			t.Fatalf("clickFlags = %v %v, decodeClick read %v", fl, ok, d.Flags)
		}
		c := testClick("fuzz", t0)
		c.Flags = ClickFlags(flags)
		if fl, ok := clickFlags(appendClickValue(nil, c, 0)); !ok || fl != c.Flags {
			t.Fatalf("clickFlags(encoded %v) = %v %v", c.Flags, fl, ok)
		}
	})
}
