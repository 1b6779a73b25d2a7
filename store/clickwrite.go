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
// replayed click overwrite the original. So a click's id is checked before
// its batch is applied, and the check and the apply must be atomic against a
// concurrent click with the same id. A lock per click id held across the
// fsync would serialise nothing but that id, yet holding any lock across an
// fsync invites convoys; instead the lock (one of 256 stripes) covers only
// the Get and ApplyNoSyncWait, which makes the batch visible to readers, and
// the writer waits for its fsync after releasing it. A duplicate that races
// the original sees it as stored and answers at once; its own values were
// never going to be kept.
//
// Everything a click writes goes in its one batch: the record, the expiry
// entry, the device and fingerprint index keys, the interned user agent and,
// for a new retention bucket, the bucket key. A crash keeps all or none.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// clickScratch holds one write's key and value buffers; pooled so the click
// path allocates nothing after warm-up.
type clickScratch struct {
	key []byte
	val []byte
	tmp []byte
}

var clickScratchPool = sync.Pool{New: func() any {
	return &clickScratch{key: make([]byte, 0, 256), val: make([]byte, 0, 1024), tmp: make([]byte, 0, 256)}
}}

// PutClick stores c under its click_id unless a click with that id is
// already stored (first write wins), and reports whether it stored it. With
// Sync durability it returns after the click is fsynced.
func (s *Store) PutClick(c *Click) (stored bool, err error) {
	if len(c.ClickID) == 0 {
		return false, fmt.Errorf("store: put click: empty click_id")
	}
	sc := clickScratchPool.Get().(*clickScratch)
	defer clickScratchPool.Put(sc)

	sec := c.Time / 1000
	b, newBucket := s.bucketFor(sec)
	var uaHash uint64
	if len(c.UserAgent) != 0 {
		uaHash = hash64(c.UserAgent, 0)
	}

	batch := s.db.NewBatch()
	sc.key = appendClickKey(sc.key[:0], c.ClickID)
	sc.val = appendClickValue(sc.val[:0], c, uaHash)
	batch.Set(sc.key, sc.val, nil)
	sc.key = appendExpiryKey(sc.key[:0], b.start, c.ClickID)
	batch.Set(sc.key, nil, nil)
	if newBucket {
		sc.key = appendBucketKey(sc.key[:0], b.start)
		var w [4]byte
		binary.BigEndian.PutUint32(w[:], b.width)
		batch.Set(sc.key, w[:], nil)
	}
	uaWrite := uaHash != 0 && !s.uaWritten(b.start, uaHash)
	if uaWrite {
		sc.key = appendUAKey(sc.key[:0], b.start, uaHash)
		batch.Set(sc.key, c.UserAgent, nil)
	}
	// Bot clicks and clicks whose id cannot be trusted never match, so they
	// get no index keys: attribution never has to read past them.
	if c.Flags&(FlagBot|FlagInvalidID) == 0 {
		s.putClickIndexes(batch, sc, b, c, sec)
	}

	lock := &s.clickLocks[hash64(c.ClickID, 0)%uint64(len(s.clickLocks))]
	lock.Lock()
	sc.key = appendClickKey(sc.key[:0], c.ClickID)
	_, closer, err := s.db.Get(sc.key)
	if err == nil {
		closer.Close()
		lock.Unlock()
		batch.Close()
		return false, nil
	}
	if err != pebble.ErrNotFound {
		lock.Unlock()
		batch.Close()
		return false, fmt.Errorf("store: put click %q: %w", c.ClickID, err)
	}
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
	return true, nil
}

func (s *Store) putClickIndexes(batch *pebble.Batch, sc *clickScratch, b bucket, c *Click, sec int64) {
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
