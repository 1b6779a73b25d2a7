package store

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// With Options.EventRetention, event records (the event_id dedup keys of
// installs, signups and in-app events) are deleted a whole day at a time
// once the day they were recorded on is older than the retention; installs
// and signup markers are kept.
func TestExpireEvents(t *testing.T) {
	clk := newClock(t0.Add(3 * time.Hour))
	s := openOpts(t, Options{Durability: Async, Now: clk.Now, EventRetention: 48 * time.Hour})
	put := func(day int, n int) []string {
		var ids []string
		tx := s.BeginConversions()
		for i := range n {
			id := fmt.Sprintf("ev-d%d-%d", day, i)
			ids = append(ids, id)
			tx.PutEvent(&Event{EventID: id, InstallID: "inst-1", Kind: 3, Name: "purchase", Postback: "none"})
		}
		if day == 0 {
			tx.PutInstall(&Install{InstallID: "inst-1", EventID: ids[0], Match: MatchOrganic})
			tx.PutSignup("inst-1", ids[1])
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	day0 := put(0, 2500) // recorded on t0's day
	clk.Advance(24 * time.Hour)
	day1 := put(1, 10) // the next day
	// A decided held event is written again: it stays indexed under its
	// first day too, and goes with the first of them.
	tx := s.BeginConversions()
	tx.PutEvent(&Event{EventID: day0[5], InstallID: "inst-1", Kind: 3, Name: "purchase", Match: MatchDeviceID, Postback: "queued"})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	has := func(id string) bool {
		_, err := s.GetEvent(id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	// Day 0 ends at t0+24h; it expires once that is 48 h old.
	clk.Set(t0.Add(72*time.Hour - time.Second))
	if n, err := s.ExpireEvents(); err != nil || n != 0 {
		t.Fatalf("ExpireEvents before day 0 is 48 h old = %d, %v; want 0", n, err)
	}
	clk.Set(t0.Add(72 * time.Hour))
	if n, err := s.ExpireEvents(); err != nil || n != 2500 {
		t.Fatalf("ExpireEvents = %d, %v; want day 0's 2500", n, err)
	}
	for _, id := range []string{day0[0], day0[5], day0[2499]} {
		if has(id) {
			t.Errorf("event %s of day 0 still stored", id)
		}
	}
	for _, id := range day1 {
		if !has(id) {
			t.Errorf("event %s of day 1 expired", id)
		}
	}
	if _, err := s.GetInstall("inst-1"); err != nil {
		t.Errorf("install expired with its events: %v", err)
	}
	tx = s.BeginConversions()
	sid, seen, err := tx.Signup("inst-1")
	tx.Abort()
	if err != nil || !seen || sid != day0[1] {
		t.Errorf("signup marker after expiry: %q %v %v", sid, seen, err)
	}
	if n := countPrefix(t, s, []byte{tableEventDay}); n != 10+1 {
		t.Errorf("%d day index keys left, want day 1's 11", n)
	}
	// Nothing left to do: nothing read again.
	if n, err := s.ExpireEvents(); err != nil || n != 0 {
		t.Fatalf("second ExpireEvents = %d, %v", n, err)
	}
	clk.Set(t0.Add(96 * time.Hour))
	if n, err := s.ExpireEvents(); err != nil || n != 11 {
		t.Fatalf("ExpireEvents of day 1 = %d, %v; want its 11 index keys", n, err)
	}
	if n := countPrefix(t, s, []byte{tableEventDay}); n != 0 {
		t.Errorf("%d day index keys left, want 0", n)
	}
}

// Without EventRetention events are kept, and nothing is indexed by day.
func TestEventsKeptWithoutRetention(t *testing.T) {
	clk := newClock(t0)
	s := openOpts(t, Options{Durability: Async, Now: clk.Now})
	tx := s.BeginConversions()
	tx.PutEvent(&Event{EventID: "e1", InstallID: "i1", Postback: "none"})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * 365 * 24 * time.Hour)
	if n, err := s.ExpireEvents(); err != nil || n != 0 {
		t.Fatalf("ExpireEvents = %d, %v", n, err)
	}
	if _, err := s.GetEvent("e1"); err != nil {
		t.Fatal(err)
	}
	if n := countPrefix(t, s, []byte{tableEventDay}); n != 0 {
		t.Fatalf("%d day index keys without a retention", n)
	}
}
