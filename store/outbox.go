package store

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/valyala/bytebufferpool"
)

// Queue names an outbox: the component that drains it owns its payloads'
// format. The store only keeps them, ordered by status and time.
type Queue byte

const (
	QueuePostback  Queue = 'p'
	QueueReplicate Queue = 'r'
	// QueueHold: conversions held for pending_window while replication
	// may still bring their click (the tracker drains it).
	QueueHold Queue = 'h'
)

// Status is where an outbox entry stands.
type Status byte

const (
	StatusPending   Status = 'p' // at = when it is next due
	StatusDelivered Status = 'd' // at = when it was delivered
	StatusFailed    Status = 'f' // at = when it finally failed
)

func (st Status) String() string {
	switch st {
	case StatusPending:
		return "pending"
	case StatusDelivered:
		return "delivered"
	case StatusFailed:
		return "failed"
	}
	return "unknown"
}

// ParseStatus reads "pending", "delivered" or "failed".
func ParseStatus(s string) (Status, bool) {
	for _, st := range []Status{StatusPending, StatusDelivered, StatusFailed} {
		if st.String() == s {
			return st, true
		}
	}
	return 0, false
}

func appendOutIdxKey(dst []byte, q Queue, st Status, at int64, id uint64) []byte {
	dst = append(dst, tableOutIdx, byte(q), byte(st))
	dst = binary.BigEndian.AppendUint64(dst, uint64(at))
	return binary.BigEndian.AppendUint64(dst, id)
}

// Writer adds records to a batch; conversion writes and outbox updates both
// go through one, so everything a decision causes commits together.
type Writer struct {
	b   *pebble.Batch
	s   *Store
	key []byte

	// The archive segment being built (outbox_archive.go).
	seg   *bytebufferpool.ByteBuffer
	segQ  Queue
	segSt Status
	segAt int64
}

// OutboxPut adds a new entry with status st at time at (unix ms).
//
// The payload is the value of the index key, so a scan reads entries and
// their payloads from one iterator, in one snapshot, with no point lookup
// per entry. The index key is the entry's only key: a put is one memtable
// insert and a move two (an earlier layout also kept an 'o' locator key per
// entry, rewritten on every put and move, that only OutboxGet read).
func (w *Writer) OutboxPut(q Queue, id uint64, st Status, at int64, payload []byte) {
	w.key = appendOutIdxKey(w.key[:0], q, st, at, id)
	w.b.Set(w.key, payload, nil)
}

// OutboxMove rewrites an entry's payload and moves it from (from, fromAt) to
// (to, toAt) in the index.
//
// The old key goes with a SingleDelete. An index key is set once and then
// deleted once: an entry that moves gets a new key (its status or its time
// changes; when neither does, the delete comes first in the batch). So
// SingleDelete is exact here, and unlike Delete it leaves nothing behind
// when it meets its Set: a postback delivered at once costs its pending key
// nothing in the flush that follows, where a Delete would write the Set's
// tombstone and carry it down every level.
func (w *Writer) OutboxMove(q Queue, id uint64, from Status, fromAt int64, to Status, toAt int64, payload []byte) {
	w.OutboxDelete(q, id, from, fromAt)
	w.OutboxPut(q, id, to, toAt, payload)
}

// OutboxDelete deletes an entry.
func (w *Writer) OutboxDelete(q Queue, id uint64, st Status, at int64) {
	w.key = appendOutIdxKey(w.key[:0], q, st, at, id)
	w.b.SingleDelete(w.key, nil)
}

// dropLegacyLocators deletes, with one range deletion, the 'o' locator keys
// an earlier layout kept beside each entry (store/doc.go). Nothing reads
// them; Open calls this, and it writes only when one is there.
func (s *Store) dropLegacyLocators() error {
	lo, hi := []byte{tableOutbox}, []byte{tableOutbox + 1}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	found := it.First()
	if err := it.Close(); err != nil || !found {
		return err
	}
	return s.db.DeleteRange(lo, hi, pebble.Sync)
}

// Update runs fn on a fresh Writer and commits what it wrote in one batch,
// synced as the store's durability says.
func (s *Store) Update(fn func(w *Writer) error) error {
	if err := s.enter("update"); err != nil {
		return err
	}
	defer s.leave()
	w := Writer{b: s.db.NewBatch(), s: s}
	defer w.b.Close()
	defer w.release()
	if err := fn(&w); err != nil {
		return err
	}
	w.flushSegment()
	if w.b.Empty() {
		return nil
	}
	if err := w.b.Commit(s.sync); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	if s.opts.Durability == Async {
		s.unsynced.Store(true)
	}
	return nil
}

// OutboxEntry is one entry met by OutboxScan. Archived entries of one
// segment share its time.
type OutboxEntry struct {
	ID      uint64
	Status  Status
	At      int64
	Payload []byte // valid only during the callback
}

// OutboxScan calls fn for the entries of q with status st and at in
// [from, to), in time order (newest first when reverse), until fn returns
// false or limit entries were seen (limit <= 0: no limit).
func (s *Store) OutboxScan(q Queue, st Status, from, to int64, reverse bool, limit int, fn func(e OutboxEntry) bool) error {
	return s.outboxScan(q, st, from, 0, to, 0, reverse, limit, fn)
}

// OutboxScanFrom is OutboxScan forwards with no limit between exact index
// positions: the entries of q with status st from (from, fromID) up to
// (to, toID) excluded, in (at, id) order. A caller that remembers where it
// stopped inside a millisecond resumes there without reading that
// millisecond's earlier entries (or their deletions) again. It is meant for
// statuses whose entries are kept one per key: an archive segment is placed
// by its own id, not by its entries'.
func (s *Store) OutboxScanFrom(q Queue, st Status, from int64, fromID uint64, to int64, toID uint64, fn func(e OutboxEntry) bool) error {
	return s.outboxScan(q, st, from, fromID, to, toID, false, 0, fn)
}

func (s *Store) outboxScan(q Queue, st Status, from int64, fromID uint64, to int64, toID uint64, reverse bool, limit int, fn func(e OutboxEntry) bool) error {
	if err := s.enter("outbox scan"); err != nil {
		return err
	}
	defer s.leave()
	// Times are kept as unsigned big-endian numbers: a negative from would
	// sort after every time and hide them all.
	if from < 0 {
		from, fromID = 0, 0
	}
	if to < from || to == from && toID <= fromID {
		return nil
	}
	var lo, hi [3 + 16]byte
	appendOutIdxKey(lo[:0], q, st, from, fromID)
	appendOutIdxKey(hi[:0], q, st, to, toID)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo[:], UpperBound: hi[:]})
	if err != nil {
		return fmt.Errorf("store: outbox scan: %w", err)
	}
	defer it.Close()
	n := 0
	valid := it.First()
	if reverse {
		valid = it.Last()
	}
	for read := 0; valid; valid = step(it, reverse) {
		// A long scan (an admin listing or redrive of a whole queue)
		// stops when Close begins, which waits for it.
		if read++; read%exportCheckEvery == 0 && s.closed.Load() {
			return fmt.Errorf("store: outbox scan: %w", errClosed)
		}
		k := it.Key()
		if len(k) < 3+16 {
			continue
		}
		at := int64(binary.BigEndian.Uint64(k[3:11]))
		if isSegmentKey(k) {
			stopped, err := eachInSegment(it.Value(), reverse, func(id uint64, payload []byte) bool {
				n++
				return fn(OutboxEntry{ID: id, Status: st, At: at, Payload: payload}) && (limit <= 0 || n < limit)
			})
			if err != nil {
				return fmt.Errorf("store: outbox scan at %d: %w", at, err)
			}
			if stopped {
				break
			}
			continue
		}
		if len(k) > 3+16 {
			continue
		}
		e := OutboxEntry{
			Status:  st,
			At:      at,
			ID:      binary.BigEndian.Uint64(k[11:19]),
			Payload: it.Value(),
		}
		more := fn(e)
		n++
		if !more || (limit > 0 && n >= limit) {
			break
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("store: outbox scan: %w", err)
	}
	return nil
}

func step(it *pebble.Iterator, reverse bool) bool {
	if reverse {
		return it.Prev()
	}
	return it.Next()
}

// OutboxGet returns a copy of the payload of entry id of q.
//
// Nothing locates an entry by id alone, so it scans q's whole index (every
// status) for id: it is meant for tests and tools, not for a hot path.
func (s *Store) OutboxGet(q Queue, id uint64) ([]byte, error) {
	if err := s.enter("outbox get"); err != nil {
		return nil, err
	}
	defer s.leave()
	lo := []byte{tableOutIdx, byte(q)}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return nil, fmt.Errorf("store: outbox get: %w", err)
	}
	defer it.Close()
	for valid := it.First(); valid; valid = it.Next() {
		k := it.Key()
		if len(k) == 3+16 && binary.BigEndian.Uint64(k[11:19]) == id {
			return append([]byte(nil), it.Value()...), nil
		}
		if isSegmentKey(k) {
			var found []byte
			_, err := eachInSegment(it.Value(), false, func(eid uint64, payload []byte) bool {
				if eid == id {
					found = append([]byte(nil), payload...)
				}
				return found == nil
			})
			if err != nil {
				return nil, fmt.Errorf("store: outbox get: %w", err)
			}
			if found != nil {
				return found, nil
			}
		}
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("store: outbox get: %w", err)
	}
	return nil, ErrNotFound
}

// OutboxCount counts the entries of q with status st; it scans the index,
// so callers use it at startup and keep a gauge from there.
func (s *Store) OutboxCount(q Queue, st Status) (int64, error) {
	if err := s.enter("outbox count"); err != nil {
		return 0, err
	}
	defer s.leave()
	var n int64
	lo := []byte{tableOutIdx, byte(q), byte(st)}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return 0, fmt.Errorf("store: outbox count: %w", err)
	}
	for it.First(); it.Valid(); it.Next() {
		if !isSegmentKey(it.Key()) {
			n++
			continue
		}
		if _, err := eachInSegment(it.Value(), false, func(uint64, []byte) bool { n++; return true }); err != nil {
			it.Close()
			return 0, fmt.Errorf("store: outbox count: %w", err)
		}
	}
	if err := it.Close(); err != nil {
		return 0, fmt.Errorf("store: outbox count: %w", err)
	}
	return n, nil
}
