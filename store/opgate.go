package store

import "sync"

// opGate counts the outbox scans and updates under way, which Close waits
// for before it closes the database. The admin API lists and re-drives
// whole queues from requests that may outlive the listeners' drain at a
// SIGTERM: closed under such a scan's iterator, Pebble's Close failed
// ("leaked iterators") and the edge exited 1, and an update under way
// would have committed to a closed database
// (TestShutdownDuringLongAdminScan). It is the clicks' own barrier (a
// mutex that orders the closed check against Close, then a WaitGroup), so
// entering never waits, and a scan whose callback updates cannot deadlock
// a Close that waits for it.
type opGate struct {
	mu sync.Mutex // held across enter's closed check and its Add
	wg sync.WaitGroup
}

// enter counts an operation in, or returns errClosed (with op's name) once
// Close has begun.
func (s *Store) enter(op string) error {
	s.ops.mu.Lock()
	defer s.ops.mu.Unlock()
	if err := s.shut(op); err != nil {
		return err
	}
	s.ops.wg.Add(1)
	return nil
}

// leave counts an operation out.
func (s *Store) leave() { s.ops.wg.Done() }

// waitOps returns when no operation is under way; closed must be set. An
// enter that read closed before it was set has made its Add by the time
// the mutex is free; one after sees closed.
func (s *Store) waitOps() {
	s.ops.mu.Lock()
	s.ops.mu.Unlock() //nolint:staticcheck // an empty critical section is the point
	s.ops.wg.Wait()
}
