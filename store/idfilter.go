package store

// Which click_ids a retention bucket may hold.
//
// First write wins (see clickwrite.go) means every click looks its id up
// before it is stored, and nearly every lookup is for an id never seen.
// Through Pebble that lookup costs an iterator, a memtable seek and a bloom
// probe per sstable: under wrk it was a quarter of the CPU a click spends in
// the store. An in-memory bloom filter per bucket over the ids stored in it
// answers "never seen" for about 99% of them in a few tens of nanoseconds,
// and only the rest go to Pebble.
//
// A filter must never miss an id its bucket holds, so:
//   - PutClick adds an id before its batch is applied, under the group
//     committer's mutex (clickcommit.go; a write that then fails leaves a
//     false positive, which costs one lookup);
//   - a bucket made by this process starts empty and ready;
//   - a bucket found on disk at Open starts not ready, and is filled by a
//     background scan of its records; until the scan ends, lookups in that
//     bucket go to Pebble as before. Ids stored during the scan are added by
//     their writers, those stored before it by the scan.
//
// Expiry drops a bucket with its filter. The filters cost about 10 bits
// (1.25 bytes) per stored click: 12.5 MB for ten million.

import (
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
)

// idFilter is a growable blocked bloom filter: a list of segments, each
// sized for a number of ids; when the newest is full a segment four times
// larger is added. An id is looked for in every segment, so the false
// positive rate is the sum of theirs, kept small by the growth factor.
type idFilter struct {
	ready atomic.Bool
	segs  atomic.Pointer[[]*filterSegment] // newest first
	grow  sync.Mutex
}

// filterSegment is a bloom filter of 512-bit blocks: an id sets and tests
// filterProbes bits in one block, so a lookup reads one cache line.
type filterSegment struct {
	words     []atomic.Uint64 // len = blocks*8
	blockMask uint64
	capacity  int64 // ids it holds at filterBitsPerID
	n         atomic.Int64
}

const (
	filterBitsPerID = 10
	filterProbes    = 7
	// filterMinIDs sizes a new bucket's first segment (1.25 MiB): a
	// million ids before the first growth, so that a new store's bucket
	// does not sum the false positives of several small segments early.
	filterMinIDs = 1 << 20
	filterGrowth = 4
)

// newIDFilter returns an empty filter sized for about ids ids, and at
// least filterMinIDs.
func newIDFilter(ids int64, ready bool) *idFilter {
	return newIDFilterExact(max(ids, filterMinIDs), ready)
}

func newIDFilterExact(ids int64, ready bool) *idFilter {
	f := &idFilter{}
	segs := []*filterSegment{newFilterSegment(ids)}
	f.segs.Store(&segs)
	f.ready.Store(ready)
	return f
}

func newFilterSegment(ids int64) *filterSegment {
	blocks := uint64(1) << bits.Len64(uint64(ids*filterBitsPerID/512))
	return &filterSegment{
		words:     make([]atomic.Uint64, blocks*8),
		blockMask: blocks - 1,
		capacity:  int64(blocks * 512 / filterBitsPerID),
	}
}

// idHash is the hash an id is filtered by: FNV-1a, whose high bits barely
// change with an id's last bytes, finished with MurmurHash3's mixer so that
// every bit depends on every byte.
func idHash(id []byte) uint64 {
	h := hash64(id, 0x51afd7ed558ccd)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	return h ^ h>>33
}

// add records the id with hash h.
func (f *idFilter) add(h uint64) {
	segs := *f.segs.Load()
	s := segs[0]
	if s.n.Add(1) > s.capacity {
		s = f.addSegment(s)
	}
	s.set(h)
}

// addSegment adds a segment filterGrowth times the size of full, unless a
// concurrent add already did, and returns the newest segment.
func (f *idFilter) addSegment(full *filterSegment) *filterSegment {
	f.grow.Lock()
	defer f.grow.Unlock()
	segs := *f.segs.Load()
	if segs[0] != full {
		return segs[0]
	}
	s := newFilterSegment(full.capacity * filterGrowth)
	s.n.Store(1)
	grown := append([]*filterSegment{s}, segs...)
	f.segs.Store(&grown)
	return s
}

// rulesOut reports whether the bucket whose filter f is certainly holds no
// click whose id has hash h: f is filled, and h was never added.
func (f *idFilter) rulesOut(h uint64) bool {
	return f != nil && f.ready.Load() && !f.mayContain(h)
}

// mayContain reports whether the id with hash h may have been added. It is
// never false for an added id.
func (f *idFilter) mayContain(h uint64) bool {
	for _, s := range *f.segs.Load() {
		if s.has(h) {
			return true
		}
	}
	return false
}

// block returns the first word of h's block and the mixed hash whose 9-bit
// groups choose the bits in it.
func (s *filterSegment) block(h uint64) (int, uint64) {
	// The block comes from h's low bits; the bits in it (seven 9-bit
	// groups) from a remix of h, so the two choices are independent.
	g := h * 0x9e3779b97f4a7c15
	return int(h&s.blockMask) * 8, g ^ g>>32
}

func (s *filterSegment) set(h uint64) {
	base, g := s.block(h)
	for range filterProbes {
		bit := g & 511
		s.words[base+int(bit>>6)].Or(1 << (bit & 63))
		g >>= 9
	}
}

func (s *filterSegment) has(h uint64) bool {
	base, g := s.block(h)
	for range filterProbes {
		bit := g & 511
		if s.words[base+int(bit>>6)].Load()&(1<<(bit&63)) == 0 {
			return false
		}
		g >>= 9
	}
	return true
}

// fillIDFilters fills the filters of the buckets found on disk at Open, one
// bucket after another, and marks each ready when its scan is done. It
// stops early when the store closes; the filters left not ready only cost
// lookups.
func (s *Store) fillIDFilters(buckets []bucket) {
	defer s.wg.Done()
	if s.opts.holdIDFilters != nil {
		select {
		case <-s.opts.holdIDFilters:
		case <-s.stop:
			return
		}
	}
	for _, b := range buckets {
		if err := s.fillIDFilter(b); err != nil {
			s.log.Error("store: click id filter not built; duplicate checks read the store", "bucket", b.start, "err", err)
		}
		select {
		case <-s.stop:
			return
		default:
		}
	}
}

func (s *Store) fillIDFilter(b bucket) error {
	lower := appendClickKey(nil, b.start, nil)
	upper := prefixEnd(lower)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("bucket %d: %w", b.start, err)
	}
	n := 0
	for it.First(); it.Valid(); it.Next() {
		b.ids.add(idHash(it.Key()[len(lower):]))
		if n++; n%4096 == 0 {
			select {
			case <-s.stop:
				return it.Close()
			default:
			}
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("bucket %d: %w", b.start, err)
	}
	b.ids.ready.Store(true)
	return nil
}

// estimateClicks guesses how many clicks bucket b holds from its records'
// size on disk (about 108 bytes a click, see BenchmarkDiskPerClick), to size
// its filter at Open.
func (s *Store) estimateClicks(b bucket) int64 {
	lower := appendClickKey(nil, b.start, nil)
	size, err := s.db.EstimateDiskUsage(lower, prefixEnd(lower))
	if err != nil {
		return 0
	}
	return int64(size / 100)
}
