package dispatch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestJobCodecRoundTrip(t *testing.T) {
	full := renderJob()
	full.Attempts = []Attempt{
		{Time: 1764115200001, StatusCode: 503, LatencyUS: 1234, Error: ""},
		{Time: 1764115260002, StatusCode: 0, LatencyUS: 5_000_000, Error: "timeout"},
	}
	binaryJob := renderJob()
	binaryJob.ClickID, binaryJob.CampaignName = "\x00\xff\x80 bytes", strings.Repeat("é", 300)
	binaryJob.EventTime, binaryJob.ClickTime, binaryJob.Created = -1, 1<<62, -1<<62
	maxed := renderJob()
	for i := range maxKeptAttempts {
		maxed.Attempts = append(maxed.Attempts, Attempt{Time: int64(i), StatusCode: 500, Error: fmt.Sprint(i)})
	}
	for name, j := range map[string]*Job{"zero": {}, "full": full, "binary": binaryJob, "max attempts": maxed} {
		enc := AppendJob(nil, j)
		var got Job
		if err := DecodeJob(enc, &got); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(*j, got) {
			t.Errorf("%s: round trip\n got %+v\nwant %+v", name, got, *j)
		}
		// Appending keeps what dst held.
		if enc2 := AppendJob([]byte("prefix"), j); !bytes.Equal(enc2[6:], enc) || string(enc2[:6]) != "prefix" {
			t.Errorf("%s: AppendJob does not append", name)
		}
		if p, ok := peekPartner(enc); !ok || string(p) != j.Partner {
			t.Errorf("%s: peekPartner = %q, %v; want %q", name, p, ok, j.Partner)
		}
		// A reused Job is overwritten, not merged.
		reused := *full
		reused.Attempts = append([]Attempt(nil), full.Attempts...)
		if err := DecodeJob(enc, &reused); err != nil || !reflect.DeepEqual(normalize(*j), normalize(reused)) {
			t.Errorf("%s: decoding into a used Job left %+v", name, reused)
		}
	}
}

// normalize makes an empty attempt list nil, as a fresh decode has it.
func normalize(j Job) Job {
	if len(j.Attempts) == 0 {
		j.Attempts = nil
	}
	return j
}

func TestDecodeJobRejects(t *testing.T) {
	enc := AppendJob(nil, renderJob())
	// Every truncation is an error, never a panic or a partial success.
	for i := range len(enc) {
		var j Job
		if err := DecodeJob(enc[:i], &j); !errors.Is(err, errCorruptJob) {
			t.Fatalf("truncated to %d bytes: %v; want errCorruptJob", i, err)
		}
	}
	f := func(name string, b []byte) {
		t.Helper()
		var j Job
		if err := DecodeJob(b, &j); !errors.Is(err, errCorruptJob) {
			t.Errorf("%s: %v; want errCorruptJob", name, err)
		}
	}
	f("trailing byte", append(bytes.Clone(enc), 0))
	f("other version", append([]byte{jobVersion + 1}, enc[1:]...))
	f("overlong varint", append([]byte{jobVersion}, bytes.Repeat([]byte{0xff}, 11)...))
	f("string past the end", append([]byte{jobVersion, 1}, binary.AppendUvarint(nil, 1<<40)...))
	// More attempts than a job keeps.
	j := renderJob()
	for range maxKeptAttempts + 2 {
		j.Attempts = append(j.Attempts, Attempt{})
	}
	f("too many attempts", AppendJob(nil, j))
}

func TestAddAttemptKeepsFirstAndLatest(t *testing.T) {
	var j Job
	for i := range 100 {
		j.addAttempt(Attempt{Time: int64(i)})
	}
	if len(j.Attempts) != maxKeptAttempts {
		t.Fatalf("%d attempts kept; want %d", len(j.Attempts), maxKeptAttempts)
	}
	if j.Attempts[0].Time != 0 {
		t.Errorf("first attempt %d; want 0", j.Attempts[0].Time)
	}
	for i, a := range j.Attempts[1:] {
		if want := int64(100 - maxKeptAttempts + 1 + i); a.Time != want {
			t.Fatalf("attempt %d is %d; want %d", i+1, a.Time, want)
		}
	}
	var back Job
	if err := DecodeJob(AppendJob(nil, &j), &back); err != nil {
		t.Fatal(err)
	}
	if got := back.triesSince(90); got != 10 {
		t.Errorf("triesSince(90) = %d; want 10", got)
	}
}

func TestDecodeJobAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	enc := AppendJob(nil, renderJob())
	j := getJob()
	// One allocation: the string every field is a substring of.
	if n := testing.AllocsPerRun(100, func() { DecodeJob(enc, j) }); n != 1 {
		t.Errorf("DecodeJob: %v allocations; want 1", n)
	}
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() { buf = AppendJob(buf[:0], j) }); n != 0 {
		t.Errorf("AppendJob into a buffer: %v allocations; want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { AppendJob(nil, j) }); n != 1 {
		t.Errorf("AppendJob(nil): %v allocations; want 1", n)
	}
}

// FuzzJobCodec: decoding any bytes never panics, and what decodes encodes
// back to something that decodes the same; any job built from the inputs
// survives a round trip.
//
// Seeds live in testdata/fuzz/FuzzJobCodec; run: go test ./dispatch -run '^$' -fuzz FuzzJobCodec -fuzztime 30s
func FuzzJobCodec(f *testing.F) {
	f.Add(AppendJob(nil, renderJob()), "a1b2 c3&d", int64(1764115200))
	f.Add([]byte{jobVersion}, "", int64(0))
	f.Add([]byte{}, "\xff", int64(-1))
	f.Fuzz(func(t *testing.T, data []byte, s string, n int64) {
		var j Job
		if err := DecodeJob(data, &j); err == nil {
			enc := AppendJob(nil, &j)
			var back Job
			if err := DecodeJob(enc, &back); err != nil {
				t.Fatalf("re-encoded job does not decode: %v", err)
			}
			if !reflect.DeepEqual(j, back) {
				t.Fatalf("decode(encode(j)) != j\n got %+v\nwant %+v", back, j)
			}
			if p, ok := peekPartner(data); !ok || string(p) != j.Partner {
				t.Fatalf("peekPartner = %q, %v; want %q", p, ok, j.Partner)
			}
		}

		built := Job{
			ID: uint64(n), Partner: s, Kind: s, EventName: s + s, Created: n, FirstDue: -n,
			ClickID: s, EventTime: n ^ 0x5555, Revenue: strings.ToUpper(s), Sub: [5]string{s, "", s},
			ClickTime: n / 3, MatchType: s,
		}
		for i := range int(uint64(n) % (maxKeptAttempts + 1)) {
			built.addAttempt(Attempt{Time: n + int64(i), StatusCode: int(n % 600), LatencyUS: -n, Error: s})
		}
		var back Job
		if err := DecodeJob(AppendJob(nil, &built), &back); err != nil {
			t.Fatalf("round trip: %v", err)
		}
		if !reflect.DeepEqual(normalize(built), back) {
			t.Fatalf("round trip\n got %+v\nwant %+v", back, built)
		}
	})
}

// TestAppendWithAttempt: appending an attempt to the payload as read gives
// the bytes AppendJob gives after addAttempt, for every attempt count; at
// maxKeptAttempts it declines (one must be dropped).
func TestAppendWithAttempt(t *testing.T) {
	a := Attempt{Time: 1764115300003, StatusCode: 200, LatencyUS: 777, Error: "redirect not followed"}
	for n := 0; n <= maxKeptAttempts; n++ {
		j := renderJob()
		for i := range n {
			j.Attempts = append(j.Attempts, Attempt{Time: int64(i), StatusCode: 500 + i, LatencyUS: int64(i) << 20, Error: fmt.Sprint(i)})
		}
		var got Job
		enc, err := decodeJob(AppendJob(nil, j), &got)
		if err != nil {
			t.Fatal(err)
		}
		b, ok := enc.appendWithAttempt([]byte("junk"), len(got.Attempts), a)
		if n == maxKeptAttempts {
			if ok {
				t.Fatalf("%d attempts: appended past maxKeptAttempts", n)
			}
			continue
		}
		got.addAttempt(a)
		if want := AppendJob([]byte("junk"), &got); !ok || !bytes.Equal(b, want) {
			t.Fatalf("%d attempts: ok %v\n got %x\nwant %x", n, ok, b, want)
		}
	}
	if _, ok := (&encodedJob{}).appendWithAttempt(nil, 0, a); ok {
		t.Fatal("appended with no payload kept")
	}
}
