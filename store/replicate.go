package store

// Replication records (CONTRACT §8).
//
// With Options.Replicate set, every click, install, event and signup this
// edge stores writes, in the same batch as the record itself, an entry in the
// replicate outbox (QueueReplicate) whose payload is a self-contained copy
// of it: a crash keeps both or neither, and nothing on the request path
// waits for the network. The replication package drains the outbox to this
// region's JetStream stream and deletes what the server acknowledged
// (ReplicationPublished), and applies the peers' streams here with
// ApplyReplicated, which stores each record as its first write (a click_id,
// install_id or event_id already stored keeps its record, unless it is
// held here) and never queues it for publishing again: every region
// publishes only what it recorded itself.
//
// Installs, events and signups are published once decided: a held one
// (MatchPending) when its hold ends. Events and signups travel so that a
// region answers a replay of an event_id, or a second signup, recorded in
// another region "duplicate" and posts nothing: an app's retry that a CDN
// sends to the next region when the first is slow is the replay that
// matters. (The same conversion sent to two regions within the
// replication delay is still decided, and posted, by both.)
//
// A record's payload:
//
//	version(1) 'c' len(click_id) click_id len(user_agent) user_agent click-value
//	version(1) 'i' install record (convrecord.go)
//	version(1) 'e' event record (convrecord.go)
//	version(1) 's' len(install_id) install_id len(event_id) event_id
//
// where click-value is the click's stored value (clickcodec.go) and the
// lengths are uvarints. The user agent travels as text: a peer interns it
// under its own bucket.

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"sync"
)

const replVersion = 1

// Record kinds, the second byte of a replication record.
const (
	ReplClick   byte = 'c'
	ReplInstall byte = 'i'
	ReplEvent   byte = 'e' // a conversion's event record, by event_id
	ReplSignup  byte = 's' // an install's signup: its event_id
)

// tableReplPos keys, per peer region, the stream sequence applied last.
const tableReplPos = 'r'

// ReplicationKind returns a record's kind, or false for a payload that is
// no replication record this version reads.
func ReplicationKind(rec []byte) (byte, bool) {
	if len(rec) < 2 || rec[0] != replVersion {
		return 0, false
	}
	switch rec[1] {
	case ReplClick, ReplInstall, ReplEvent, ReplSignup:
		return rec[1], true
	}
	return 0, false
}

func appendReplClick(dst []byte, c *Click, uaHash uint64) []byte {
	dst = append(dst, replVersion, ReplClick)
	dst = appendText(dst, c.ClickID)
	dst = appendText(dst, c.UserAgent)
	return appendClickValue(dst, c, uaHash)
}

func appendReplInstall(dst []byte, in *Install) []byte {
	return in.encode(append(dst, replVersion, ReplInstall))
}

func appendReplEvent(dst []byte, ev *Event) []byte {
	return ev.encode(append(dst, replVersion, ReplEvent))
}

func appendReplSignup(dst []byte, installID, eventID string) []byte {
	dst = append(dst, replVersion, ReplSignup)
	dst = appendText(dst, []byte(installID))
	return appendText(dst, []byte(eventID))
}

// replConversion is a decoded install, event or signup record.
type replConversion struct {
	kind      byte
	install   *Install
	event     *Event
	installID string // a signup's
	eventID   string
}

func decodeReplConversion(kind byte, rec []byte) (replConversion, error) {
	r := replConversion{kind: kind}
	switch kind {
	case ReplInstall:
		r.install = new(Install)
		return r, r.install.decode(rec[2:])
	case ReplEvent:
		r.event = new(Event)
		if err := r.event.decode(rec[2:]); err != nil {
			return r, err
		}
		if r.event.EventID == "" {
			return r, fmt.Errorf("%w: event without an event_id", ErrCorrupt)
		}
		return r, nil
	}
	d := decoder{b: rec[2:]}
	r.installID, r.eventID = string(d.text()), string(d.text())
	if d.err || len(d.b) != 0 || r.installID == "" || r.eventID == "" {
		return r, fmt.Errorf("%w: signup record", ErrCorrupt)
	}
	return r, nil
}

// decodeReplClick reads a click record into c, whose byte fields then
// point into rec and buf.
func decodeReplClick(rec []byte, c *Click, buf []byte) ([]byte, error) {
	d := decoder{b: rec[2:]}
	id, ua := d.text(), d.text()
	if d.err || len(id) == 0 {
		return buf, fmt.Errorf("%w: replicated click", ErrCorrupt)
	}
	buf, _, err := decodeClick(d.b, c, buf)
	if err != nil {
		return buf, err
	}
	c.ClickID, c.UserAgent = id, ua
	return buf, nil
}

// ReplicationWake is signalled after a commit that queued records to
// publish.
func (s *Store) ReplicationWake() <-chan struct{} { return s.replWake }

// ReplicationApplied is signalled after ApplyReplicated stored a click or
// an install: a conversion held for one may be decided now.
func (s *Store) ReplicationApplied() <-chan struct{} { return s.replApplied }

// SetReplicationCaughtUp records that every peer's stream has been applied
// to its end since the store opened: what the peers recorded while this
// edge was stopped is here now.
func (s *Store) SetReplicationCaughtUp() {
	if !s.replCaughtUp.Swap(true) {
		select {
		case s.replApplied <- struct{}{}: // holds waiting for it are decided now
		default:
		}
	}
}

// ReplicationCaughtUp reports whether SetReplicationCaughtUp was called.
func (s *Store) ReplicationCaughtUp() bool { return s.replCaughtUp.Load() }

// ReplicationBacklog is how many records wait in the replicate outbox.
func (s *Store) ReplicationBacklog() int64 { return s.replBacklog.Load() }

func (s *Store) queuedForReplication(n int) {
	if n == 0 {
		return
	}
	s.replBacklog.Add(int64(n))
	select {
	case s.replWake <- struct{}{}:
	default:
	}
}

// newReplPos is the position of a new record in the replicate outbox: a
// new id, at the millisecond it was taken.
func (s *Store) newReplPos() (at int64, id uint64) {
	id = s.NewID()
	return int64(id >> idSeqBits), id
}

// putReplicate adds the outbox entry that publishes rec to the batch.
func putReplicate(w *Writer, rec []byte) {
	at, id := w.s.newReplPos()
	w.OutboxPut(QueueReplicate, id, StatusPending, at, rec)
}

// OutboxPos is an outbox entry's place in its index.
type OutboxPos struct {
	At int64
	ID uint64
}

// ReplicationPending calls fn for up to limit records waiting to be
// published, oldest first, from position from on. Records are queued in
// position order (NewID only grows while the store is open), so a publisher
// that resumes after the last record it deleted never walks the deletions
// of those before it, which stay in the index until a compaction.
func (s *Store) ReplicationPending(from OutboxPos, limit int, fn func(e OutboxEntry) bool) error {
	n := 0
	return s.OutboxScanFrom(QueueReplicate, StatusPending, from.At, from.ID, math.MaxInt64, math.MaxUint64, func(e OutboxEntry) bool {
		n++
		return fn(e) && n < limit
	})
}

// Less orders positions.
func (p OutboxPos) Less(q OutboxPos) bool { return p.At < q.At || p.At == q.At && p.ID < q.ID }

// Next is the position just after p.
func (p OutboxPos) Next() OutboxPos { return OutboxPos{At: p.At, ID: p.ID + 1} }

// ReplicationPublished deletes published records from the replicate
// outbox.
//
// ownSeq, when not 0, is the highest sequence the region's own stream gave
// a record published: saved with the deletions, it says which of the
// stream's records this store holds, so that a store restored from a
// checkpoint reads back the ones after it (OwnPublished).
func (s *Store) ReplicationPublished(done []OutboxPos, ownSeq uint64) error {
	if len(done) == 0 && ownSeq == 0 {
		return nil
	}
	err := s.Update(func(w *Writer) error {
		for _, p := range done {
			w.OutboxDelete(QueueReplicate, p.ID, StatusPending, p.At)
		}
		if ownSeq != 0 {
			w.setUint64(appendOwnPublishedKey(nil), ownSeq)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: replication published: %w", err)
	}
	s.replBacklog.Add(-int64(len(done)))
	return nil
}

// setUint64 sets key to v, 8 bytes big-endian, as getUint64 reads it.
func (w *Writer) setUint64(key []byte, v uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	w.b.Set(key, b[:], nil)
}

// appendOwnPublishedKey appends the key of the highest sequence of the
// region's own stream that this store published: the replication
// positions' table, whose peer names never begin with a 0 byte.
func appendOwnPublishedKey(dst []byte) []byte {
	return append(append(dst, tableReplPos, 0), "own published"...)
}

// OwnPublished is the highest sequence of the region's own stream that a
// record this store published was given; 0: none known (nothing published
// yet, or only by a version that did not keep it).
func (s *Store) OwnPublished() (uint64, error) {
	return s.getUint64(appendOwnPublishedKey(nil), "own stream published")
}

// appendOwnCatchUpKey appends the key of the sequence an unfinished
// catch-up of the region's own stream began from.
func appendOwnCatchUpKey(dst []byte) []byte {
	return append(append(dst, tableReplPos, 0), "own catch-up"...)
}

// OwnCatchUp is the sequence an unfinished catch-up of the own stream
// began from (see SetOwnCatchUp); 0: none.
func (s *Store) OwnCatchUp() (uint64, error) {
	return s.getUint64(appendOwnCatchUpKey(nil), "own stream catch-up")
}

// SetOwnCatchUp records that a catch-up of the region's own stream from
// sequence from is under way, or with 0 that it is done: the records the
// edge publishes meanwhile move OwnPublished past it, and a stop before it
// is done must resume it from where it began.
func (s *Store) SetOwnCatchUp(from uint64) error {
	return s.Update(func(w *Writer) error {
		if from == 0 {
			return w.b.Delete(appendOwnCatchUpKey(nil), nil)
		}
		w.setUint64(appendOwnCatchUpKey(nil), from)
		return nil
	})
}

func appendReplPosKey(dst []byte, peer string) []byte {
	return append(append(dst, tableReplPos), peer...)
}

// appendReplStreamKey appends the key of the identity of the peer's stream
// whose sequences the position counts: the position's key, a 0 byte (no
// region name holds one) and "stream".
func appendReplStreamKey(dst []byte, peer string) []byte {
	return append(append(appendReplPosKey(dst, peer), 0), "stream"...)
}

// ReplicationStream returns the identity (its creation time, unix ns) of
// the peer's stream that ReplicationPosition counts in; 0: not known (a
// store from before it was kept).
//
// A stream deleted and made again starts its sequences over. The follower
// notices from its sequences alone only while the new stream is behind the
// position; once it has grown past it, only the identity tells them apart.
func (s *Store) ReplicationStream(peer string) (int64, error) {
	v, err := s.getUint64(appendReplStreamKey(nil, peer), "replication stream of "+peer)
	return int64(v), err
}

// SetReplicationStream records the identity of the peer's stream applied
// from now on. With startOver (the stream was made again) the position
// goes back to 0 in the same batch, so that a crash cannot leave the new
// identity with the old stream's position.
func (s *Store) SetReplicationStream(peer string, created int64, startOver bool) error {
	return s.Update(func(w *Writer) error {
		w.setUint64(appendReplStreamKey(nil, peer), uint64(created))
		if startOver {
			w.b.Delete(appendReplPosKey(nil, peer), nil)
		}
		return nil
	})
}

// ReplicationPosition returns the sequence of peer's stream applied last
// (0: none yet).
func (s *Store) ReplicationPosition(peer string) (uint64, error) {
	return s.getUint64(appendReplPosKey(nil, peer), "replication position of "+peer)
}

// UnreadableRecordError is ApplyReplicated's error for a record it cannot
// read: Index is its place in the records given, none of which it applied.
type UnreadableRecordError struct {
	Index int
	Err   error
}

func (e *UnreadableRecordError) Error() string { return e.Err.Error() }
func (e *UnreadableRecordError) Unwrap() error { return e.Err }

// Applied counts what ApplyReplicated stored: records new here.
type Applied struct {
	Clicks, Installs, Events, Signups int
}

// ApplyReplicated stores the records of peer's stream up to sequence seq
// and then records seq as applied, so that a restart resumes after it. A
// record whose click_id, install_id or event_id is stored already is
// skipped (unless it is held here: a peer's decided install or event
// takes the place of one held), so applying a record twice (after a crash
// between the two steps) changes nothing. It reports what it stored. A
// record that cannot be decoded is an *UnreadableRecordError, and nothing
// is applied.
func (s *Store) ApplyReplicated(peer string, seq uint64, recs [][]byte) (Applied, error) {
	// Every record is read before any is stored: one that cannot be read
	// stores nothing, and the caller applies those before it alone.
	var clicks []*Click
	var convs []replConversion
	for i, rec := range recs {
		kind, ok := ReplicationKind(rec)
		var err error
		switch {
		case !ok:
			err = fmt.Errorf("%w: unknown kind or version", ErrCorrupt)
		case kind == ReplClick:
			c := new(Click)
			if _, err = decodeReplClick(rec, c, nil); err == nil {
				clicks = append(clicks, c)
			}
		default:
			var r replConversion
			if r, err = decodeReplConversion(kind, rec); err == nil {
				convs = append(convs, r)
			}
		}
		if err != nil {
			return Applied{}, &UnreadableRecordError{Index: i, Err: fmt.Errorf("store: apply %s record %d: %w", peer, i, err)}
		}
	}
	// Clicks go through the group commit one goroutine each, so that a
	// burst shares its fsyncs (sync mode) and first-write-wins holds
	// against clicks arriving here at the same moment.
	var a Applied
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, applyParallel)
	for _, c := range clicks {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			stored, perr := s.putClick(c, false)
			mu.Lock()
			defer mu.Unlock()
			if perr != nil && firstErr == nil {
				firstErr = perr
			}
			if stored {
				a.Clicks++
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return Applied{Clicks: a.Clicks}, firstErr
	}
	if len(convs) > 0 {
		// In the order published: an install before the events of the
		// batch that decided it.
		tx := s.BeginConversions()
		for _, r := range convs {
			if err := tx.applyReplicated(r, &a); err != nil {
				tx.Abort()
				return Applied{Clicks: a.Clicks}, err
			}
		}
		if err := tx.Commit(); err != nil {
			return Applied{Clicks: a.Clicks}, err
		}
	}
	err := s.Update(func(w *Writer) error {
		w.key = appendReplPosKey(w.key[:0], peer)
		w.setUint64(w.key, seq)
		return nil
	})
	if err != nil {
		return a, fmt.Errorf("store: apply %s: position %d: %w", peer, seq, err)
	}
	if a != (Applied{}) {
		select {
		case s.replApplied <- struct{}{}:
		default:
		}
	}
	return a, nil
}

// applyReplicated stores one peer install, event or signup in tx unless
// its id is stored here already; a region publishes installs and events
// once decided, and one held here (MatchPending) gives way to it.
func (tx *ConvTx) applyReplicated(r replConversion, a *Applied) error {
	switch r.kind {
	case ReplInstall:
		have, seen, err := tx.Install(r.install.InstallID)
		if err != nil {
			return err
		}
		if !seen || have.Match == MatchPending {
			if r.install.Match == MatchViewThrough {
				// A peer on a version from before the impression prefix
				// changed keeps an upgraded region's stored impression id.
				// (Only the new prefix: every version strips "imp:", and
				// an id that begins so is the impression's own.)
				r.install.ClickID = strings.TrimPrefix(r.install.ClickID, ImpressionIDPrefix)
			}
			tx.putInstall(r.install, false)
			a.Installs++
		}
	case ReplEvent:
		have, seen, err := tx.Event(r.event.EventID)
		if err != nil {
			return err
		}
		if !seen || have.Match == MatchPending {
			// Its postback id names an entry of the peer's outbox.
			r.event.PostbackID = 0
			if r.event.Match == MatchViewThrough {
				r.event.ClickID = strings.TrimPrefix(r.event.ClickID, ImpressionIDPrefix) // as for installs
			}
			tx.putEvent(r.event, false)
			a.Events++
			// A peer's decided signup for an install whose signup is held
			// here (the same signup sent to both, each making its own
			// event_id): the install's signup is the peer's from now on,
			// and the hold here ends with nothing posted.
			if sid, ok, err := tx.Signup(r.event.InstallID); err != nil {
				return err
			} else if ok && sid != r.event.EventID && r.event.Match != MatchPending {
				held, ok, err := tx.Event(sid)
				if err != nil {
					return err
				}
				if ok && held.Match == MatchPending && held.Kind == r.event.Kind {
					tx.putSignup(r.event.InstallID, r.event.EventID, false)
				}
			}
		}
	case ReplSignup:
		if _, seen, err := tx.Signup(r.installID); err != nil {
			return err
		} else if !seen {
			tx.putSignup(r.installID, r.eventID, false)
			a.Signups++
		}
	}
	return nil
}

// applyParallel is how many replicated clicks ApplyReplicated commits at
// once: enough to fill a sync group.
const applyParallel = 64
