package store

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// retentionLoop expires old buckets now and then. How often matters little:
// a bucket is a quarter of the retention wide, so checking every few minutes
// keeps the overshoot to the bucket's width.
func (s *Store) retentionLoop() {
	defer s.wg.Done()
	every := time.Duration(s.bucketWidth) * time.Second / 8
	every = min(max(every, time.Minute), 10*time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.ExpireClicks(); err != nil {
			s.log.Error("store: click retention failed", "err", err)
		} else if n > 0 {
			s.log.Info("store: expired click buckets", "buckets", n)
		}
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

// expireBatchClicks is how many click deletions go in one batch.
const expireBatchClicks = 8192

// ExpireClicks deletes every bucket whose clicks are all older than the
// retention, and returns how many it deleted. See the package doc.
func (s *Store) ExpireClicks() (int, error) {
	cutoff := s.now().Add(-s.opts.Retention).Unix()
	var expired []bucket
	s.bucketMu.RLock()
	for _, b := range s.buckets {
		if b.end() <= cutoff {
			expired = append(expired, b)
		}
	}
	s.bucketMu.RUnlock()
	for i, b := range expired {
		if err := s.expireBucket(b); err != nil {
			return i, err
		}
	}
	return len(expired), nil
}

func (s *Store) expireBucket(b bucket) error {
	var bk [4]byte
	binary.BigEndian.PutUint32(bk[:], b.start)
	xPrefix := append([]byte{tableExpiry}, bk[:]...)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: xPrefix, UpperBound: prefixEnd(xPrefix)})
	if err != nil {
		return fmt.Errorf("store: expire bucket %d: %w", b.start, err)
	}
	batch := s.db.NewBatch()
	var key []byte
	for it.First(); it.Valid(); it.Next() {
		key = appendClickKey(key[:0], it.Key()[len(xPrefix):])
		batch.Delete(key, nil)
		if batch.Count() >= expireBatchClicks {
			if err := batch.Commit(pebble.NoSync); err != nil {
				it.Close()
				batch.Close()
				return fmt.Errorf("store: expire bucket %d: %w", b.start, err)
			}
			batch.Reset()
		}
	}
	if err := it.Close(); err != nil {
		batch.Close()
		return fmt.Errorf("store: expire bucket %d: %w", b.start, err)
	}
	for _, t := range []byte{tableExpiry, tableDevice, tableFinger, tableUA} {
		p := append([]byte{t}, bk[:]...)
		batch.DeleteRange(p, prefixEnd(p), nil)
	}
	batch.Delete(appendBucketKey(nil, b.start), nil)
	err = batch.Commit(pebble.Sync)
	batch.Close()
	if err != nil {
		return fmt.Errorf("store: expire bucket %d: %w", b.start, err)
	}
	s.bucketMu.Lock()
	for i, x := range s.buckets {
		if x == b {
			s.buckets = append(s.buckets[:i], s.buckets[i+1:]...)
			break
		}
	}
	s.bucketMu.Unlock()
	return nil
}
