package store

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGroupCommitShares: concurrent durable clicks are committed together,
// many to a batch, and each is answered only once it is stored.
func TestGroupCommitShares(t *testing.T) {
	s := openClock(t, Sync, 0, newClock(t0))
	const writers, each = 64, 20
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				c := testClick(fmt.Sprintf("g%d-%d", w, i), t0)
				if ok, err := s.PutClick(c); !ok || err != nil {
					t.Errorf("PutClick = %v, %v", ok, err)
					return
				}
				// Answered means readable.
				var got Click
				if _, ok, err := s.GetClick(c.ClickID, &got, nil); !ok || err != nil {
					t.Errorf("click %s answered but not readable: %v %v", c.ClickID, ok, err)
					return
				}
			}
		})
	}
	wg.Wait()
	groups, clicks := s.commit.applied.Load(), s.commit.clicks.Load()
	if clicks != writers*each {
		t.Fatalf("%d clicks committed, want %d", clicks, writers*each)
	}
	if groups*2 > clicks {
		t.Fatalf("%d groups for %d clicks: concurrent clicks did not share commits", groups, clicks)
	}
	t.Logf("%d clicks in %d groups", clicks, groups)
}

// TestCloseDuringClicks: Close while clicks arrive neither hangs nor loses
// a click that was answered as stored.
func TestCloseDuringClicks(t *testing.T) {
	for _, d := range []Durability{Sync, Async} {
		t.Run(durName[d], func(t *testing.T) {
			clk := newClock(t0)
			dir := t.TempDir()
			s := openOpts(t, Options{Dir: dir, Durability: d, Now: clk.Now})
			var stored sync.Map
			var n atomic.Int64
			var wg sync.WaitGroup
			for w := range 32 {
				wg.Go(func() {
					for i := 0; ; i++ {
						id := fmt.Sprintf("w%d-%d", w, i)
						ok, err := s.PutClick(testClick(id, t0))
						if err != nil {
							if !errors.Is(err, errClosed) {
								t.Errorf("PutClick after close: %v, want errClosed", err)
							}
							return
						}
						if ok {
							stored.Store(id, true)
							n.Add(1)
						}
					}
				})
			}
			for n.Load() < 200 {
				time.Sleep(time.Millisecond)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			s = openOpts(t, Options{Dir: dir, Durability: d, Now: clk.Now})
			stored.Range(func(k, _ any) bool {
				var got Click
				if _, ok, err := s.GetClick([]byte(k.(string)), &got, nil); !ok || err != nil {
					t.Errorf("click %s answered as stored, lost after close: %v %v", k, ok, err)
				}
				return true
			})
		})
	}
}
