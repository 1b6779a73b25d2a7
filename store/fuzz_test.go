package store

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"
	"time"
)

// Fuzz targets; seed corpora in testdata/fuzz/<Name>/. Run one with
//
//	go test ./store/ -run '^$' -fuzz FuzzClickCodec -fuzztime 30s

// FuzzClickCodec: a click made of arbitrary values comes back from its
// record exactly; arbitrary bytes never panic the decoder, and a record it
// accepts encodes again to one that decodes to the same click.
func FuzzClickCodec(f *testing.F) {
	f.Add(appendClickValue(nil, testClick("seed", t0), 42), "38400000-8cf0-11bd-b23e-10b96e40000d", "203.0.113.10", "sub1", "", int64(1764115200123), uint16(FlagMacro), byte(PlatformAndroid))
	f.Fuzz(func(t *testing.T, record []byte, adID, ip, sub1, sub5 string, tm int64, flags uint16, platform byte) {
		// Arbitrary bytes.
		var d Click
		buf, h, err := decodeClick(record, &d, nil)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decode error %v is not ErrCorrupt", err)
			}
		} else {
			again := appendClickValue(nil, &d, h)
			var d2 Click
			if _, h2, err := decodeClick(again, &d2, nil); err != nil || h2 != h {
				t.Fatalf("re-encoded record does not decode: %v (hash %x, want %x)", err, h2, h)
			}
			if diff := clickDiff(&d, &d2, false); diff != "" {
				t.Fatalf("decode(encode(decode(x))) differs: %s", diff)
			}
		}
		_ = buf

		// Arbitrary values.
		c := testClick("fuzz", t0)
		c.Time, c.Flags, c.Platform = tm, ClickFlags(flags), Platform(platform)
		c.GAID, c.IDFA, c.OAID = []byte(adID), []byte(sub1), []byte(sub5)
		c.IP, c.Sub[0], c.Sub[4] = []byte(ip), []byte(sub1), []byte(sub5)
		c.UserAgent = []byte(adID)
		c.DeepLink = []byte(sub5)
		c.ViewLookback = tm & (1<<40 - 1)
		var uaHash uint64
		if len(c.UserAgent) != 0 {
			uaHash = hash64(c.UserAgent, 0)
		}
		val := appendClickValue(nil, c, uaHash)
		var got Click
		if _, h, err := decodeClick(val, &got, make([]byte, 0, len(adID)%7)); err != nil || h != uaHash {
			t.Fatalf("decode = %v, hash %x want %x", err, h, uaHash)
		}
		got.ClickID = c.ClickID
		if diff := clickDiff(c, &got, false); diff != "" {
			t.Fatal(diff)
		}
		// Every truncation is refused but those that end where an optional
		// field begins.
		noOpt := *c
		noOpt.DeepLink, noOpt.ViewLookback = nil, 0
		firstVersion := len(appendClickValue(nil, &noOpt, uaHash))
		noOpt.DeepLink = c.DeepLink
		deepLinkOnly := len(appendClickValue(nil, &noOpt, uaHash)) // ends before ViewLookback
		for n := range len(val) {
			if n == firstVersion || n == deepLinkOnly {
				continue
			}
			if _, _, err := decodeClick(val[:n:n], &got, nil); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("record cut to %d of %d bytes: err = %v", n, len(val), err)
			}
		}
	})
}

// FuzzInstallRecord: installs and events of arbitrary values come back from
// their records; arbitrary bytes never panic their decoders.
func FuzzInstallRecord(f *testing.F) {
	in := Install{InstallID: "i1", EventID: "e1", App: "com.example.app", Platform: PlatformAndroid, Time: 1764115200,
		Match: MatchClickID, ClickID: "abc", Campaign: "demo", Sub: [5]string{"a"}, GAID: "38400000-8cf0-11bd-b23e-10b96e40000d"}
	f.Add(in.encode(nil), "install-1", "12.50", int64(1764115200), int64(-1), uint8(MatchDeviceID))
	ev := Event{EventID: "e1", InstallID: "i1", Name: "purchase", Revenue: "12.50", Currency: "EUR", Attributed: true, PostbackID: 9}
	f.Add(ev.encode(nil), "e", "", int64(0), int64(1<<40), uint8(0))
	f.Fuzz(func(t *testing.T, record []byte, id, text string, n1, n2 int64, m uint8) {
		var in Install
		if err := in.decode(record); err == nil {
			var in2 Install
			if err := in2.decode(in.encode(nil)); err != nil || in2 != in {
				t.Fatalf("install decode(encode(decode(x))) = %+v, %v; want %+v", in2, err, in)
			}
		} else if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("install decode error %v is not ErrCorrupt", err)
		}
		var ev Event
		if err := ev.decode(record); err == nil {
			var ev2 Event
			if err := ev2.decode(ev.encode(nil)); err != nil || ev2 != ev {
				t.Fatalf("event decode(encode(decode(x))) = %+v, %v; want %+v", ev2, err, ev)
			}
		} else if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("event decode error %v is not ErrCorrupt", err)
		}

		want := Install{InstallID: id, EventID: text, App: id, Platform: Platform(m), Time: n1, Match: MatchType(m),
			ClickID: text, ClickTime: n2, Sub: [5]string{id, "", text}, UserAgent: text, AppVersion: id, DeepLink: text}
		var got Install
		if err := got.decode(want.encode(nil)); err != nil || got != want {
			t.Fatalf("install round trip = %+v, %v; want %+v", got, err, want)
		}
		wantEv := Event{EventID: id, InstallID: text, Kind: m, Name: text, Time: n1, Revenue: id, Match: MatchType(m),
			Attributed: m&1 == 1, PostbackID: uint64(n2)}
		var gotEv Event
		if err := gotEv.decode(wantEv.encode(nil)); err != nil || gotEv != wantEv {
			t.Fatalf("event round trip = %+v, %v; want %+v", gotEv, err, wantEv)
		}
	})
}

// FuzzArchiveSegment: any bytes read as a segment give entries or
// errCorruptSegment, never a panic, and the same entries both ways; a
// segment built by OutboxArchive reads back as what was archived.
func FuzzArchiveSegment(f *testing.F) {
	var seg []byte
	for i, p := range []string{"payload-1", "", "a longer payload with \x00 bytes"} {
		seg = binary.AppendUvarint(seg, uint64(i+1)<<20)
		seg = binary.AppendUvarint(seg, uint64(len(p)))
		seg = append(seg, p...)
	}
	f.Add(seg, uint64(7), "payload", uint8(3))
	f.Add([]byte{0x01, 0xff}, uint64(0), "", uint8(0))
	s := openTest(f, Async)
	f.Fuzz(func(t *testing.T, raw []byte, id uint64, payload string, n uint8) {
		type entry struct {
			id      uint64
			payload string
		}
		read := func(seg []byte, reverse bool) ([]entry, error) {
			var got []entry
			_, err := eachInSegment(seg, reverse, func(id uint64, p []byte) bool {
				got = append(got, entry{id, string(p)})
				return true
			})
			return got, err
		}
		fwd, ferr := read(raw, false)
		back, berr := read(raw, true)
		if (ferr == nil) != (berr == nil) || ferr != nil && !errors.Is(ferr, errCorruptSegment) {
			t.Fatalf("forward err %v, reverse err %v", ferr, berr)
		}
		if ferr == nil {
			slices.Reverse(back)
			if !slices.Equal(fwd, back) {
				t.Fatalf("forward %v, reverse %v", fwd, back)
			}
		}

		// Built by a Writer: n entries of payload, ids from id.
		b := s.db.NewBatch()
		defer b.Close()
		w := Writer{b: b, s: s}
		defer w.release()
		var want []entry
		for i := range uint64(n % 16) {
			w.OutboxArchive(QueuePostback, id+i, StatusPending, 1, StatusDelivered, 2, []byte(payload))
			want = append(want, entry{id + i, payload})
		}
		if w.seg == nil {
			return
		}
		got, err := read(w.seg.B, false)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("archived %v, read %v, %v", want, got, err)
		}
	})
}

// FuzzReplicationRecord: a peer's record is untrusted input. Arbitrary bytes
// are either applied or refused with ErrCorrupt, never a panic, and a
// refused one moves no position; a click record made from arbitrary values
// is applied and reads back the same.
func FuzzReplicationRecord(f *testing.F) {
	f.Add(appendReplClick(nil, testClick("seed", t0), 0), "clk-1", "Mozilla/5.0", "sub1")
	f.Add(appendReplInstall(nil, &Install{InstallID: "i1", EventID: "e1", Match: MatchClickID, ClickID: "c1"}), "x", "", "")
	f.Add([]byte{replVersion, ReplClick, 0}, "", "", "")
	f.Add(appendReplEvent(nil, &Event{EventID: "e2", InstallID: "i1", Kind: 3, Name: "purchase", Revenue: "9.99", Currency: "USD", Postback: "queued"}), "", "", "")
	f.Add(appendReplSignup(nil, "i1", "e3"), "", "", "")
	s := openOpts(f, Options{Durability: Async, Now: newClock(t0.Add(time.Hour)).Now})
	var seq uint64
	f.Fuzz(func(t *testing.T, rec []byte, id, ua, sub1 string) {
		seq++
		before, _ := s.ReplicationPosition("fz")
		if _, err := s.ApplyReplicated("fz", seq, [][]byte{rec}); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("apply error %v is not ErrCorrupt", err)
			}
			if p, _ := s.ReplicationPosition("fz"); p != before {
				t.Fatalf("position moved from %d to %d past a refused record", before, p)
			}
		}
		if id == "" {
			return
		}
		c := testClick("fz-"+id, t0)
		c.UserAgent, c.Sub[0] = []byte(ua), []byte(sub1)
		if _, err := s.ApplyReplicated("fz", seq, [][]byte{appendReplClick(nil, c, 0)}); err != nil {
			t.Fatalf("apply a valid click: %v", err)
		}
		var got Click
		if _, ok, err := s.GetClick(c.ClickID, &got, nil); err != nil || !ok {
			t.Fatalf("applied click %q not found: %v", c.ClickID, err)
		}
	})
}
