package tracker

import (
	"strings"
	"testing"
	"time"
)

// FuzzHeldCodecAll: a held conversion of any type, with every field set
// (the cut marks and the begin time included), comes back whole.
func FuzzHeldCodecAll(f *testing.F) {
	f.Add(uint8(1), "i\x00n\x00e\x00c\x00r\x00a\x00android\x00g\x00i\x00o\x00ip\x00ua\x00IN\x001.2\x00USD", "9.99", int64(1764115200), int64(1764115100), uint8(cutClickID|cutGAID), int64(1764115200123))
	f.Fuzz(func(t *testing.T, typ uint8, fields, revenue string, eventTime, begin int64, cut uint8, sinceMs int64) {
		p := strings.Split(fields, "\x00")
		for len(p) < 15 {
			p = append(p, "")
		}
		cv := Conversion{Type: ConversionType(typ % 4), EventTime: eventTime, InstallBeginTime: begin, cut: cut}
		for i, dst := range heldStrings(&cv) {
			*dst = p[i]
		}
		if d, err := ParseDecimal(revenue); err == nil {
			cv.Revenue, cv.HasRevenue = d, true
		}
		since := time.UnixMilli(sinceMs)
		var got Conversion
		at, err := decodeHeld(appendHeld(nil, &cv, since), &got)
		if err != nil || !at.Equal(since) {
			t.Fatalf("decode(encode(%+v)) = %v at %v, want at %v", cv, err, at, since)
		}
		if got.Revenue.String() != cv.Revenue.String() || got.HasRevenue != cv.HasRevenue {
			t.Fatalf("revenue %q (%v), want %q (%v)", got.Revenue.String(), got.HasRevenue, cv.Revenue.String(), cv.HasRevenue)
		}
		got.Revenue, cv.Revenue = Decimal{}, Decimal{}
		if got != cv {
			t.Fatalf("decode(encode(cv))\n got %+v\nwant %+v", got, cv)
		}
	})
}
