package store

import (
	"encoding/binary"
	"fmt"
	"slices"
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
		if n, err := s.ExpireEvents(); err != nil {
			s.log.Error("store: event retention failed", "err", err)
		} else if n > 0 {
			s.log.Info("store: expired events", "events", n)
		}
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

// ExpireClicks deletes every bucket whose clicks are all older than the
// retention, and returns how many it deleted. See the package doc.
//
// A click written into a bucket just after the bucket's range deletions
// and before the bucket is dropped from memory would be stored under a
// bucket key no longer on disk, never to expire; so ExpireClicks holds
// expiryMu, which PutClick takes for any click whose bucket is near the
// cutoff. Only such old clicks (a late server-to-server or replicated one)
// ever wait.
func (s *Store) ExpireClicks() (int, error) {
	s.expiryMu.Lock()
	defer s.expiryMu.Unlock()
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
	if len(expired) > 0 {
		// The user agents of the expired buckets are gone: a late click
		// made in one must write its agent again.
		for i := range s.uaSeen {
			s.uaSeen[i].Store(0)
		}
	}
	return len(expired), nil
}

// expireBucket deletes a bucket: every table keyed by bucket loses the
// bucket's range, so no key is read and the deletion costs the same for a
// thousand clicks or ten million.
func (s *Store) expireBucket(b bucket) error {
	var bk [4]byte
	binary.BigEndian.PutUint32(bk[:], b.start)
	batch := s.db.NewBatch()
	for _, t := range []byte{tableClick, tableDevice, tableFinger, tableUA} {
		p := append([]byte{t}, bk[:]...)
		batch.DeleteRange(p, prefixEnd(p), nil)
	}
	batch.Delete(appendBucketKey(nil, b.start), nil)
	err := batch.Commit(pebble.Sync)
	batch.Close()
	if err != nil {
		return fmt.Errorf("store: expire bucket %d: %w", b.start, err)
	}
	s.bucketMu.Lock()
	s.buckets = slices.DeleteFunc(s.buckets, func(x bucket) bool { return x == b })
	s.unsaved = slices.DeleteFunc(s.unsaved, func(start uint32) bool { return start == b.start })
	s.bucketMu.Unlock()
	return nil
}
