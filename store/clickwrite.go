package store

// The click write path.
//
// A click must be on disk before its 302 leaves (durability sync). Its
// keys are encoded into a batch of its own, then committed with the other
// clicks that arrive meanwhile in one Pebble batch and one WAL fsync; see
// clickcommit.go for the group commit and how first-write-wins holds
// across groups.
//
// First write wins: a plain Set would let a replayed click overwrite the
// original, so a click's id is looked for before it is stored, in every
// retention bucket (a record's key begins with its bucket, see keys.go).
// Almost every id is new, and each bucket's in-memory filter (idfilter.go)
// says so without reading Pebble. When a filter cannot rule the id out, the
// lookup is a bloom-filtered SeekPrefixGE per bucket rather than DB.Get,
// which would allocate for every sstable it visits and skip the last
// level's filters (see scratch.go): with that, a click allocates nothing.
//
// Everything a click writes goes in one batch: the record, the device and
// fingerprint index keys, the interned user agent and, for a new retention
// bucket, the bucket key. A crash keeps all or none of it (its group is one
// batch too).

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
	return s.putClick(c, s.opts.Replicate)
}

var legacyImpressionIDPrefix = []byte(LegacyImpressionIDPrefix)

// putClick is PutClick; replicate queues the click's replication record in
// its batch (a click applied from a peer's stream is not published again).
func (s *Store) putClick(c *Click, replicate bool) (stored bool, err error) {
	if len(c.ClickID) == 0 {
		return false, fmt.Errorf("store: put click: empty click_id")
	}
	if s.closed.Load() {
		return false, fmt.Errorf("store: put click %q: %w", c.ClickID, errClosed)
	}
	if bytes.HasPrefix(c.ClickID, legacyImpressionIDPrefix) && !s.legacyImpressions.Load() {
		s.legacyImpressions.Store(true) // see legacy_impressions.go
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

	own := s.db.NewBatch()
	uaHash, uaWrite := s.appendClick(own, sc, c, b, bucketKey)
	if replicate {
		at, id := s.newReplPos()
		sc.key = appendOutIdxKey(sc.key[:0], QueueReplicate, StatusPending, at, id)
		sc.val = appendReplClick(sc.val[:0], c, uaHash)
		own.Set(sc.key, sc.val, nil)
	}
	stored, err = s.commitClick(sc, own, b, c.ClickID, idHash(c.ClickID), creditable(c.Flags))
	own.Close()
	if err != nil {
		return false, fmt.Errorf("store: put click %q: %w", c.ClickID, err)
	}
	if !stored {
		return false, nil
	}
	if uaWrite {
		s.markUAWritten(b.start, uaHash)
	}
	if bucketKey {
		s.bucketSaved(b)
	}
	if replicate {
		s.queuedForReplication(1)
	}
	return true, nil
}

// clickStored reports whether a click stored with this id (whose idHash is
// idh) in any bucket keeps a new click with the id out: any does, for a
// click that cannot be credited; only a creditable one does, for one that
// can (see creditable). Buckets whose filter rules the id out are not
// read, and when every bucket does, no iterator is made.
func (s *Store) clickStored(sc *scratch, id []byte, idh uint64, credit bool) (bool, error) {
	var bs [16]bucket
	var it *pebble.Iterator
	sc.shadowed = sc.shadowed[:0]
	for _, b := range s.allBuckets(bs[:0]) {
		if b.ids.rulesOut(idh) {
			continue
		}
		if it == nil {
			var err error
			if it, err = s.newIter(sc, nil, nil); err != nil {
				return false, err
			}
		}
		sc.key = appendClickKey(sc.key[:0], b.start, id)
		if !seekKey(it, sc.key) {
			continue
		}
		if !credit {
			return true, it.Close()
		}
		val, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return false, err
		}
		if flags, ok := clickFlags(val); !ok || creditable(flags) {
			return true, it.Close() // a record it cannot read keeps its id
		}
		sc.shadowed = append(sc.shadowed, b.start)
	}
	if it == nil {
		return false, nil
	}
	return false, it.Close()
}

// creditable reports whether a click with these flags may ever be
// credited. One that may not (a link-preview bot's fetch, a click whose
// click_id was invalid) does not keep its click_id from one that may:
// Slack, WhatsApp and iMessage fetch a link as soon as it is posted,
// before its recipient taps it, and a per-recipient link's click_id was
// taken by the bot, so the person's click was dropped as its duplicate and
// their install went organic. The person's click is stored over the
// bot's: the Set replaces it in the same bucket, and commitClick deletes
// it from another in the same batch, so that one record stays under the
// id and an earlier release, which reads the newest bucket's, finds the
// person's after a rollback. (A bot's click still in a group not yet
// committed is left; findClick prefers the creditable record.)
func creditable(f ClickFlags) bool { return f&(FlagBot|FlagInvalidID) == 0 }

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
		kind := DeviceKind(d.kind)
		if c.Flags&FlagImpression != 0 {
			kind = kind.View()
		}
		sc.key = appendDevicePrefix(sc.key[:0], b.start, app, byte(kind), d.id)
		sc.key = appendInvSecond(sc.key, sec)
		sc.key = append(sc.key, c.ClickID...)
		batch.Set(sc.key, nil, nil)
	}
	if c.Platform == PlatformUnknown || len(c.IP) == 0 || c.Flags&(FlagNoFingerprint|FlagImpression) != 0 {
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
