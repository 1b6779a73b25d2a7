package store

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

func scanIDs(t *testing.T, s *Store, q Queue, st Status, from, to int64, reverse bool, limit int) []uint64 {
	t.Helper()
	var ids []uint64
	err := s.OutboxScan(q, st, from, to, reverse, limit, func(e OutboxEntry) bool {
		if e.Status != st {
			t.Fatalf("entry %d has status %v, want %v", e.ID, e.Status, st)
		}
		if want := fmt.Sprintf("payload-%d", e.ID); string(e.Payload) != want && string(e.Payload) != "moved" {
			t.Fatalf("entry %d payload %q", e.ID, e.Payload)
		}
		ids = append(ids, e.ID)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestOutbox(t *testing.T) {
	s := openClock(t, Sync, 0, newClock(t0))
	// Entry id i is due at 1000*(10-i) ms: id order and time order differ.
	err := s.Update(func(w *Writer) error {
		for i := uint64(1); i <= 9; i++ {
			w.OutboxPut(QueuePostback, i, StatusPending, int64(1000*(10-i)), fmt.Appendf(nil, "payload-%d", i))
		}
		w.OutboxPut(QueueReplicate, 100, StatusPending, 5000, []byte("payload-100"))
		w.OutboxPut(QueuePostback, 50, StatusFailed, 5000, []byte("payload-50"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	all := int64(math.MaxInt64)
	for _, tc := range []struct {
		name     string
		q        Queue
		st       Status
		from, to int64
		reverse  bool
		limit    int
		want     []uint64
	}{
		{"forward", QueuePostback, StatusPending, 0, all, false, 0, []uint64{9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{"reverse", QueuePostback, StatusPending, 0, all, true, 0, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"limit", QueuePostback, StatusPending, 0, all, false, 3, []uint64{9, 8, 7}},
		{"reverse limit", QueuePostback, StatusPending, 0, all, true, 2, []uint64{1, 2}},
		{"from inclusive", QueuePostback, StatusPending, 7000, all, false, 0, []uint64{3, 2, 1}},
		{"to exclusive", QueuePostback, StatusPending, 0, 3000, false, 0, []uint64{9, 8}},
		{"range", QueuePostback, StatusPending, 2000, 5000, true, 0, []uint64{6, 7, 8}},
		{"empty range", QueuePostback, StatusPending, 5000, 5000, false, 0, nil},
		{"inverted range", QueuePostback, StatusPending, 6000, 2000, false, 0, nil},
		{"negative from", QueuePostback, StatusPending, math.MinInt64, 3000, false, 0, []uint64{9, 8}},
		{"negative range", QueuePostback, StatusPending, -10, -1, false, 0, nil},
		{"other status", QueuePostback, StatusFailed, 0, all, false, 0, []uint64{50}},
		{"no delivered", QueuePostback, StatusDelivered, 0, all, false, 0, nil},
		{"other queue", QueueReplicate, StatusPending, 0, all, false, 0, []uint64{100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scanIDs(t, s, tc.q, tc.st, tc.from, tc.to, tc.reverse, tc.limit)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	// fn returning false stops the scan.
	n := 0
	if err := s.OutboxScan(QueuePostback, StatusPending, 0, all, false, 0, func(OutboxEntry) bool { n++; return n < 2 }); err != nil || n != 2 {
		t.Fatalf("stopped scan saw %d entries, %v", n, err)
	}
	count := func(q Queue, st Status) int64 {
		t.Helper()
		n, err := s.OutboxCount(q, st)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if c := count(QueuePostback, StatusPending); c != 9 {
		t.Fatalf("pending count %d", c)
	}
	// Move 3 to delivered, and 4 to delivered's archive.
	err = s.Update(func(w *Writer) error {
		w.OutboxMove(QueuePostback, 3, StatusPending, 7000, StatusDelivered, 123, []byte("moved"))
		w.OutboxArchive(QueuePostback, 4, StatusPending, 6000, StatusDelivered, 124, []byte("payload-4"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := scanIDs(t, s, QueuePostback, StatusPending, 0, all, false, 0); !slices.Equal(got, []uint64{9, 8, 7, 6, 5, 2, 1}) {
		t.Fatalf("pending after the moves: %v", got)
	}
	if got := scanIDs(t, s, QueuePostback, StatusDelivered, 0, all, false, 0); !slices.Equal(got, []uint64{3, 4}) {
		t.Fatalf("delivered: %v", got)
	}
	if p, err := s.OutboxGet(QueuePostback, 3); err != nil || string(p) != "moved" {
		t.Fatalf("OutboxGet(3) = %q, %v", p, err)
	}
	if _, err := s.OutboxGet(QueuePostback, 12345); !errors.Is(err, ErrNotFound) {
		t.Fatalf("OutboxGet(missing) err = %v", err)
	}
	if _, err := s.OutboxGet(QueueReplicate, 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("OutboxGet(other queue) err = %v", err)
	}
	if c, d, f := count(QueuePostback, StatusPending), count(QueuePostback, StatusDelivered), count(QueuePostback, StatusFailed); c != 7 || d != 2 || f != 1 {
		t.Fatalf("counts pending %d delivered %d failed %d", c, d, f)
	}
	// The payload returned by OutboxGet is the caller's.
	p, _ := s.OutboxGet(QueuePostback, 3)
	p[0] = 'X'
	if p2, _ := s.OutboxGet(QueuePostback, 3); string(p2) != "moved" {
		t.Fatalf("OutboxGet shares its buffer: %q", p2)
	}
	// An Update whose fn fails writes nothing.
	boom := errors.New("boom")
	err = s.Update(func(w *Writer) error {
		w.OutboxPut(QueuePostback, 77, StatusPending, 1, []byte("payload-77"))
		return boom
	})
	if err != boom {
		t.Fatalf("Update err = %v", err)
	}
	if _, err := s.OutboxGet(QueuePostback, 77); !errors.Is(err, ErrNotFound) {
		t.Fatalf("failed Update wrote: %v", err)
	}
	if err := s.Update(func(*Writer) error { return nil }); err != nil {
		t.Fatalf("empty Update: %v", err)
	}
}

func TestParseStatus(t *testing.T) {
	for _, st := range []Status{StatusPending, StatusDelivered, StatusFailed} {
		if got, ok := ParseStatus(st.String()); !ok || got != st {
			t.Errorf("ParseStatus(%q) = %v, %v", st.String(), got, ok)
		}
	}
	for _, s := range []string{"", "Pending", "unknown", "p"} {
		if _, ok := ParseStatus(s); ok {
			t.Errorf("ParseStatus(%q) ok", s)
		}
	}
	if Status('z').String() != "unknown" {
		t.Error("String of an unknown status")
	}
}

func TestOutboxDurableAsync(t *testing.T) {
	clk := newClock(t0)
	dir := t.TempDir()
	s := openOpts(t, Options{Dir: dir, Durability: Async, Now: clk.Now})
	if err := s.Update(func(w *Writer) error {
		w.OutboxPut(QueuePostback, s.NewID(), StatusPending, clk.Now().Add(time.Second).UnixMilli(), []byte("x"))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openOpts(t, Options{Dir: dir, Durability: Async, Now: clk.Now})
	if n, err := s.OutboxCount(QueuePostback, StatusPending); n != 1 || err != nil {
		t.Fatalf("OutboxCount after reopen = %d, %v", n, err)
	}
}

// A scan reads each entry's payload from the same snapshot as its index
// position: an entry moved (with a new payload) while a scan runs is seen
// where it was, with the payload it had there.
func TestOutboxScanSnapshot(t *testing.T) {
	s := openTest(t, Async)
	put := func(id uint64, at int64, p string) {
		if err := s.Update(func(w *Writer) error { w.OutboxPut(QueuePostback, id, StatusPending, at, []byte(p)); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	put(1, 10, "one@10")
	put(2, 20, "two@20")
	var seen []string
	err := s.OutboxScan(QueuePostback, StatusPending, 0, 1000, false, 0, func(e OutboxEntry) bool {
		if e.ID == 1 {
			// The recorder reschedules entry 2 while the scan runs.
			if err := s.Update(func(w *Writer) error {
				w.OutboxMove(QueuePostback, 2, StatusPending, 20, StatusPending, 500, []byte("two@500"))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		seen = append(seen, fmt.Sprintf("%d@%d=%s", e.ID, e.At, e.Payload))
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(seen, " "), "1@10=one@10 2@20=two@20"; got != want {
		t.Fatalf("scan saw %q, want %q", got, want)
	}
	if p, err := s.OutboxGet(QueuePostback, 2); err != nil || string(p) != "two@500" {
		t.Fatalf("OutboxGet after the move = %q, %v", p, err)
	}
}

// TestOutboxScanFrom: a scan between exact positions starts and ends inside
// a millisecond, at the ids given.
func TestOutboxScanFrom(t *testing.T) {
	s := openTest(t, Async)
	err := s.Update(func(w *Writer) error {
		for id := uint64(1); id <= 6; id++ {
			w.OutboxPut(QueuePostback, id, StatusPending, 100+int64(id-1)/3, []byte(fmt.Sprintf("payload-%d", id)))
		}
		w.OutboxPut(QueuePostback, 9, StatusDelivered, 100, []byte("payload-9"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	scan := func(from int64, fromID uint64, to int64, toID uint64) []uint64 {
		var ids []uint64
		if err := s.OutboxScanFrom(QueuePostback, StatusPending, from, fromID, to, toID, func(e OutboxEntry) bool {
			if want := fmt.Sprintf("payload-%d", e.ID); string(e.Payload) != want || e.At != 100+int64(e.ID-1)/3 {
				t.Fatalf("entry %d at %d payload %q", e.ID, e.At, e.Payload)
			}
			ids = append(ids, e.ID)
			return true
		}); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	const all = 1 << 62
	for _, c := range []struct {
		from   int64
		fromID uint64
		to     int64
		toID   uint64
		want   []uint64
	}{
		{0, 0, all, 0, []uint64{1, 2, 3, 4, 5, 6}},
		{-5, 7, all, 0, []uint64{1, 2, 3, 4, 5, 6}}, // negative: from 0
		{100, 2, all, 0, []uint64{2, 3, 4, 5, 6}},
		{100, 2, 101, 5, []uint64{2, 3, 4}},
		{101, 0, 101, 5, []uint64{4}},
		{101, 5, 101, 5, nil},
		{101, 6, 101, 5, nil},
		{102, 0, 101, 0, nil},
	} {
		if got := scan(c.from, c.fromID, c.to, c.toID); !slices.Equal(got, c.want) {
			t.Errorf("scan (%d,%d)..(%d,%d) = %v, want %v", c.from, c.fromID, c.to, c.toID, got, c.want)
		}
	}
	// Stopping early.
	var n int
	s.OutboxScanFrom(QueuePostback, StatusPending, 0, 0, all, 0, func(OutboxEntry) bool { n++; return n < 2 })
	if n != 2 {
		t.Fatalf("fn called %d times after returning false", n)
	}
}

// TestOutboxOneKeyPerEntry: an entry is its index key alone (no locator),
// and OutboxGet finds it by id in any status.
func TestOutboxOneKeyPerEntry(t *testing.T) {
	s := openTest(t, Async)
	err := s.Update(func(w *Writer) error {
		w.OutboxPut(QueuePostback, 1, StatusPending, 10, []byte("one"))
		w.OutboxPut(QueuePostback, 2, StatusPending, 10, []byte("two"))
		w.OutboxPut(QueueReplicate, 1, StatusPending, 10, []byte("r-one"))
		return nil
	})
	if err == nil {
		err = s.Update(func(w *Writer) error {
			w.OutboxMove(QueuePostback, 2, StatusPending, 10, StatusFailed, 20, []byte("two-failed"))
			return nil
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	it, err := s.db.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	var keys int
	for it.First(); it.Valid(); it.Next() {
		if it.Key()[0] == tableOutbox {
			t.Errorf("locator key %x written", it.Key())
		}
		if it.Key()[0] == tableOutIdx {
			keys++
		}
	}
	it.Close()
	if keys != 3 {
		t.Fatalf("%d index keys, want 3", keys)
	}
	for _, c := range []struct {
		q    Queue
		id   uint64
		want string
	}{{QueuePostback, 1, "one"}, {QueuePostback, 2, "two-failed"}, {QueueReplicate, 1, "r-one"}} {
		if p, err := s.OutboxGet(c.q, c.id); err != nil || string(p) != c.want {
			t.Errorf("OutboxGet(%c, %d) = %q, %v; want %q", c.q, c.id, p, err, c.want)
		}
	}
}

// The locator keys an earlier layout kept per entry ('o' queue id) are
// dropped when the store opens; the entries stay.
func TestOutboxLegacyLocatorsDropped(t *testing.T) {
	dir := t.TempDir()
	s := openOpts(t, Options{Dir: dir, Durability: Sync})
	if err := s.Update(func(w *Writer) error {
		w.OutboxPut(QueuePostback, 7, StatusPending, 10, []byte("payload-7"))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []byte{7, 8} {
		if err := s.db.Set([]byte{tableOutbox, byte(QueuePostback), 0, 0, 0, 0, 0, 0, 0, id}, []byte{'p'}, pebble.Sync); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openOpts(t, Options{Dir: dir, Durability: Sync})
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tableOutbox}, UpperBound: []byte{tableOutbox + 1}})
	if err != nil {
		t.Fatal(err)
	}
	if it.First() {
		t.Errorf("locator %x survived the reopen", it.Key())
	}
	it.Close()
	if p, err := s.OutboxGet(QueuePostback, 7); err != nil || string(p) != "payload-7" {
		t.Fatalf("OutboxGet(7) = %q, %v", p, err)
	}
}
