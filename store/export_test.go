package store

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"testing"
)

// putConversions commits installs i0..i(n-1), one a minute from t0 (unix
// seconds), each with its install event and a purchase a second later.
func putConversions(t *testing.T, s *Store, t0 int64, n int) {
	t.Helper()
	tx := s.BeginConversions()
	for k := range n {
		at := t0 + int64(k)*60
		id := fmt.Sprintf("i%d", k)
		tx.PutInstall(&Install{InstallID: id, EventID: "install-" + id, App: "com.example", Time: at, Match: MatchClickID, ClickID: "c" + id, Campaign: "camp"})
		tx.PutEvent(&Event{EventID: "install-" + id, InstallID: id, Kind: 1, Time: at, Match: MatchClickID, Attributed: true})
		tx.PutEvent(&Event{EventID: "buy-" + id, InstallID: id, Kind: 3, Name: "purchase", Time: at + 1, Revenue: "9.99", Currency: "USD"})
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestExportScans: the raw-data export walks every install (or event)
// whose time is in [from, to), in one snapshot, and stops when asked.
func TestExportScans(t *testing.T) {
	clk := newClock(t0)
	s := openOpts(t, Options{Dir: t.TempDir(), Durability: Async, Now: clk.Now})
	const base = 1_800_000_000
	putConversions(t, s, base, 10)

	installs := func(from, to int64) (ids []string) {
		t.Helper()
		if err := s.ExportInstalls(from, to, func(in *Install) bool {
			ids = append(ids, in.InstallID)
			return true
		}); err != nil {
			t.Fatal(err)
		}
		slices.Sort(ids)
		return ids
	}
	for _, tc := range []struct {
		from, to int64
		want     []string
	}{
		{base, base + 600, []string{"i0", "i1", "i2", "i3", "i4", "i5", "i6", "i7", "i8", "i9"}},
		{base + 60, base + 180, []string{"i1", "i2"}}, // from inclusive, to exclusive
		{base + 61, base + 120, nil},
		{0, base, nil},
	} {
		if got := installs(tc.from, tc.to); !slices.Equal(got, tc.want) {
			t.Errorf("installs in [%d, %d): %v, want %v", tc.from-base, tc.to-base, got, tc.want)
		}
	}

	var events []string
	if err := s.ExportEvents(base+60, base+120, func(ev *Event) bool {
		events = append(events, ev.EventID+"/"+ev.Name+"/"+ev.Revenue)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(events)
	if want := []string{"buy-i1/purchase/9.99", "install-i1//"}; !slices.Equal(events, want) {
		t.Errorf("events in the second minute: %v, want %v", events, want)
	}

	seen := 0
	if err := s.ExportInstalls(0, base+600, func(*Install) bool { seen++; return seen < 3 }); err != nil || seen != 3 {
		t.Errorf("a scan told to stop after 3: saw %d, %v", seen, err)
	}
}

// An export under way when the store closes stops with errClosed, and
// Close does not wait for it to finish on its own; an export of a closed
// store fails at once.
func TestExportStopsAtClose(t *testing.T) {
	clk := newClock(t0)
	s, err := Open(Options{Dir: t.TempDir(), Durability: Async, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	putConversions(t, s, 1_800_000_000, exportCheckEvery*3)
	closed := make(chan error)
	var scanErr error
	n := 0
	scanErr = s.ExportInstalls(0, 1<<40, func(*Install) bool {
		if n++; n == 1 {
			go func() { closed <- s.Close() }()
			for !s.closed.Load() {
				runtime.Gosched()
			}
		}
		return true
	})
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if !errors.Is(scanErr, errClosed) || n >= exportCheckEvery*3 {
		t.Errorf("export across Close: %d of %d installs, %v; want errClosed before the end", n, exportCheckEvery*3, scanErr)
	}
	if err := s.ExportEvents(0, 1<<40, func(*Event) bool { return true }); !errors.Is(err, errClosed) {
		t.Errorf("export of a closed store: %v, want errClosed", err)
	}
}
