package store

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Queue names an outbox: the component that drains it owns its payloads'
// format. The store only keeps them, ordered by status and time.
type Queue byte

const (
	QueuePostback  Queue = 'p'
	QueueReplicate Queue = 'r'
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

func appendOutboxKey(dst []byte, q Queue, id uint64) []byte {
	dst = append(dst, tableOutbox, byte(q))
	return binary.BigEndian.AppendUint64(dst, id)
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
	key []byte
}

// OutboxPut adds a new entry with status st at time at (unix ms).
//
// The payload is the value of the index key, so a scan reads entries and
// their payloads from one iterator, in one snapshot, with no point lookup
// per entry; the 'o' key only says where an entry stands, for OutboxGet.
func (w *Writer) OutboxPut(q Queue, id uint64, st Status, at int64, payload []byte) {
	w.key = appendOutboxKey(w.key[:0], q, id)
	var loc [9]byte
	loc[0] = byte(st)
	binary.BigEndian.PutUint64(loc[1:], uint64(at))
	w.b.Set(w.key, loc[:], nil)
	w.key = appendOutIdxKey(w.key[:0], q, st, at, id)
	w.b.Set(w.key, payload, nil)
}

// OutboxMove rewrites an entry's payload and moves it from (from, fromAt) to
// (to, toAt) in the index.
func (w *Writer) OutboxMove(q Queue, id uint64, from Status, fromAt int64, to Status, toAt int64, payload []byte) {
	w.key = appendOutIdxKey(w.key[:0], q, from, fromAt, id)
	w.b.Delete(w.key, nil)
	w.OutboxPut(q, id, to, toAt, payload)
}

// OutboxDelete removes an entry.
func (w *Writer) OutboxDelete(q Queue, id uint64, st Status, at int64) {
	w.key = appendOutIdxKey(w.key[:0], q, st, at, id)
	w.b.Delete(w.key, nil)
	w.key = appendOutboxKey(w.key[:0], q, id)
	w.b.Delete(w.key, nil)
}

// Update runs fn on a fresh Writer and commits what it wrote in one batch,
// synced as the store's durability says.
func (s *Store) Update(fn func(w *Writer) error) error {
	w := Writer{b: s.db.NewBatch()}
	defer w.b.Close()
	if err := fn(&w); err != nil {
		return err
	}
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

// OutboxEntry is one entry met by OutboxScan.
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
	// Times are kept as unsigned big-endian numbers: a negative from would
	// sort after every time and hide them all.
	from = max(from, 0)
	if to <= from {
		return nil
	}
	lo := appendOutIdxKey(nil, q, st, from, 0)
	hi := appendOutIdxKey(nil, q, st, to, 0)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return fmt.Errorf("store: outbox scan: %w", err)
	}
	defer it.Close()
	n := 0
	valid := it.First()
	if reverse {
		valid = it.Last()
	}
	for ; valid; valid = step(it, reverse) {
		k := it.Key()
		if len(k) != 3+16 {
			continue
		}
		e := OutboxEntry{
			Status: st,
			At:     int64(binary.BigEndian.Uint64(k[3:11])),
			ID:     binary.BigEndian.Uint64(k[11:19]),
		}
		e.Payload = it.Value()
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
func (s *Store) OutboxGet(q Queue, id uint64) ([]byte, error) {
	snap := s.db.NewSnapshot()
	defer snap.Close()
	loc, closer, err := snap.Get(appendOutboxKey(nil, q, id))
	if err == pebble.ErrNotFound {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: outbox get: %w", err)
	}
	if len(loc) != 9 {
		closer.Close()
		return nil, fmt.Errorf("%w: outbox locator", ErrCorrupt)
	}
	key := appendOutIdxKey(nil, q, Status(loc[0]), int64(binary.BigEndian.Uint64(loc[1:])), id)
	closer.Close()
	v, closer, err := snap.Get(key)
	if err == pebble.ErrNotFound {
		return nil, fmt.Errorf("%w: outbox entry %d has no index key", ErrCorrupt, id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: outbox get: %w", err)
	}
	defer closer.Close()
	return append([]byte(nil), v...), nil
}

// OutboxCount counts the entries of q with status st; it scans the index,
// so callers use it at startup and keep a gauge from there.
func (s *Store) OutboxCount(q Queue, st Status) (int64, error) {
	var n int64
	lo := []byte{tableOutIdx, byte(q), byte(st)}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return 0, fmt.Errorf("store: outbox count: %w", err)
	}
	for it.First(); it.Valid(); it.Next() {
		n++
	}
	if err := it.Close(); err != nil {
		return 0, fmt.Errorf("store: outbox count: %w", err)
	}
	return n, nil
}
