package tracker

import (
	"testing"
	"time"
)

// FuzzHeldCodec: a held conversion comes back from its payload as it was
// held, and arbitrary payload bytes are refused or read, never a panic.
func FuzzHeldCodec(f *testing.F) {
	f.Add([]byte{heldVersion, 1, 0}, "i1", "purchase", "e1", "ck1", "9.99", "USD", int64(1764115200))
	f.Add([]byte{}, "", "", "", "", "", "", int64(0))
	f.Fuzz(func(t *testing.T, raw []byte, installID, name, eventID, clickID, revenue, currency string, eventTime int64) {
		var scratch Conversion
		decodeHeld(raw, &scratch)

		cv := Conversion{Type: ConversionEvent, InstallID: installID, EventName: name, EventID: eventID,
			ClickID: clickID, EventTime: eventTime, Currency: currency, InstallBeginTime: eventTime / 3}
		if d, err := ParseDecimal(revenue); err == nil {
			cv.Revenue, cv.HasRevenue = d, true
		}
		since := time.UnixMilli(1764115200123)
		var got Conversion
		at, err := decodeHeld(appendHeld(nil, &cv, since), &got)
		if err != nil || !at.Equal(since) {
			t.Fatalf("decode(encode(cv)) = %v at %v", err, at)
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
