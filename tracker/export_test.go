package tracker

import "time"

// SetBatchReadWait sets how long a large batch waits for a slot to be
// read in, for a test, until its cleanup.
func SetBatchReadWait(t interface{ Cleanup(func()) }, d time.Duration) {
	old := batchReadWait
	batchReadWait = d
	t.Cleanup(func() { batchReadWait = old })
}
