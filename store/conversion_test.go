package store

import (
	"errors"
	"runtime"
	"sync"
	"testing"
)

func TestConvTxReadsOwnWrites(t *testing.T) {
	s := openClock(t, Sync, 0, newClock(t0))
	tx := s.BeginConversions()
	if _, ok, err := tx.Install("i1"); ok || err != nil {
		t.Fatalf("Install before put = %v, %v", ok, err)
	}
	in := &Install{InstallID: "i1", EventID: "e1", Match: MatchDeviceID, ClickID: "c", Sub: [5]string{"a"}}
	tx.PutInstall(in)
	tx.PutEvent(&Event{EventID: "e1", InstallID: "i1", Postback: "queued", PostbackID: 9})
	tx.PutSignup("i1", "e2")
	tx.OutboxPut(QueuePostback, 9, StatusPending, 1, []byte("pb"))
	got, ok, err := tx.Install("i1")
	if err != nil || !ok || *got != *in {
		t.Fatalf("Install in tx = %+v, %v, %v", got, ok, err)
	}
	ev, ok, err := tx.Event("e1")
	if err != nil || !ok || ev.PostbackID != 9 {
		t.Fatalf("Event in tx = %+v, %v, %v", ev, ok, err)
	}
	if id, ok, err := tx.Signup("i1"); err != nil || !ok || id != "e2" {
		t.Fatalf("Signup in tx = %q, %v, %v", id, ok, err)
	}
	// Not visible outside before Commit.
	if _, err := s.GetInstall("i1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetInstall before commit: %v", err)
	}
	// A later put in the same tx replaces the earlier one.
	in2 := *in
	in2.Match = MatchFingerprint
	tx.PutInstall(&in2)
	if got, _, _ := tx.Install("i1"); got.Match != MatchFingerprint {
		t.Fatalf("second put not seen: %v", got.Match)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err == nil {
		t.Fatal("second Commit succeeded")
	}
	tx.Abort() // harmless after Commit
	if got, err := s.GetInstall("i1"); err != nil || got.Match != MatchFingerprint {
		t.Fatalf("GetInstall = %+v, %v", got, err)
	}
	if ev, err := s.GetEvent("e1"); err != nil || ev.Postback != "queued" {
		t.Fatalf("GetEvent = %+v, %v", ev, err)
	}
	if _, err := s.GetEvent("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetEvent(missing): %v", err)
	}
	if p, err := s.OutboxGet(QueuePostback, 9); err != nil || string(p) != "pb" {
		t.Fatalf("outbox from tx: %q %v", p, err)
	}
	// A later transaction sees the committed records.
	tx = s.BeginConversions()
	defer tx.Abort()
	if id, ok, err := tx.Signup("i1"); err != nil || !ok || id != "e2" {
		t.Fatalf("Signup in a later tx = %q, %v, %v", id, ok, err)
	}
}

func TestConvTxAbort(t *testing.T) {
	s := openClock(t, Async, 0, newClock(t0))
	tx := s.BeginConversions()
	tx.PutInstall(&Install{InstallID: "i1"})
	tx.PutEvent(&Event{EventID: "e1"})
	tx.OutboxPut(QueuePostback, 1, StatusPending, 1, []byte("pb"))
	tx.Abort()
	tx.Abort()
	if err := tx.Commit(); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
	// The lock was released: this would hang otherwise.
	tx = s.BeginConversions()
	if _, ok, err := tx.Install("i1"); ok || err != nil {
		t.Fatalf("aborted install visible: %v %v", ok, err)
	}
	if err := tx.Commit(); err != nil { // empty
		t.Fatal(err)
	}
	if _, err := s.GetInstall("i1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("aborted install stored: %v", err)
	}
	if _, err := s.OutboxGet(QueuePostback, 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("aborted outbox entry stored: %v", err)
	}
}

func TestConvTxDurable(t *testing.T) {
	for _, d := range []Durability{Sync, Async} {
		t.Run(durName[d], func(t *testing.T) {
			clk := newClock(t0)
			dir := t.TempDir()
			s := openOpts(t, Options{Dir: dir, Durability: d, Now: clk.Now})
			tx := s.BeginConversions()
			tx.PutInstall(&Install{InstallID: "i1", Time: t0.Unix()})
			tx.PutEvent(&Event{EventID: "e1", InstallID: "i1"})
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = openOpts(t, Options{Dir: dir, Durability: d, Now: clk.Now})
			if in, err := s.GetInstall("i1"); err != nil || in.Time != t0.Unix() {
				t.Fatalf("GetInstall after reopen = %+v, %v", in, err)
			}
			if _, err := s.GetEvent("e1"); err != nil {
				t.Fatalf("GetEvent after reopen: %v", err)
			}
		})
	}
}

// TestConvTxSerialised: read-modify-write transactions from many goroutines
// lose no update.
func TestConvTxSerialised(t *testing.T) {
	for _, d := range []Durability{Sync, Async} {
		t.Run(durName[d], func(t *testing.T) {
			s := openClock(t, d, 0, newClock(t0))
			const G, N = 16, 40
			var wg sync.WaitGroup
			for range G {
				wg.Go(func() {
					for range N {
						tx := s.BeginConversions()
						ev, ok, err := tx.Event("counter")
						if err != nil {
							tx.Abort()
							t.Error(err)
							return
						}
						if !ok {
							ev = &Event{EventID: "counter"}
						}
						ev.PostbackID++
						tx.PutEvent(ev)
						if err := tx.Commit(); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			ev, err := s.GetEvent("counter")
			if err != nil || ev.PostbackID != G*N {
				t.Fatalf("counter = %+v, %v; want %d", ev, err, G*N)
			}
		})
	}
}

func TestGetInstallCorrupt(t *testing.T) {
	s := openClock(t, Sync, 0, newClock(t0))
	if err := s.db.Set(textKey(tableInstall, "bad"), []byte{installVersion, 0xff}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Set(textKey(tableEvent, "bad"), nil, nil); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, testClick("bad", t0))
	b, _ := s.bucketFor(t0.Unix())
	if err := s.db.Set(appendClickKey(nil, b.start, []byte("bad")), []byte{clickVersion, 1}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetInstall("bad"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("GetInstall(corrupt) err = %v", err)
	}
	if _, err := s.GetEvent("bad"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("GetEvent(corrupt) err = %v", err)
	}
	tx := s.BeginConversions()
	if _, _, err := tx.Install("bad"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("tx.Install(corrupt) err = %v", err)
	}
	tx.Abort()
	var c Click
	if _, _, err := s.GetClick([]byte("bad"), &c, nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("GetClick(corrupt) err = %v", err)
	}
	if _, err := s.ClickUserAgent([]byte("bad")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("ClickUserAgent(corrupt) err = %v", err)
	}
}

// A conversion that reaches a closed store (a request that outlived the
// listener's drain timeout) fails with errClosed; it used to panic inside
// Pebble. One in flight when Close is called finishes first.
func TestConversionsAfterClose(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), Durability: Async})
	if err != nil {
		t.Fatal(err)
	}
	inFlight := s.BeginConversions()
	closed := make(chan error)
	go func() { closed <- s.Close() }()
	for !s.closed.Load() {
		runtime.Gosched()
	}
	inFlight.PutInstall(&Install{InstallID: "before"})
	if err := inFlight.Commit(); err != nil {
		t.Fatalf("a transaction begun before Close: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}

	tx := s.BeginConversions()
	if _, _, err := tx.Install("before"); !errors.Is(err, errClosed) {
		t.Errorf("Install after Close: %v, want errClosed", err)
	}
	if _, _, err := tx.Event("e"); !errors.Is(err, errClosed) {
		t.Errorf("Event after Close: %v, want errClosed", err)
	}
	if _, _, err := tx.Signup("before"); !errors.Is(err, errClosed) {
		t.Errorf("Signup after Close: %v, want errClosed", err)
	}
	tx.PutInstall(&Install{InstallID: "after"})
	if err := tx.Commit(); !errors.Is(err, errClosed) {
		t.Errorf("Commit after Close: %v, want errClosed", err)
	}
	s.BeginConversions().Abort() // the lock was released
}
