package store

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// bulkLoad stores clicks from..from+n-1 of g as PutClick would (the same
// keys, through appendClick), but many to a batch, unsynced, and without the
// first-write-wins check: the generator's ids are unique. Benchmarks use it
// to fill a store with millions of clicks quickly; one goroutine per CPU
// makes and commits batches.
func (s *Store) bulkLoad(g *clickGen, from, n uint64, perBatch int) error {
	ranges := make(chan [2]uint64)
	go func() {
		for start := from; start < from+n; start += uint64(perBatch) {
			ranges <- [2]uint64{start, min(start+uint64(perBatch), from+n)}
		}
		close(ranges)
	}()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			gen := &clickGen{seed: g.seed, base: g.base, step: g.step}
			sc := getScratch()
			defer putScratch(sc)
			var c Click
			for r := range ranges {
				batch := s.db.NewBatch()
				var saved []bucket
				for i := r[0]; i < r[1]; i++ {
					gen.fill(&c, i)
					b, bk := s.bucketFor(c.Time / 1000)
					uaHash, uaWrite := s.appendClick(batch, sc, &c, b, bk)
					b.ids.add(idHash(c.ClickID))
					if uaWrite {
						s.markUAWritten(b.start, uaHash)
					}
					if bk {
						saved = append(saved, b)
					}
				}
				err := batch.Commit(pebble.NoSync)
				batch.Close()
				if err != nil {
					mu.Lock()
					firstErr = cmpOr(firstErr, err)
					mu.Unlock()
					continue
				}
				for _, b := range saved {
					s.bucketSaved(b)
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return fmt.Errorf("bulk load: %w", firstErr)
	}
	return s.db.LogData(nil, pebble.Sync)
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
