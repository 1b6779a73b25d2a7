package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/clickedge/clickedge/internal/logthrottle"
)

// Durability says when a write is on disk.
type Durability uint8

const (
	// Sync: a write returns after its WAL record is fsynced. Concurrent
	// writers share one fsync (clicks through the group commit of
	// clickcommit.go, other writes through Pebble's commit pipeline).
	Sync Durability = iota
	// Async: a write returns once it is in the WAL buffer; the WAL is
	// fsynced every Options.SyncInterval, so a crash loses at most that much.
	Async
)

// Options configure Open. Zero values take the defaults noted.
type Options struct {
	Dir          string
	Durability   Durability
	SyncInterval time.Duration // Async only; default 2ms
	Retention    time.Duration // clicks older than this are deleted; default 30 days
	// EventRetention: event records (event_id dedup keys) recorded on a
	// day older than this are deleted (event_retention.go); 0 keeps them.
	EventRetention time.Duration
	CacheSize      int64 // block cache bytes; default 64 MiB
	// Ballast keeps an emergency ballast in Dir (ballast.go): what a
	// serving edge wants, and a test's many stores do not (each would
	// hold up to 1 GiB of disk).
	Ballast bool
	Logger  *slog.Logger
	Now     func() time.Time // the clock; tests inject one
	// Replicate: every click and conversion stored also queues its
	// replication record (replicate.go).
	Replicate bool

	fs vfs.FS // tests: an in-memory, crashable file system
	// tests: the click id filters of the buckets found at Open are filled
	// only once this is closed.
	holdIDFilters chan struct{}
}

// Store is an open clickedge database. It is safe for concurrent use.
type Store struct {
	db    *pebble.DB
	cache *pebble.Cache
	ops   opGate // outbox scans and updates under way (opgate.go)
	opts  Options
	// fresh: the data directory held no store when it was opened.
	fresh bool
	log   *slog.Logger
	now   func() time.Time
	sync  *pebble.WriteOptions

	// commit groups clicks into shared batches; see clickcommit.go.
	commit clickCommitter
	// convMu serialises attribution decisions; see conversion.go.
	convMu sync.Mutex
	// convUnsynced counts conversion batches applied and not yet fsynced
	// (sync mode), which a transaction that writes nothing waits for.
	convUnsynced atomic.Int64
	// convSyncs counts the syncs transactions that wrote nothing make
	// after releasing convMu; Close waits for them, as Pebble panics on a
	// write after its Close.
	convSyncs sync.WaitGroup
	ballast   *ballast
	// legacyImpressions: click keys under LegacyImpressionIDPrefix may
	// exist (legacy_impressions.go).
	legacyImpressions atomic.Bool

	bucketWidth uint32 // seconds, for buckets opened from now on
	bucketMu    sync.RWMutex
	buckets     []bucket // newest first
	// unsaved lists the buckets whose 'b' key may not be on disk yet: every
	// click stored in one writes the key again until a write succeeds, so
	// a bucket is never on disk without its key. Usually empty.
	unsaved []uint32
	// expiryMu is held by ExpireClicks, and by PutClick for the rare click
	// old enough to land in a bucket being expired; see retention.go.
	expiryMu sync.RWMutex
	uaSeen   [4096]atomic.Uint64

	idSeq    atomic.Uint64
	idSaved  atomic.Uint64 // idSeq as of the last saved id floor (idfloor.go)
	unsynced atomic.Bool

	// The replicate outbox (replicate.go): records waiting, and the signal
	// that more were queued.
	replBacklog atomic.Int64
	replWake    chan struct{}
	replApplied chan struct{}
	// replCaughtUp: the peers' streams were applied to their ends since
	// the store opened (SetReplicationCaughtUp).
	replCaughtUp atomic.Bool

	stalls *writeStalls // Pebble's write stalls (stats.go)
	// exportMu is held shared by each export's scan; Close takes it once
	// closed is set, so that no scan is reading when the database closes
	// (scans see closed and stop; see export.go).
	exportMu sync.RWMutex

	// walFS: an async store's WAL files, which syncWALFiles fdatasyncs.
	walFS      *asyncWALFS
	walSyncReq chan struct{}

	stop   chan struct{}
	wg     sync.WaitGroup
	closed atomic.Bool
}

// bucket is one retention bucket: clicks made in [start, start+width), and
// the filter of the click ids stored in it (see idfilter.go).
type bucket struct {
	start, width uint32
	ids          *idFilter
}

func (b bucket) end() int64 { return int64(b.start) + int64(b.width) }

// DirError is Open's error when the data directory itself cannot be used
// (missing, not writable, locked by another process): what a command line
// blames on the flag that named the directory.
type DirError struct {
	Dir string
	Err error
}

func (e *DirError) Error() string { return "store: open " + e.Dir + ": " + e.Err.Error() }
func (e *DirError) Unwrap() error { return e.Err }

// Open opens (creating if needed) the database in o.Dir and starts its
// background work: the WAL syncer in Async mode and the retention sweeper.
func Open(o Options) (*Store, error) {
	if o.SyncInterval <= 0 {
		o.SyncInterval = 2 * time.Millisecond
	}
	if o.Retention <= 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	if o.CacheSize <= 0 {
		o.CacheSize = 64 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	// Pebble charges its memtables to the block cache: a cache the size of
	// two memtables (one filling, one flushing) would hold no block at all,
	// and every lookup would read and decompress its index, filter and data
	// blocks. Size it so that CacheSize is left for blocks.
	cache := pebble.NewCache(o.CacheSize + 2*memTableSize)
	fs := o.fs
	var walFS *asyncWALFS
	switch {
	case o.Durability == Async:
		if fs == nil {
			fs = vfs.Default
		}
		walFS = newAsyncWALFS(fs)
		fs = walFS
	case fs != nil:
		// Tests that bring a file system (in-memory, crashable,
		// sync-counting) keep its syncs; see walsync_linux.go.
	default:
		fs = walSyncFS(vfs.Default)
	}
	fresh := !hasManifest(fs, o.Dir)
	bal := &ballast{fs: fs, path: filepath.Join(o.Dir, ballastName), log: o.Logger, spentLog: logthrottle.New(5 * time.Second)}
	stalls := new(writeStalls)
	po := &pebble.Options{
		Cache:                       cache,
		MemTableSize:                memTableSize,
		MemTableStopWritesThreshold: 4,
		CompactionConcurrencyRange:  func() (int, int) { return 1, 2 },
		// Click keys are random, so every L0 file overlaps all of Lbase and
		// each L0 compaction rewrites Lbase whole: waiting for eight files
		// rather than four halves those rewrites. Under wrk for 30 s
		// (1.5M clicks) that was 8% more clicks/s at 5% less CPU per
		// click. The cost is reads under write load checking up to eight
		// L0 files' bloom filters instead of four.
		L0CompactionThreshold: 8,
		L0StopWritesThreshold: 1000,
		LBaseMaxBytes:         64 << 20,
		FormatMajorVersion:    pebble.FormatNewest,
		Logger:                pebbleLogger{o.Logger},
		EventListener:         stalls.listener(o.Logger),
		FS:                    vfs.OnDiskFull(fs, bal.release),
	}
	po.ApplyCompressionSettings(func() pebble.DBCompressionSettings { return pebble.DBCompressionGood })
	for i := range po.Levels {
		// Bloom filters on every level, L0 included: most lookups (a
		// click_id never seen, an organic install) are for absent keys.
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		po.Levels[i].BlockSize = dataBlockSize
	}
	if o.Ballast {
		// Pebble's Open writes (it flushes the WAL it replays), and it
		// retries a flush that finds the disk full for ever: the edge hung
		// at start, a core busy, SIGTERM unanswered (TestOpenOnFullDisk).
		// The ballast found here is released for it; without one, a disk
		// with no room for a memtable's flush is an error.
		if _, holds := bal.onDisk(); holds {
			bal.present.Store(true)
		} else if du, err := fs.GetDiskUsage(o.Dir); err == nil && du.AvailBytes < minOpenBytes {
			cache.Unref()
			return nil, &DirError{Dir: o.Dir, Err: fmt.Errorf("no space left on device (%d bytes available, and no emergency ballast): free some first", du.AvailBytes)}
		}
	}
	db, err := pebble.Open(o.Dir, po)
	if err != nil {
		if walFS != nil {
			walFS.syncAll() // closes a WAL Pebble made before it failed
		}
		cache.Unref()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			// Pebble's flock of <dir>/LOCK: say what it means.
			err = fmt.Errorf("in use by another process (its LOCK file is held): %w", err)
		}
		return nil, &DirError{Dir: o.Dir, Err: err}
	}
	s := &Store{
		db: db, cache: cache, opts: o, log: o.Logger, now: o.Now, stalls: stalls, fresh: fresh,
		sync:        pebble.Sync,
		bucketWidth: widthFor(o.Retention),
		walFS:       walFS,
		walSyncReq:  make(chan struct{}, 1),
		stop:        make(chan struct{}),
		replWake:    make(chan struct{}, 1),
		replApplied: make(chan struct{}, 1),
	}
	if o.Durability == Async {
		s.sync = pebble.NoSync
	}
	if !o.Ballast {
		// None: a full disk stops the edge at its first WAL write.
	} else if err := bal.ensure(); err != nil {
		// The edge runs without it; a full disk would stop it at once.
		o.Logger.Warn("store: no emergency ballast", "err", err)
	}
	s.ballast = bal
	if err := s.dropLegacyLocators(); err != nil {
		s.abandon()
		return nil, fmt.Errorf("store: open %s: outbox locators: %w", o.Dir, err)
	}
	if err := s.loadBuckets(); err != nil {
		s.abandon()
		return nil, fmt.Errorf("store: open %s: %w", o.Dir, err)
	}
	legacy, err := s.findLegacyImpressions()
	if err != nil {
		s.abandon()
		return nil, fmt.Errorf("store: open %s: legacy impressions: %w", o.Dir, err)
	}
	s.legacyImpressions.Store(legacy)
	// Records queued before a restart are still to publish; a store that
	// no longer replicates keeps them for when it does again.
	n, err := s.OutboxCount(QueueReplicate, StatusPending)
	if err != nil {
		s.abandon()
		return nil, fmt.Errorf("store: open %s: replication backlog: %w", o.Dir, err)
	}
	s.replBacklog.Store(n)
	if o.Durability == Sync {
		s.commit.timer = newGroupTimer()
	}
	if err := s.loadIDFloor(); err != nil {
		s.abandon()
		return nil, fmt.Errorf("store: open %s: %w", o.Dir, err)
	}
	if len(s.buckets) > 0 {
		s.wg.Add(1)
		go s.fillIDFilters(slices.Clone(s.buckets))
	}
	if o.Durability == Async {
		s.wg.Add(1)
		go s.every(o.SyncInterval, s.syncWAL)
		if walFS != nil {
			s.wg.Add(1)
			go s.syncWALFiles()
		}
	}
	s.wg.Add(2)
	go s.retentionLoop()
	go s.every(idFloorEvery, s.saveIDFloorLogged)
	return s, nil
}

// abandon closes the database of a store that failed to open.
func (s *Store) abandon() {
	s.db.Close()
	if s.walFS != nil {
		s.walFS.syncAll()
	}
	if s.commit.timer != nil {
		s.commit.timer.close()
	}
	s.cache.Unref()
}

// Close stops background work, syncs and closes the database.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return fmt.Errorf("store: close: already closed")
	}
	// Clicks that joined a group before closed was set are answered
	// first; later ones see closed (it is read under the committer's
	// mutex, which this takes once so that no click is still between
	// reading it and joining).
	s.commit.mu.Lock()
	s.commit.mu.Unlock() //nolint:staticcheck // an empty critical section is the point
	s.commit.inflight.Wait()
	// A conversion transaction under way finishes; later ones see closed.
	s.convMu.Lock()
	s.convMu.Unlock()  //nolint:staticcheck // waits for the transaction under way
	s.convSyncs.Wait() // and for the syncs of those that wrote nothing
	s.exportMu.Lock()
	s.exportMu.Unlock() //nolint:staticcheck // waits for the exports to see closed
	s.waitOps()         // and for outbox scans and updates, which stop when they see closed
	close(s.stop)
	s.wg.Wait()
	err := s.saveIDFloor()
	if lerr := s.db.LogData(nil, pebble.Sync); err == nil {
		err = lerr
	}
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	if s.walFS != nil {
		// The WAL Pebble closed last is fdatasynced and closed here
		// (see asyncWALFile.Close).
		if serr := s.walFS.syncAll(); err == nil {
			err = serr
		}
	}
	if s.commit.timer != nil {
		s.commit.timer.close()
	}
	s.cache.Unref()
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// DB exposes the Pebble database to benchmarks and tools in this module.
func (s *Store) DB() *pebble.DB { return s.db }

// Checkpoint writes a consistent copy of the store, as of now, to dir,
// which must not exist: sstables are hard-linked when dir is on the same
// file system, and the WAL is flushed and copied, so in Async mode too the
// copy holds every write made before the call. A store opened on dir is a
// restore.
func (s *Store) Checkpoint(dir string) error {
	// Close waits for a checkpoint under way, as for an export: closed
	// under it, Pebble's Close failed (the checkpoint holds a version) and
	// the checkpoint went on over a closing database.
	s.exportMu.RLock()
	defer s.exportMu.RUnlock()
	if err := s.shut("checkpoint"); err != nil {
		return err
	}
	if err := s.db.Checkpoint(dir, pebble.WithFlushedWAL()); err != nil {
		return fmt.Errorf("store: checkpoint to %s: %w", dir, err)
	}
	return nil
}

// BlockCacheSize is the part of Pebble's cache left for blocks
// (Options.CacheSize): the cache also holds the memtables, on top of it.
func (s *Store) BlockCacheSize() int64 { return s.cache.MaxSize() - 2*memTableSize }

// Fresh reports whether the data directory held no store when it was
// opened: a new one, or one whose data was lost.
func (s *Store) Fresh() bool { return s.fresh }

// hasManifest reports whether dir holds a Pebble store: a MANIFEST file.
func hasManifest(fs vfs.FS, dir string) bool {
	names, err := fs.List(dir)
	if err != nil {
		return false
	}
	for _, n := range names {
		if strings.HasPrefix(n, "MANIFEST-") {
			return true
		}
	}
	return false
}

// Now returns the store's clock.
func (s *Store) Now() time.Time { return s.now() }

const memTableSize = 32 << 20

// minOpenBytes is the free space Open needs without a ballast: a memtable
// flushed and a new WAL.
const minOpenBytes = 2 * memTableSize

// dataBlockSize is the sstable data block size. A point lookup that misses
// the block cache reads and decompresses one whole block, so the size sets
// its latency; larger blocks compress better. See BenchmarkDiskPerClick and
// BenchmarkAttributionLookup: 16 KiB gives 185 bytes a click, 8 KiB 191 and
// 4 KiB 202.
const dataBlockSize = 8 << 10

// widthFor returns the bucket width for a retention: a quarter of it in whole
// hours, at least one hour, so expiry deletes whole buckets while keeping at
// most a quarter more than the retention asks.
func widthFor(retention time.Duration) uint32 {
	w := retention / 4
	w -= w % time.Hour
	if w < time.Hour {
		w = time.Hour
	}
	if w > 365*24*time.Hour {
		w = 365 * 24 * time.Hour
	}
	return uint32(w / time.Second)
}

func (s *Store) loadBuckets() error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tableBucket}, UpperBound: []byte{tableBucket + 1}})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		k, v := it.Key(), it.Value()
		if len(k) != 5 || len(v) != 4 {
			it.Close()
			return fmt.Errorf("%w: bucket key %x", ErrCorrupt, k)
		}
		s.buckets = append(s.buckets, bucket{start: binary.BigEndian.Uint32(k[1:]), width: binary.BigEndian.Uint32(v)})
	}
	if err := it.Close(); err != nil {
		return err
	}
	sort.Slice(s.buckets, func(i, j int) bool { return s.buckets[i].start > s.buckets[j].start })
	if err := s.narrowOpenBucket(); err != nil {
		return err
	}
	for i := range s.buckets {
		s.buckets[i].ids = newIDFilter(s.estimateClicks(s.buckets[i]), false)
	}
	return nil
}

// narrowOpenBucket cuts the buckets that will take new clicks (the one that
// holds now, and one a click made ahead of the clock opened before the
// restart), when they were made wider than the current retention's width
// (click_retention lowered across a restart), at the next boundary of the
// current width. Left whole, it would
// take clicks until its old end, and none of them could expire before that
// end plus the new retention: days past it, with 30d's 7.5-day buckets.
// Cut, it holds no click past one new width from now. Its clicks already
// stored then live at most one new width and the new retention from now.
func (s *Store) narrowOpenBucket() error {
	now := s.now().Unix()
	w := int64(s.bucketWidth)
	// Clicks made up to MaxClickAhead ahead of the clock may be in the
	// bucket already: the cut comes after them, or they would lie outside
	// their bucket, where the device and fingerprint lookups, which pick
	// buckets by their range, miss them (TestNarrowedBucketKeepsItsFutureClicksFindable).
	reach := now + int64(MaxClickAhead/time.Second)
	for i, b := range s.buckets {
		end := reach - reach%w + w
		// A bucket that starts after now but before reach was opened by a
		// click made ahead of the clock, and would take every click made
		// until its old end (TestShorterRetentionCutsBucketAheadOfClock).
		// One that starts after reach was made while the clock ran ahead
		// and has since stepped back: its clicks may lie anywhere in it,
		// so no cut is known to leave them inside; it is left whole.
		if int64(b.width) <= w || int64(b.start) > reach || b.end() <= now || end >= b.end() {
			continue
		}
		var v [4]byte
		binary.BigEndian.PutUint32(v[:], uint32(end-int64(b.start)))
		if err := s.db.Set(appendBucketKey(nil, b.start), v[:], pebble.Sync); err != nil {
			return fmt.Errorf("narrow bucket %d: %w", b.start, err)
		}
		s.buckets[i].width = uint32(end - int64(b.start))
	}
	return nil
}

// MaxClickAhead is how far ahead of the edge's clock a click may be made:
// a reported click_time or impression_time further ahead is refused.
const MaxClickAhead = time.Hour

// bucketFor returns the bucket a click made at unix second sec belongs to,
// and whether the bucket's 'b' key must go into the click's batch: it is
// new, or no batch carrying its key has been committed yet. A click older
// than the newest bucket lands in the existing bucket covering it, if any.
func (s *Store) bucketFor(sec int64) (bucket, bool) {
	sec = min(max(sec, 0), maxSecond)
	s.bucketMu.RLock()
	for _, b := range s.buckets {
		if int64(b.start) <= sec && sec < b.end() {
			unsaved := len(s.unsaved) != 0 && slices.Contains(s.unsaved, b.start)
			s.bucketMu.RUnlock()
			return b, unsaved
		}
	}
	s.bucketMu.RUnlock()
	s.bucketMu.Lock()
	defer s.bucketMu.Unlock()
	for _, b := range s.buckets {
		if int64(b.start) <= sec && sec < b.end() {
			return b, slices.Contains(s.unsaved, b.start)
		}
	}
	// The new bucket is the width-aligned span around sec, cut short by
	// buckets made under an older width, so that every second has one
	// bucket.
	lo := sec - sec%int64(s.bucketWidth)
	hi := min(lo+int64(s.bucketWidth), maxSecond+1)
	for _, b := range s.buckets {
		if e := b.end(); e <= sec && e > lo {
			lo = e
		}
		if st := int64(b.start); st > sec && st < hi {
			hi = st
		}
	}
	// No click is on disk under a bucket that has no 'b' key, so the new
	// bucket's id filter starts empty and ready.
	nb := bucket{start: uint32(lo), width: uint32(hi - lo), ids: newIDFilter(0, true)}
	s.buckets = append(s.buckets, nb)
	slices.SortFunc(s.buckets, func(a, b bucket) int { return cmp.Compare(b.start, a.start) })
	s.unsaved = append(s.unsaved, nb.start)
	return nb, true
}

// maxSecond is the last second a bucket covers: clicks made later (in 2106
// or a corrupt clock) are kept in the bucket that ends there.
const maxSecond = 1<<32 - 2

// bucketSaved records that b's key is on disk.
func (s *Store) bucketSaved(b bucket) {
	s.bucketMu.Lock()
	s.unsaved = slices.DeleteFunc(s.unsaved, func(start uint32) bool { return start == b.start })
	s.bucketMu.Unlock()
}

// allBuckets appends every bucket, newest first.
func (s *Store) allBuckets(dst []bucket) []bucket {
	s.bucketMu.RLock()
	dst = append(dst, s.buckets...)
	s.bucketMu.RUnlock()
	return dst
}

// liveBuckets appends the buckets that may hold clicks made in
// [oldest, newest] unix seconds, newest first.
func (s *Store) liveBuckets(dst []bucket, oldest, newest int64) []bucket {
	s.bucketMu.RLock()
	for _, b := range s.buckets {
		if int64(b.start) <= newest && b.end() > oldest {
			dst = append(dst, b)
		}
	}
	s.bucketMu.RUnlock()
	return dst
}

// syncWAL fsyncs the WAL when a write since the last sync left it
// unsynced (durability async, every SyncInterval).
func (s *Store) syncWAL() {
	if s.unsynced.Swap(false) {
		// With walFS, this writes the WAL's buffer to the file at once
		// (its sync returns at once); syncWALFiles makes the fdatasync.
		if err := s.db.LogData(nil, pebble.Sync); err != nil {
			s.log.Error("store: WAL sync failed", "err", err)
		}
	}
	// What the LogData wrote, and what the store's own synced writes did
	// (the id floor, a bucket's key, retention's deletions: their syncs
	// return at once too), is fdatasynced.
	if s.walFS != nil && s.walFS.dirty.Load() {
		select {
		case s.walSyncReq <- struct{}{}:
		default:
		}
	}
}

// syncWALFiles fdatasyncs the WAL files when syncWAL asks, until Close.
func (s *Store) syncWALFiles() {
	defer s.wg.Done()
	for {
		select {
		case <-s.stop:
			return
		case <-s.walSyncReq:
			if err := s.walFS.syncAll(); err != nil {
				s.log.Error("store: WAL sync failed", "err", err)
			}
		}
	}
}

// every calls fn every d until Close: the store's background tickers.
func (s *Store) every(d time.Duration, fn func()) {
	defer s.wg.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			fn()
		}
	}
}

// getUint64 reads key's 8-byte big-endian value; 0 when key is absent.
// what names the value in errors.
func (s *Store) getUint64(key []byte, what string) (uint64, error) {
	v, closer, err := s.db.Get(key)
	if err == pebble.ErrNotFound {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: %s: %w", what, err)
	}
	defer closer.Close()
	if len(v) != 8 {
		return 0, fmt.Errorf("store: %s: %w", what, ErrCorrupt)
	}
	return binary.BigEndian.Uint64(v), nil
}

// idSeqBits is how many low bits of an id count within one millisecond.
const idSeqBits = 20

// NewID returns a unique id that sorts in time order: milliseconds since
// the epoch in the high bits, a counter in the low ones. It never repeats
// within a process, nor across restarts, the clock stepped back included:
// Open starts past the highest id an earlier run saved (idfloor.go).
func (s *Store) NewID() uint64 {
	now := uint64(s.now().UnixMilli()) << idSeqBits
	for {
		cur := s.idSeq.Load()
		next := cur + 1
		if now > next {
			next = now
		}
		if s.idSeq.CompareAndSwap(cur, next) {
			return next
		}
	}
}

// ErrNotFound is returned by lookups of absent records.
var ErrNotFound = errors.New("store: not found")

// Compact compacts the whole keyspace; used by tests and tools that measure
// disk use.
func (s *Store) Compact() error {
	if err := s.db.Flush(); err != nil {
		return fmt.Errorf("store: flush: %w", err)
	}
	if err := s.db.Compact(context.Background(), []byte{0}, []byte{0xff}, true); err != nil {
		return fmt.Errorf("store: compact: %w", err)
	}
	return nil
}

// shut returns errClosed once Close has begun. Every call a request
// handler or the admin API makes checks it first: a request can outlive
// the listeners' drain timeout, and Pebble panics when used after Close.
// (Close waits for the work it knows of, clicks in a commit group,
// conversion transactions and exports, before it closes Pebble.)
func (s *Store) shut(op string) error {
	if s.closed.Load() {
		return fmt.Errorf("store: %s: %w", op, errClosed)
	}
	return nil
}

// DiskUsage returns the bytes of live sstables and WAL.
func (s *Store) DiskUsage() uint64 { return s.db.Metrics().DiskSpaceUsage() }

type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...interface{}) {
	p.l.Debug(fmt.Sprintf(format, args...), "component", "pebble")
}
func (p pebbleLogger) Errorf(format string, args ...interface{}) {
	p.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
}
func (p pebbleLogger) Fatalf(format string, args ...interface{}) {
	// Pebble calls Fatalf only when it cannot go on safely (a corrupt
	// manifest, a failed WAL write): stop as log.Fatal would.
	p.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
	os.Exit(1)
}
