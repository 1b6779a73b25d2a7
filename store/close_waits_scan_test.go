package store

import (
	"errors"
	"testing"
	"time"
)

// TestCloseWaitsForOutboxScanAndUpdate: Close begun while an outbox scan
// is under way waits for it (and for an Update its callback makes, which
// sees closed) and then closes cleanly; a scan that goes on reading sees
// closed and stops. Deterministic about the order: the callback waits
// until Close has set closed before it returns.
func TestCloseWaitsForOutboxScanAndUpdate(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), Durability: Async})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(func(w *Writer) error {
		for i := range 3 * exportCheckEvery {
			w.OutboxPut(QueuePostback, uint64(i+1), StatusPending, 1, []byte("x"))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	closeErr := make(chan error, 1)
	var updErr error
	n := 0
	scanErr := s.OutboxScan(QueuePostback, StatusPending, 0, 1<<40, false, 0, func(OutboxEntry) bool {
		if n++; n == 1 {
			go func() { closeErr <- s.Close() }()
			for !s.closed.Load() {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond) // Close, ungated, would close Pebble now
			updErr = s.Update(func(w *Writer) error { return nil })
		}
		return true
	})
	if !errors.Is(scanErr, errClosed) || n >= 3*exportCheckEvery {
		t.Errorf("scan across Close: read %d of %d, %v; want it stopped with errClosed", n, 3*exportCheckEvery, scanErr)
	}
	if !errors.Is(updErr, errClosed) {
		t.Errorf("Update after Close began: %v, want errClosed", updErr)
	}
	if err := <-closeErr; err != nil {
		t.Fatalf("Close during an outbox scan: %v", err)
	}
}
