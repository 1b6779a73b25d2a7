package store

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// The id floor.
//
// NewID's ids start from the clock at Open. A clock that stepped back
// across a restart (an NTP step at boot, a restored VM) would have handed
// out ids an earlier run used, and outbox keys are built from them
// (postback jobs, replication records, held conversions, archive segments):
// a key Set twice replaces a record never published, and once the second
// is SingleDeleted the first comes back. So the highest id handed out is
// kept on disk, saved every idFloorEvery and at Close, and Open starts past
// it, by idFloorMargin after a crash (the ids of the last interval were
// not saved), which the saves keep ahead of.

// tableIDFloor keys the id floor: a single key.
const tableIDFloor = 'n'

var idFloorKey = []byte{tableIDFloor}

const (
	idFloorEvery = time.Second
	// idFloorMargin, in ids: two intervals of a million ids a millisecond.
	idFloorMargin = uint64(2*idFloorEvery/time.Millisecond) << idSeqBits
)

// loadIDFloor starts NewID past the floor saved by an earlier run.
func (s *Store) loadIDFloor() error {
	floor, err := s.getUint64(idFloorKey, "id floor")
	if err != nil {
		return err
	}
	start := uint64(s.now().UnixMilli()) << idSeqBits
	if floor != 0 {
		start = max(start, floor+idFloorMargin)
	}
	s.idSeq.Store(start)
	// Saved now (idSaved is still 0), not a second from now: after a crash
	// before the first save, the next run would start from the floor of
	// the run before this one, and with the clock behind it hand out this
	// run's ids again.
	return s.saveIDFloor()
}

// saveIDFloor writes the highest id handed out, when it moved since the
// last save.
func (s *Store) saveIDFloor() error {
	cur := s.idSeq.Load()
	if cur == s.idSaved.Load() {
		return nil
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], cur)
	if err := s.db.Set(idFloorKey, v[:], pebble.Sync); err != nil {
		return fmt.Errorf("store: save id floor: %w", err)
	}
	s.idSaved.Store(cur)
	return nil
}

// saveIDFloorLogged is saveIDFloor for the store's ticker (every).
func (s *Store) saveIDFloorLogged() {
	if err := s.saveIDFloor(); err != nil {
		s.log.Error(err.Error())
	}
}
