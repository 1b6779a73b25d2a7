package store

// The click write path.
//
// A click must be on disk before its 302 leaves (durability sync), and the
// obvious way to do that — one Pebble batch committed with Sync per click —
// is also the right one, because Pebble's commit pipeline already does what
// a hand-written group commit would: writers that arrive while a WAL fsync is
// in flight queue behind it, and the next fsync covers all of them. With 64
// connections a single fsync (about 0.8 ms here) carries dozens of clicks, so
// durable throughput is set by concurrency, not by the disk's sync latency.
//
// What Pebble does not give is first-write-wins: a plain Set would let a
// replayed click overwrite the original. So a click's id is looked up before
// its batch is applied (in every retention bucket: a record's key begins
// with its bucket, see keys.go), and the lookup and the apply must be atomic
// against a concurrent click with the same id. A lock per click id held
// across the fsync would serialise nothing but that id, yet holding any lock
// across an fsync invites convoys; instead the lock (one of 256 stripes)
// covers only the lookup and ApplyNoSyncWait, which makes the batch visible
// to readers, and the writer waits for its fsync after releasing it. A
// duplicate that races the original sees it as stored and answers at once;
// its own values were never going to be kept.
//
// The lookup is a bloom-filtered SeekPrefixGE per bucket rather than
// DB.Get, which would allocate for every sstable it visits and skip the
// last level's filters (see scratch.go): with that, a click allocates
// nothing.
//
// Everything a click writes goes in its one batch: the record, the device
// and fingerprint index keys, the interned user agent and, for a new
// retention bucket, the bucket key. A crash keeps all or none.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/cockroachdb/pebble/v2"
)

// PutClick stores c under its click_id unless a click with that id is
// already stored (first write wins), and reports whether it stored it. With
// Sync durability it returns after the click is fsynced.
func (s *Store) PutClick(c *Click) (stored bool, err error) {
	if len(c.ClickID) == 0 {
		return false, fmt.Errorf("store: put click: empty click_id")
	}
	sc := getScratch()
	defer putScratch(sc)

	sec := c.Time / 1000
	b, bucketKey := s.bucketFor(sec)
	// A click about as old as the retention may land in a bucket that
	// ExpireClicks is deleting; it waits for that (see ExpireClicks), or its
	// keys could outlive their bucket's key and never expire. Recent clicks
	// never take this lock.
	if b.end() <= s.now().Add(-s.opts.Retention).Unix()+expiryMargin {
		s.expiryMu.RLock()
		defer s.expiryMu.RUnlock()
		// The bucket may have gone while we waited.
		b, bucketKey = s.bucketFor(sec)
	}

	batch := s.db.NewBatch()
	uaHash, uaWrite := s.appendClick(batch, sc, c, b, bucketKey)

	lock := &s.clickLocks[hash64(c.ClickID, 0)%uint64(len(s.clickLocks))]
	lock.Lock()
	// The buckets are read under the lock: a click with this id that held
	// it before us had made its bucket by then, and added its id to the
	// bucket's filter.
	idh := idHash(c.ClickID)
	dup, err := s.clickStored(sc, c.ClickID, idh)
	if dup || err != nil {
		lock.Unlock()
		batch.Close()
		if err != nil {
			return false, fmt.Errorf("store: put click %q: %w", c.ClickID, err)
		}
		return false, nil
	}
	b.ids.add(idh)
	if s.opts.Durability == Sync {
		err = s.db.ApplyNoSyncWait(batch, s.sync)
		lock.Unlock()
		if err == nil {
			err = batch.SyncWait()
		}
	} else {
		err = s.db.Apply(batch, s.sync)
		lock.Unlock()
		s.unsynced.Store(true)
	}
	batch.Close()
	if err != nil {
		return false, fmt.Errorf("store: put click %q: %w", c.ClickID, err)
	}
	if uaWrite {
		s.markUAWritten(b.start, uaHash)
	}
	if bucketKey {
		s.bucketSaved(b)
	}
	return true, nil
}

// clickStored reports whether a click with this id (whose idHash is idh) is
// in any bucket. Buckets whose filter rules the id out are not read, and
// when every bucket does, no iterator is made.
func (s *Store) clickStored(sc *scratch, id []byte, idh uint64) (bool, error) {
	var bs [16]bucket
	var it *pebble.Iterator
	for _, b := range s.allBuckets(bs[:0]) {
		if b.ids != nil && b.ids.ready.Load() && !b.ids.mayContain(idh) {
			continue
		}
		if it == nil {
			var err error
			if it, err = s.newIter(sc, nil, nil); err != nil {
				return false, err
			}
		}
		sc.key = appendClickKey(sc.key[:0], b.start, id)
		if seekKey(it, sc.key) {
			return true, it.Close()
		}
	}
	if it == nil {
		return false, nil
	}
	return false, it.Close()
}

// expiryMargin is how close (seconds) to the retention cutoff a click's
// bucket must end for PutClick to wait for a running expiry.
const expiryMargin = 3600

// appendClick adds to batch every key that storing c in bucket b writes,
// and the bucket's own key when bucketKey is set. It reports the user
// agent's hash and whether the batch carries the agent's text.
func (s *Store) appendClick(batch *pebble.Batch, sc *scratch, c *Click, b bucket, bucketKey bool) (uaHash uint64, uaWrite bool) {
	sec := c.Time / 1000
	if len(c.UserAgent) != 0 {
		uaHash = hash64(c.UserAgent, 0)
	}
	sc.key = appendClickKey(sc.key[:0], b.start, c.ClickID)
	sc.val = appendClickValue(sc.val[:0], c, uaHash)
	batch.Set(sc.key, sc.val, nil)
	if bucketKey {
		sc.key = appendBucketKey(sc.key[:0], b.start)
		var w [4]byte
		binary.BigEndian.PutUint32(w[:], b.width)
		batch.Set(sc.key, w[:], nil)
	}
	uaWrite = uaHash != 0 && !s.uaWritten(b.start, uaHash)
	if uaWrite {
		sc.key = appendUAKey(sc.key[:0], b.start, uaHash)
		batch.Set(sc.key, c.UserAgent, nil)
	}
	// Bot clicks and clicks whose id cannot be trusted never match, so they
	// get no index keys: attribution never has to read past them.
	if c.Flags&(FlagBot|FlagInvalidID) == 0 {
		s.putClickIndexes(batch, sc, b, c, sec)
	}
	return uaHash, uaWrite
}

func (s *Store) putClickIndexes(batch *pebble.Batch, sc *scratch, b bucket, c *Click, sec int64) {
	app := appHash(c.App)
	for _, d := range [...]struct {
		kind byte
		id   []byte
	}{{deviceGAID, c.GAID}, {deviceIDFA, c.IDFA}, {deviceOAID, c.OAID}} {
		if len(d.id) == 0 {
			continue
		}
		sc.key = appendDevicePrefix(sc.key[:0], b.start, app, d.kind, d.id)
		sc.key = appendInvSecond(sc.key, sec)
		sc.key = append(sc.key, c.ClickID...)
		batch.Set(sc.key, nil, nil)
	}
	if c.Platform == PlatformUnknown || len(c.IP) == 0 {
		return
	}
	if bytes.IndexByte(c.IP, '%') >= 0 { // a zoned address is never a device's
		return
	}
	ip, err := netip.ParseAddr(b2s(c.IP))
	if err != nil || ip.Zone() != "" {
		return
	}
	sc.key = appendFingerPrefix(sc.key[:0], b.start, app, ip, c.Platform, parseOSVersion(c.OSVersion))
	sc.key = appendInvSecond(sc.key, sec)
	sc.key = append(sc.key, c.ClickID...)
	batch.Set(sc.key, nil, nil)
}

// uaWritten reports whether the user agent with this hash is known to be
// stored in bucket. A small direct-mapped table remembers recent writes; a
// miss only costs writing the same key again, which compaction folds away.
func (s *Store) uaWritten(bucket uint32, hash uint64) bool {
	return s.uaSeen[hash%uint64(len(s.uaSeen))].Load() == uaTag(bucket, hash)
}

func (s *Store) markUAWritten(bucket uint32, hash uint64) {
	s.uaSeen[hash%uint64(len(s.uaSeen))].Store(uaTag(bucket, hash))
}

func uaTag(bucket uint32, hash uint64) uint64 { return hash ^ uint64(bucket)<<1 | 1 }
