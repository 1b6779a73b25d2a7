package store

import (
	"bytes"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Impressions stored before ImpressionIDPrefix changed live under
// "imp:" + their id until their buckets expire. An ad server's retry of one
// must still be a duplicate, so the impression path asks LegacyImpression
// before storing; the store remembers whether any such key may exist (one
// found at Open, or a click written since whose id begins "imp:"), so that
// an edge that never had them never looks.

// findLegacyImpressions reports whether any bucket holds a click key whose
// id begins LegacyImpressionIDPrefix.
func (s *Store) findLegacyImpressions() (bool, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tableClick}, UpperBound: []byte{tableClick + 1}})
	if err != nil {
		return false, err
	}
	defer it.Close()
	var k []byte
	for _, b := range s.buckets {
		k = appendClickKey(k[:0], b.start, []byte(LegacyImpressionIDPrefix))
		if it.SeekGE(k) && bytes.HasPrefix(it.Key(), k) {
			return true, nil
		}
	}
	return false, it.Error()
}

// LegacyImpression reports whether impression id (without a prefix) is
// stored under the prefix of earlier versions.
func (s *Store) LegacyImpression(id []byte) (bool, error) {
	if !s.legacyImpressions.Load() {
		return false, nil
	}
	sc := getScratch()
	defer putScratch(sc)
	sc.key = append(append(sc.key[:0], LegacyImpressionIDPrefix...), id...)
	var c Click
	_, ok, err := s.GetClick(sc.key, &c, nil)
	if err != nil {
		return false, fmt.Errorf("store: legacy impression %q: %w", id, err)
	}
	return ok && c.Flags&FlagImpression != 0, nil
}
