package store

// Conversion writes.
//
// An attribution decision reads (is this install known? was this event_id
// seen? which click matches?) and then writes (the install, the event, the
// dedup keys, the postback). Two requests for one install racing through
// that read-then-write would both see "new" and post twice, so decisions are
// serialised by one mutex, held from the first read to the moment the batch
// is applied (visible) and released before the fsync, which concurrent
// decisions then share. A decision is a handful of point lookups, a few
// microseconds, so one mutex is not the limit; a striped lock would need to
// cover install_id and event_id at once, and a batch request touches many.
//
// Reads inside a transaction go through an indexed batch, so a bulk request
// that carries an install and then its events sees its own install.

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// ConvTx is one attribution transaction; see above. It is not safe for
// concurrent use, and the store admits one at a time.
type ConvTx struct {
	s *Store
	Writer
	done       bool
	replicated int // replication records queued in the batch
	// closed: the store was closed when the transaction began (a request
	// that outlived the listener's drain). Its reads and Commit fail with
	// errClosed rather than reach the closed database, where Pebble panics.
	closed bool
}

// BeginConversions starts a transaction. The caller must Commit or Abort.
// Close waits for a transaction under way (it takes the decision lock once
// closed is set), so one begun before Close commits in full.
func (s *Store) BeginConversions() *ConvTx {
	s.convMu.Lock()
	return &ConvTx{s: s, Writer: Writer{b: s.db.NewIndexedBatch(), s: s}, closed: s.closed.Load()}
}

// Abort discards the transaction's writes.
func (tx *ConvTx) Abort() {
	if tx.done {
		return
	}
	tx.done = true
	tx.s.convMu.Unlock()
	tx.release()
	tx.b.Close()
}

// Commit applies the transaction's writes in one batch, releases the
// decision lock, and (durability sync) waits for the fsync.
func (tx *ConvTx) Commit() error {
	if tx.done {
		return fmt.Errorf("store: commit: transaction already finished")
	}
	tx.done = true
	s := tx.s
	tx.flushSegment() // an archive segment the transaction built, as Update does
	defer tx.release()
	var err error
	switch {
	case tx.closed:
		s.convMu.Unlock()
		err = errClosed
	case tx.b.Empty():
		// What it read may be another transaction's writes, applied but
		// not yet fsynced (the lock goes before the fsync): an answer
		// built on them ("duplicate", a 200) waits until they are durable.
		// Pebble syncs the WAL in order, so an empty synced record queued
		// behind theirs returns once theirs is.
		wait := s.convUnsynced.Load() > 0 && s.opts.Durability == Sync
		if wait {
			s.convSyncs.Add(1) // under convMu: Close waits for it
		}
		s.convMu.Unlock()
		if wait {
			err = s.db.LogData(nil, pebble.Sync)
			s.convSyncs.Done()
		}
	case s.opts.Durability == Sync:
		s.convUnsynced.Add(1)
		err = s.db.ApplyNoSyncWait(tx.b, s.sync)
		s.convMu.Unlock()
		if err == nil {
			err = tx.b.SyncWait()
		}
		s.convUnsynced.Add(-1)
	default:
		err = s.db.Apply(tx.b, s.sync)
		s.convMu.Unlock()
		s.unsynced.Store(true)
	}
	tx.b.Close()
	if err != nil {
		return fmt.Errorf("store: commit conversions: %w", err)
	}
	s.queuedForReplication(tx.replicated)
	return nil
}

// get reads key through the transaction's batch and the database. Batch.Get
// would do, but skips the bloom filters of the last level, and a new
// conversion's dedup checks are misses; see scratch.go.
func (tx *ConvTx) get(key []byte) ([]byte, bool, error) {
	if tx.closed {
		return nil, false, errClosed
	}
	sc := getScratch()
	defer putScratch(sc)
	it, err := tx.b.NewIter(&sc.iterOpts)
	if err != nil {
		return nil, false, err
	}
	var v []byte
	found := seekKey(it, key)
	if found {
		v, err = it.ValueAndErr()
		v = append([]byte(nil), v...)
	}
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	return v, found && err == nil, err
}

// Install reads an install, seeing this transaction's own writes.
func (tx *ConvTx) Install(id string) (*Install, bool, error) {
	v, ok, err := tx.get(textKey(tableInstall, id))
	if err != nil || !ok {
		return nil, false, wrapGet("install", id, err)
	}
	in := new(Install)
	if err := in.decode(v); err != nil {
		return nil, false, wrapGet("install", id, err)
	}
	return in, true, nil
}

// Event reads a conversion by event_id, seeing this transaction's writes.
func (tx *ConvTx) Event(id string) (*Event, bool, error) {
	v, ok, err := tx.get(textKey(tableEvent, id))
	if err != nil || !ok {
		return nil, false, wrapGet("event", id, err)
	}
	ev := new(Event)
	if err := ev.decode(v); err != nil {
		return nil, false, wrapGet("event", id, err)
	}
	return ev, true, nil
}

// Signup returns the event_id of the install's signup, if it had one.
func (tx *ConvTx) Signup(installID string) (string, bool, error) {
	v, ok, err := tx.get(textKey(tableSignup, installID))
	return string(v), ok, wrapGet("signup", installID, err)
}

// PutInstall, PutEvent and PutSignup add records to the transaction, and
// when the store replicates, their replication records (replicate.go).
// An install is replicated once decided: one held (MatchPending) is
// published when its hold ends.
func (tx *ConvTx) PutInstall(in *Install) {
	tx.putInstall(in, tx.s.opts.Replicate && in.Match != MatchPending)
}

func (tx *ConvTx) putInstall(in *Install, replicate bool) {
	tx.b.Set(textKey(tableInstall, in.InstallID), in.encode(nil), nil)
	if replicate {
		putReplicate(&tx.Writer, appendReplInstall(nil, in))
		tx.replicated++
	}
}

// PutEvent replicates an event once decided, except one marked
// "duplicate": that is a peer's install taken over here, which the peer
// published.
func (tx *ConvTx) PutEvent(ev *Event) {
	tx.putEvent(ev, tx.s.opts.Replicate && ev.Match != MatchPending && ev.Postback != "duplicate")
}

func (tx *ConvTx) putEvent(ev *Event, replicate bool) {
	tx.b.Set(textKey(tableEvent, ev.EventID), ev.encode(nil), nil)
	if tx.s.opts.EventRetention > 0 {
		tx.b.Set(appendEventDayKey(nil, tx.s.now(), ev.EventID), nil, nil)
	}
	if replicate {
		putReplicate(&tx.Writer, appendReplEvent(nil, ev))
		tx.replicated++
	}
}

// PutSignup records an install's signup, replicated at once: a second
// signup is a duplicate whatever became of the first.
func (tx *ConvTx) PutSignup(installID, eventID string) {
	tx.putSignup(installID, eventID, tx.s.opts.Replicate)
}

func (tx *ConvTx) putSignup(installID, eventID string, replicate bool) {
	tx.b.Set(textKey(tableSignup, installID), []byte(eventID), nil)
	if replicate {
		putReplicate(&tx.Writer, appendReplSignup(nil, installID, eventID))
		tx.replicated++
	}
}

// GetInstall reads a committed install (admin lookups).
func (s *Store) GetInstall(id string) (*Install, error) {
	if err := s.shut("get install"); err != nil {
		return nil, err
	}
	v, closer, err := s.db.Get(textKey(tableInstall, id))
	if err == pebble.ErrNotFound {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, wrapGet("install", id, err)
	}
	defer closer.Close()
	in := new(Install)
	if err := in.decode(v); err != nil {
		return nil, wrapGet("install", id, err)
	}
	return in, nil
}

// GetEvent reads a committed conversion by event_id.
func (s *Store) GetEvent(id string) (*Event, error) {
	if err := s.shut("get event"); err != nil {
		return nil, err
	}
	v, closer, err := s.db.Get(textKey(tableEvent, id))
	if err == pebble.ErrNotFound {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, wrapGet("event", id, err)
	}
	defer closer.Close()
	ev := new(Event)
	if err := ev.decode(v); err != nil {
		return nil, wrapGet("event", id, err)
	}
	return ev, nil
}

func textKey(table byte, id string) []byte {
	k := make([]byte, 0, 1+len(id))
	return append(append(k, table), id...)
}

func wrapGet(what, id string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: get %s %q: %w", what, id, err)
}
