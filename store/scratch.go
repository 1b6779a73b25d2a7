package store

import (
	"bytes"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// scratch holds one operation's key and value buffers and iterator
// options; pooled so that the click path allocates nothing after warm-up.
type scratch struct {
	key []byte
	val []byte
	// iterOpts carries PointKeyFilters with room for one filter. Pebble
	// appends a filter of its own to that slice for every sstable an
	// iterator opens (sstable.Reader.TryAddBlockPropertyFilterForHideObsoletePoints,
	// called from file_cache.go): with no room, that is one allocation per
	// sstable visited. DB.Get builds its options with no slice at all, so a
	// Get that reaches an sstable always allocates; point reads here use a
	// SeekPrefixGE on an iterator made with these options instead. The
	// slice is this scratch's own, so concurrent iterators never write to
	// the same one.
	//
	// UseL6Filters: Pebble skips the bloom filters of the last level by
	// default, expecting the key to be there; here most point reads miss
	// (each live bucket but one, for a click_id; every dedup check of a new
	// conversion), and nearly all data is in the last level.
	iterOpts pebble.IterOptions
	// done receives the outcome of the group commit a click waits for.
	done chan error
	// shadowed are the buckets where clickStored found an uncreditable
	// click with the id of the creditable one it let in.
	shadowed []uint32
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{
		key:      make([]byte, 0, 256),
		val:      make([]byte, 0, 1024),
		iterOpts: pebble.IterOptions{PointKeyFilters: make([]pebble.BlockPropertyFilter, 0, 1), UseL6Filters: true},
		done:     make(chan error, 1),
	}
}}

func getScratch() *scratch   { return scratchPool.Get().(*scratch) }
func putScratch(sc *scratch) { scratchPool.Put(sc) }

// newIter opens an iterator with sc's options and the given bounds (nil:
// none). It allocates nothing when Pebble's iterator pool is warm.
func (s *Store) newIter(sc *scratch, lower, upper []byte) (*pebble.Iterator, error) {
	sc.iterOpts.LowerBound, sc.iterOpts.UpperBound = lower, upper
	it, err := s.db.NewIter(&sc.iterOpts)
	sc.iterOpts.LowerBound, sc.iterOpts.UpperBound = nil, nil
	return it, err
}

// seekKey positions it on key and reports whether key exists: a point read
// through the bloom filters, as DB.Get does.
func seekKey(it *pebble.Iterator, key []byte) bool {
	return it.SeekPrefixGE(key) && bytes.Equal(it.Key(), key)
}
