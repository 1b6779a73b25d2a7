package store

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
)

// archive moves pending entries ids (each due at its id) to delivered at
// at, in one batch.
func archive(t *testing.T, s *Store, at int64, ids ...uint64) {
	t.Helper()
	err := s.Update(func(w *Writer) error {
		for _, id := range ids {
			w.OutboxArchive(QueuePostback, id, StatusPending, int64(id), StatusDelivered, at, fmt.Appendf(nil, "payload-%d", id))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Entries archived in one batch share one key, and read back as the
// entries they are: scans (both ways, bounded by time and by limit),
// OutboxGet and OutboxCount see each one, beside entries kept one per key
// (OutboxMove, and what an earlier version wrote for delivered postbacks).
func TestOutboxArchive(t *testing.T) {
	s := openTest(t, Sync)
	err := s.Update(func(w *Writer) error {
		for id := uint64(1); id <= 8; id++ {
			w.OutboxPut(QueuePostback, id, StatusPending, int64(id), fmt.Appendf(nil, "payload-%d", id))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	archive(t, s, 1000, 3, 1, 2)
	if err := s.Update(func(w *Writer) error {
		w.OutboxMove(QueuePostback, 4, StatusPending, 4, StatusDelivered, 2000, []byte("payload-4"))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	archive(t, s, 3000, 5, 6)
	// Two archive times in one batch make two segments.
	if err := s.Update(func(w *Writer) error {
		w.OutboxArchive(QueuePostback, 7, StatusPending, 7, StatusDelivered, 4000, []byte("payload-7"))
		w.OutboxArchive(QueuePostback, 8, StatusPending, 8, StatusDelivered, 5000, []byte("payload-8"))
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	all := int64(math.MaxInt64)
	for _, tc := range []struct {
		name     string
		from, to int64
		reverse  bool
		limit    int
		want     []uint64
	}{
		{"forward: batch order within a segment", 0, all, false, 0, []uint64{3, 1, 2, 4, 5, 6, 7, 8}},
		{"reverse", 0, all, true, 0, []uint64{8, 7, 6, 5, 4, 2, 1, 3}},
		{"limit stops inside a segment", 0, all, false, 2, []uint64{3, 1}},
		{"reverse limit", 0, all, true, 4, []uint64{8, 7, 6, 5}},
		{"range by time", 1500, 3500, false, 0, []uint64{4, 5, 6}},
		{"to excludes a segment at to", 0, 3000, false, 0, []uint64{3, 1, 2, 4}},
		{"from includes a segment at from", 3000, all, true, 0, []uint64{8, 7, 6, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scanIDs(t, s, QueuePostback, StatusDelivered, tc.from, tc.to, tc.reverse, tc.limit)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	var ats []int64
	s.OutboxScan(QueuePostback, StatusDelivered, 0, all, false, 0, func(e OutboxEntry) bool {
		ats = append(ats, e.At)
		return true
	})
	if want := []int64{1000, 1000, 1000, 2000, 3000, 3000, 4000, 5000}; !slices.Equal(ats, want) {
		t.Fatalf("entries at %v, want %v", ats, want)
	}
	if got := scanIDs(t, s, QueuePostback, StatusPending, 0, all, false, 0); len(got) != 0 {
		t.Fatalf("pending after archiving: %v", got)
	}
	for _, id := range []uint64{1, 3, 4, 6, 8} {
		if p, err := s.OutboxGet(QueuePostback, id); err != nil || string(p) != fmt.Sprintf("payload-%d", id) {
			t.Fatalf("OutboxGet(%d) = %q, %v", id, p, err)
		}
	}
	if _, err := s.OutboxGet(QueuePostback, 9); !errors.Is(err, ErrNotFound) {
		t.Fatalf("OutboxGet(missing) err = %v", err)
	}
	if n, err := s.OutboxCount(QueuePostback, StatusDelivered); n != 8 || err != nil {
		t.Fatalf("OutboxCount = %d, %v; want 8", n, err)
	}

	// OutboxDeleteBefore drops every entry before a time, segments and
	// single keys alike, and nothing at or after it.
	if err := s.Update(func(w *Writer) error { w.OutboxDeleteBefore(QueuePostback, StatusDelivered, 3000); return nil }); err != nil {
		t.Fatal(err)
	}
	if got := scanIDs(t, s, QueuePostback, StatusDelivered, 0, all, false, 0); !slices.Equal(got, []uint64{5, 6, 7, 8}) {
		t.Fatalf("after OutboxDeleteBefore(3000): %v", got)
	}
	if n, _ := s.OutboxCount(QueuePostback, StatusDelivered); n != 4 {
		t.Fatalf("OutboxCount after OutboxDeleteBefore = %d", n)
	}
}

// A segment that does not decode is an error, not a crash or a silent
// skip.
func TestOutboxArchiveCorrupt(t *testing.T) {
	s := openTest(t, Async)
	key := appendOutIdxKey(nil, QueuePostback, StatusDelivered, 10, 1)
	key = append(key, segmentMarker)
	for _, v := range [][]byte{{0x01}, {0x01, 0x05, 'a'}, {0x01, 0xff}} {
		if err := s.db.Set(key, v, nil); err != nil {
			t.Fatal(err)
		}
		err := s.OutboxScan(QueuePostback, StatusDelivered, 0, math.MaxInt64, false, 0, func(OutboxEntry) bool { return true })
		if err == nil {
			t.Errorf("scan of segment %x: no error", v)
		}
		if _, err := s.OutboxCount(QueuePostback, StatusDelivered); err == nil {
			t.Errorf("count of segment %x: no error", v)
		}
	}
}

// Archiving allocates nothing per entry: the recorder archives every
// delivered postback.
func TestOutboxArchiveAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	s := openTest(t, Async)
	payload := make([]byte, 200)
	b := s.db.NewBatch()
	defer b.Close()
	w := Writer{b: b, s: s}
	id := uint64(0)
	allocs := testing.AllocsPerRun(1000, func() {
		id++
		w.OutboxArchive(QueuePostback, id, StatusPending, 1, StatusDelivered, 2, payload)
		if id%100 == 0 {
			w.flushSegment()
			b.Reset()
		}
	})
	w.release()
	if allocs > 0.05 {
		t.Fatalf("OutboxArchive: %.2f allocations per entry", allocs)
	}
}
