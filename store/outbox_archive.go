package store

import (
	"encoding/binary"
	"errors"

	"github.com/valyala/bytebufferpool"
)

// Archived outbox entries.
//
// An entry that has reached its last status (a delivered postback) is never
// moved again: it is listed, newest first, and deleted after a retention.
// Kept one key per entry, as pending entries are, every delivery cost a
// memtable insert, and a key in the flush and in each compaction after it:
// 14% of the dispatcher's CPU per postback (BenchmarkDispatcherVsHostClient,
// measured with and without the delivered keys). So the entries one batch
// archives at one time share one key, a segment:
//
//	key:   tableOutIdx, queue, status, at (8 bytes), segment id (8 bytes), segmentMarker
//	value: per entry, uvarint id, uvarint len(payload), payload
//
// The key is an ordinary index key with a marker byte after it, so segments
// sort by time among the entries kept one per key (those OutboxMove writes,
// and the delivered entries of earlier versions), and every scan, OutboxGet
// and OutboxCount unpack them where they meet them. A segment is deleted
// whole, by OutboxDeleteBefore's range deletion, never by SingleDelete.

// segmentMarker ends a segment's key.
const segmentMarker = 's'

// maxSegment bounds a segment's value: a larger batch writes several.
const maxSegment = 1 << 20

var segmentPool bytebufferpool.Pool

var errCorruptSegment = errors.New("corrupt archive segment")

// OutboxArchive moves an entry from (from, fromAt) into the archive of
// status to at time toAt, with payload: its old key goes with a
// SingleDelete (see OutboxMove), and the entry joins the batch's segment
// for (q, to, toAt), written when the batch commits.
func (w *Writer) OutboxArchive(q Queue, id uint64, from Status, fromAt int64, to Status, toAt int64, payload []byte) {
	w.key = appendOutIdxKey(w.key[:0], q, from, fromAt, id)
	w.b.SingleDelete(w.key, nil)
	if w.seg != nil && len(w.seg.B) > 0 && (w.segQ != q || w.segSt != to || w.segAt != toAt || len(w.seg.B)+len(payload) > maxSegment) {
		w.flushSegment()
	}
	if w.seg == nil {
		w.seg = segmentPool.Get()
	}
	w.segQ, w.segSt, w.segAt = q, to, toAt
	w.seg.B = binary.AppendUvarint(w.seg.B, id)
	w.seg.B = binary.AppendUvarint(w.seg.B, uint64(len(payload)))
	w.seg.B = append(w.seg.B, payload...)
}

// flushSegment adds the segment being built to the batch.
func (w *Writer) flushSegment() {
	if w.seg == nil || len(w.seg.B) == 0 {
		return
	}
	// A fresh id, not an entry's: two segments must never share a key (a
	// Set would replace the first), even if one entry were archived twice.
	w.key = appendOutIdxKey(w.key[:0], w.segQ, w.segSt, w.segAt, w.s.NewID())
	w.key = append(w.key, segmentMarker)
	w.b.Set(w.key, w.seg.B, nil) // the batch copies the value
	w.seg.Reset()
}

// release returns the segment buffer to its pool.
func (w *Writer) release() {
	if w.seg != nil {
		segmentPool.Put(w.seg)
		w.seg = nil
	}
}

// OutboxDeleteBefore deletes every entry of q with status st due or
// recorded before the time before, in one range deletion: for archived
// statuses, whose segments are never deleted one by one, and for failed
// postbacks, which a redrive may move one by one (its SingleDelete of an
// entry the range deleted meets nothing, which Pebble allows; only a key
// Set twice would break it).
func (w *Writer) OutboxDeleteBefore(q Queue, st Status, before int64) {
	if before <= 0 {
		return
	}
	var lo, hi [3 + 16]byte
	appendOutIdxKey(lo[:0], q, st, 0, 0)
	appendOutIdxKey(hi[:0], q, st, before, 0)
	w.b.DeleteRange(lo[:], hi[:], nil)
}

// isSegmentKey reports whether an index key is a segment's.
func isSegmentKey(k []byte) bool { return len(k) == 3+16+1 && k[3+16] == segmentMarker }

// nextInSegment reads the entry at the front of seg.
func nextInSegment(seg []byte) (id uint64, payload, rest []byte, err error) {
	id, n := binary.Uvarint(seg)
	if n <= 0 {
		return 0, nil, nil, errCorruptSegment
	}
	seg = seg[n:]
	size, n := binary.Uvarint(seg)
	if n <= 0 || size > uint64(len(seg)-n) {
		return 0, nil, nil, errCorruptSegment
	}
	seg = seg[n:]
	return id, seg[:size], seg[size:], nil
}

// eachInSegment calls fn for each entry of seg, last first when reverse,
// until fn returns false; it reports whether fn asked to stop.
func eachInSegment(seg []byte, reverse bool, fn func(id uint64, payload []byte) bool) (stopped bool, err error) {
	if !reverse {
		for len(seg) > 0 {
			id, payload, rest, err := nextInSegment(seg)
			if err != nil {
				return false, err
			}
			if !fn(id, payload) {
				return true, nil
			}
			seg = rest
		}
		return false, nil
	}
	// Backwards: find where each entry starts, then walk them from the end.
	var stack [64]int
	starts := stack[:0]
	for off := 0; off < len(seg); {
		_, _, rest, err := nextInSegment(seg[off:])
		if err != nil {
			return false, err
		}
		starts = append(starts, off)
		off = len(seg) - len(rest)
	}
	for i := len(starts) - 1; i >= 0; i-- {
		id, payload, _, _ := nextInSegment(seg[starts[i]:])
		if !fn(id, payload) {
			return true, nil
		}
	}
	return false, nil
}
