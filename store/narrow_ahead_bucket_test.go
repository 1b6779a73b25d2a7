package store

import (
	"fmt"
	"testing"
	"time"
)

// TestShorterRetentionCutsBucketAheadOfClock: click_retention lowered
// across a restart must cut every bucket that will take new clicks, also
// the next one when a click made up to MaxClickAhead ahead of the clock
// (a /v1/click click_time, a peer's clock) opened it before the restart.
// README: "clicks past the new retention go within one new width of it".
func TestShorterRetentionCutsBucketAheadOfClock(t *testing.T) {
	const oldRet, newRet = 30 * 24 * time.Hour, 24 * time.Hour
	oldW := int64(widthFor(oldRet))
	newW := time.Duration(widthFor(newRet)) * time.Second
	// B: a boundary of the old width (7.5 days), which is one of the new.
	B := time.Unix((t0.Unix()/oldW+1)*oldW, 0)
	for _, ahead := range []time.Duration{10 * time.Minute, 59 * time.Minute} {
		t.Run(fmt.Sprint("ahead=", ahead), func(t *testing.T) {
			clk := newClock(B.Add(-5 * time.Minute))
			dir := t.TempDir()
			s := openOpts(t, Options{Dir: dir, Retention: oldRet, Now: clk.Now})
			mustPut(t, s, testClick("before-boundary", clk.Now()))
			// Made ahead of the clock, past the boundary: opens [B, B+7.5d).
			mustPut(t, s, testClick("ahead", clk.Now().Add(ahead)))
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = openOpts(t, Options{Dir: dir, Retention: newRet, Now: clk.Now})
			made := B.Add(2 * time.Hour)
			clk.Set(made)
			mustPut(t, s, testClick("after-change", made))
			// The click is older than the new retention plus one new width.
			now := made.Add(newRet + newW + time.Minute)
			clk.Set(now)
			if _, err := s.ExpireClicks(); err != nil {
				t.Fatal(err)
			}
			var c Click
			if _, ok, err := s.GetClick([]byte("after-change"), &c, nil); err != nil || ok {
				t.Errorf("click made %v ago still stored with click_retention %v (GetClick = %v, %v); buckets %v",
					now.Sub(made), newRet, ok, err, s.buckets)
			}
		})
	}
}
