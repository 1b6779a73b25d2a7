package store

import "sync"

// opGate counts the outbox scans and updates under way, which Close waits
// for before it closes the database. The admin API lists and re-drives
// whole queues from requests that may outlive the listeners' drain at a
// SIGTERM: closed under such a scan's iterator, Pebble's Close failed
// ("leaked iterators") and the edge exited 1, and an update under way
// would have committed to a closed database
// (TestShutdownDuringLongAdminScan). Unlike the RWMutex exports use,
// entering never waits, so a scan whose callback updates cannot deadlock a
// Close that waits for it.
type opGate struct {
	mu   sync.Mutex
	idle sync.Cond // broadcast when n drops to 0
	n    int
}

// enter counts an operation in, or returns errClosed (with op's name) once
// Close has begun.
func (s *Store) enter(op string) error {
	g := &s.ops
	g.mu.Lock()
	defer g.mu.Unlock()
	// closed is set before Close takes mu to wait: an operation counted
	// in before that is waited for, one after sees closed.
	if err := s.shut(op); err != nil {
		return err
	}
	g.n++
	return nil
}

// leave counts an operation out.
func (s *Store) leave() {
	g := &s.ops
	g.mu.Lock()
	if g.n--; g.n == 0 && g.idle.L != nil {
		g.idle.Broadcast()
	}
	g.mu.Unlock()
}

// waitOps returns when no operation is under way; closed must be set.
func (s *Store) waitOps() {
	g := &s.ops
	g.mu.Lock()
	g.idle.L = &g.mu
	for g.n > 0 {
		g.idle.Wait()
	}
	g.mu.Unlock()
}
