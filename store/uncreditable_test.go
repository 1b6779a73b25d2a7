package store

import (
	"testing"
	"time"
)

// TestUncreditableClickYieldsItsID: a click that can never be credited (a
// link-preview bot's fetch, a click whose click_id was invalid) does not
// keep its click_id from one that can, in the same bucket or in another
// one, older or newer; one that can keeps it from every later click; and
// every reader by click_id finds the creditable one.
func TestUncreditableClickYieldsItsID(t *testing.T) {
	week := 8 * 24 * time.Hour // past the default 7.5-day bucket width
	for _, tc := range []struct {
		name       string
		flags      ClickFlags
		bot, human time.Time // the clicks' times; the bot's is put first
	}{
		{"bot, then the person in the same bucket", FlagBot, t0, t0.Add(10 * time.Second)},
		{"bot, then the person in a newer bucket", FlagBot, t0, t0.Add(week)},
		{"bot, then the person in an older bucket", FlagBot, t0.Add(week), t0},
		{"invalid id, then a valid click", FlagInvalidID | FlagOversize, t0, t0.Add(10 * time.Second)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openClock(t, Async, 0, newClock(t0.Add(week+time.Hour)))
			bot := testClick("sms42", tc.bot)
			bot.Flags = tc.flags
			bot.GAID = nil
			bot.UserAgent = []byte("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)")
			mustPut(t, s, bot)
			bot2 := testClick("sms42", tc.bot.Add(time.Second))
			bot2.Flags = tc.flags
			if ok, err := s.PutClick(bot2); ok || err != nil {
				t.Fatalf("a second uncreditable click: stored %v, %v", ok, err)
			}
			human := testClick("sms42", tc.human)
			human.AffID = []byte("the-person")
			if ok, err := s.PutClick(human); !ok || err != nil {
				t.Fatalf("the person's click after the bot's: stored %v, %v", ok, err)
			}
			var got Click
			if _, ok, err := s.GetClick(human.ClickID, &got, nil); !ok || err != nil {
				t.Fatalf("GetClick: %v %v", ok, err)
			}
			if string(got.AffID) != "the-person" || got.Flags != human.Flags {
				t.Fatalf("GetClick found %q flags %v, want the person's", got.AffID, got.Flags)
			}
			if ua, err := s.ClickUserAgent(human.ClickID); err != nil || ua != string(human.UserAgent) {
				t.Fatalf("ClickUserAgent = %q, %v; want the person's %q", ua, err, human.UserAgent)
			}
			// One record under the id, whichever bucket each was in: an
			// earlier release, which reads the newest bucket's record,
			// finds the person's click after a rollback.
			if n := clickRecords(t, s, human.ClickID); n != 1 {
				t.Fatalf("%d records under the id, want 1 (the bot's left beside the person's)", n)
			}
			var m Click
			if _, ok, _ := s.LatestByDevice(human.App, DeviceGAID, human.GAID, tc.human.Unix()+3600, tc.human.Unix()-3600, acceptAll, &m, nil); !ok || string(m.AffID) != "the-person" {
				t.Fatalf("the person's device key: %v %q", ok, m.AffID)
			}
			// Now the id is taken: by another person, by another bot.
			again := testClick("sms42", tc.human.Add(time.Minute))
			if ok, err := s.PutClick(again); ok || err != nil {
				t.Fatalf("a second person's click: stored %v, %v", ok, err)
			}
			late := testClick("sms42", tc.human.Add(2*time.Minute))
			late.Flags = FlagBot
			if ok, err := s.PutClick(late); ok || err != nil {
				t.Fatalf("a bot after the person: stored %v, %v", ok, err)
			}
		})
	}
}

// clickRecords counts the records stored under click id id, in every
// bucket.
func clickRecords(t *testing.T, s *Store, id []byte) int {
	t.Helper()
	n := 0
	var bs [16]bucket
	for _, b := range s.allBuckets(bs[:0]) {
		_, closer, err := s.db.Get(appendClickKey(nil, b.start, id))
		if err == nil {
			closer.Close()
			n++
		}
	}
	return n
}
