package store

import (
	"testing"
	"time"
)

// TestNarrowedBucketKeepsItsFutureClicksFindable: click_retention lowered
// across a restart cuts the open bucket at the next boundary of the new
// width (narrowOpenBucket). A click already stored in it with a time past
// that boundary (a server-to-server click_time up to 1 h ahead, a peer
// region's clock a little ahead) is left in the narrowed bucket, outside
// its range: the device and fingerprint lookups, which choose and skip
// buckets by their range, then miss it, and credit an older click of the
// same device instead of the latest one (CONTRACT §4: "the latest click
// for this app with the same gaid/idfa/oaid within the lookback").
func TestNarrowedBucketKeepsItsFutureClicksFindable(t *testing.T) {
	const newRetention = 7 * 24 * time.Hour
	w := int64(widthFor(newRetention)) // 42 h
	// A boundary of the new width inside the 30d bucket that holds t0.
	boundary := t0.Unix() - t0.Unix()%w + w
	before := time.Unix(boundary, 0).Add(-10 * time.Minute)

	for _, tc := range []struct {
		name   string
		lookup func(s *Store, at, oldest int64, c *Click) (bool, error)
	}{
		{"device", func(s *Store, at, oldest int64, c *Click) (bool, error) {
			_, ok, err := s.LatestByDevice([]byte("com.example.app"), DeviceGAID, []byte("38400000-8cf0-11bd-b23e-10b96e40000d"), at, oldest, acceptAll, c, nil)
			return ok, err
		}},
		{"fingerprint", func(s *Store, at, oldest int64, c *Click) (bool, error) {
			_, ok, err := s.LatestByFingerprint([]byte("com.example.app"), mustAddr("203.0.113.10"), PlatformAndroid, []byte("14"), at, oldest, acceptAll, c, nil)
			return ok, err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock(before)
			dir := t.TempDir()
			s := openOpts(t, Options{Dir: dir, Retention: 30 * 24 * time.Hour, Now: clk.Now})
			// Reported with a click_time 50 minutes ahead of this edge's clock.
			ahead := testClick("ahead", before.Add(50*time.Minute))
			ahead.Campaign = []byte("campaign-a")
			mustPut(t, s, ahead)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			// Restarted at once with a shorter retention.
			s = openOpts(t, Options{Dir: dir, Retention: newRetention, Now: clk.Now})
			// 25 minutes on, the same device clicks another campaign's ad.
			clk.Set(before.Add(25 * time.Minute))
			older := testClick("older", clk.Now())
			older.Campaign = []byte("campaign-b")
			mustPut(t, s, older)
			// The install an hour on: "ahead" (made at +50 min) is the latest.
			at := before.Add(time.Hour).Unix()
			var c Click
			ok, err := tc.lookup(s, at, at-7*24*3600, &c)
			if err != nil || !ok {
				t.Fatalf("lookup = %v, %v", ok, err)
			}
			if string(c.Campaign) != "campaign-a" {
				t.Errorf("latest click by %s is %s's, made at %v; want campaign-a's, made at %v (buckets %v)",
					tc.name, c.Campaign, time.UnixMilli(c.Time).UTC(), time.UnixMilli(ahead.Time).UTC(), s.buckets)
			}
		})
	}
}
