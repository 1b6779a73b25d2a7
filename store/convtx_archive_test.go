package store

import (
	"errors"
	"testing"
	"time"
)

// TestConvTxArchive: ConvTx embeds Writer, so OutboxArchive is
// callable in a conversion transaction, but ConvTx.Commit never adds the
// segment being built (Update does, via flushSegment): the entry's pending
// key is SingleDeleted and its archived copy is never written.
func TestConvTxArchive(t *testing.T) {
	clk := newClock(t0)
	s := openClock(t, Sync, 24*time.Hour, clk)
	if err := s.Update(func(w *Writer) error {
		w.OutboxPut(QueuePostback, 7, StatusPending, 100, []byte("job"))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tx := s.BeginConversions()
	tx.OutboxArchive(QueuePostback, 7, StatusPending, 100, StatusDelivered, 200, []byte("job"))
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := s.OutboxGet(QueuePostback, 7)
	if errors.Is(err, ErrNotFound) {
		t.Fatal("entry 7 lost: its pending key was deleted and no archive segment written")
	}
	if err != nil || string(got) != "job" {
		t.Fatalf("OutboxGet = %q, %v", got, err)
	}
}
