package store

// Event retention (Options.EventRetention, the extension key
// event_retention).
//
// Clicks expire with their bucket; conversions are kept, since a purchase a
// year after its install still takes the install's attribution. Event
// records are most of a conversion store's bytes, though (an app sends
// many events per install), and only answer a replay of their event_id,
// which after weeks no app sends. So with a retention every event record
// also writes an index key under the day it was recorded on:
//
//	'x' day(4, unix days, big-endian) event_id -> nil
//
// and ExpireEvents walks the index of each day older than the retention,
// deletes the events it names, and drops the day's index with one range
// deletion. The walk reads only the expired days' keys: a day already
// dropped costs a range tombstone, not a key per event. An event written
// again (a held one, decided) is indexed under both days and goes with
// the first. Installs and signup markers are kept: events of an old
// install still find it, and a replayed install is still a duplicate.

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

const secondsPerDay = 24 * 60 * 60

func appendEventDayKey(dst []byte, now time.Time, eventID string) []byte {
	dst = append(dst, tableEventDay)
	dst = binary.BigEndian.AppendUint32(dst, uint32(now.Unix()/secondsPerDay))
	return append(dst, eventID...)
}

// expireEventsBatch is how many events one expiry batch deletes.
const expireEventsBatch = 4096

// ExpireEvents deletes the events recorded on days that ended more than
// EventRetention ago, and returns how many index keys it read (an event
// written on two days counts twice). Without a retention it does nothing.
func (s *Store) ExpireEvents() (int, error) {
	if s.opts.EventRetention <= 0 {
		return 0, nil
	}
	cutoff := s.now().Add(-s.opts.EventRetention).Unix()
	// Days whose end (start of the next) is at or before the cutoff.
	lastDay := cutoff/secondsPerDay - 1
	if lastDay < 0 {
		return 0, nil
	}
	lower := []byte{tableEventDay}
	upper := binary.BigEndian.AppendUint32([]byte{tableEventDay}, uint32(lastDay+1))
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return 0, fmt.Errorf("store: expire events: %w", err)
	}
	n := 0
	batch := s.db.NewBatch()
	commit := func() error {
		err := batch.Commit(pebble.NoSync)
		batch.Close()
		batch = s.db.NewBatch()
		return err
	}
	var key []byte
	for it.First(); it.Valid(); it.Next() {
		id := it.Key()[1+4:]
		key = append(append(key[:0], tableEvent), id...)
		batch.Delete(key, nil)
		n++
		if batch.Count() >= expireEventsBatch {
			if err := commit(); err != nil {
				it.Close()
				batch.Close()
				return n, fmt.Errorf("store: expire events: %w", err)
			}
		}
	}
	if err := it.Close(); err != nil {
		batch.Close()
		return n, fmt.Errorf("store: expire events: %w", err)
	}
	if n == 0 {
		batch.Close()
		return 0, nil
	}
	// The index goes once every event it names is deleted: a crash before
	// this leaves it to be walked again, which deletes nothing new.
	batch.DeleteRange(lower, upper, nil)
	err = batch.Commit(pebble.Sync)
	batch.Close()
	if err != nil {
		return n, fmt.Errorf("store: expire events: %w", err)
	}
	return n, nil
}
