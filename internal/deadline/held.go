package deadline

import (
	"errors"
	"io"
	"time"
)

// Held writes.
//
// An HTTP client writes a request and then reads its answer, and on a
// socket the first read after the write nearly always finds nothing yet:
// one read system call per request that returns EAGAIN before the
// goroutine parks in the poller. (It cannot simply be skipped: the poller
// forgets, when a read begins, that the socket became readable before it,
// so a read that waits without trying first could wait for data that is
// already there.)
//
// A client connection (WrapClient) therefore holds what Write is given and
// sends it from inside the next Read, after the poller has been reset for
// that read. Nothing the peer sends in answer can then arrive unseen: the
// read waits for the socket to become readable without trying it first.
// One system call fewer per request, the same bytes in the same order.
//
// It is for request and answer protocols only, where every write is
// followed by a read (HTTP/1.1 clients; TLS on top sends its handshake
// the same way). A server must not hold its answers: a client that
// pipelines may have sent its next request before the answer is written,
// and a read that waits without trying would not see it.

// maxHeld is the largest write held; a larger one is sent at once.
const maxHeld = 16 << 10

// idleCheckAfter is how long a connection must have been idle for its next
// held write to look for the server's end of file first. A server that
// ends an idle keep-alive connection with a lingering close (Apache
// httpd's event MPM, after KeepAliveTimeout) sends its FIN, then reads and
// drops what comes for two seconds and closes: no reset ever answers the
// request, and the poller has forgotten that the FIN made the socket
// readable, so the read waited out the attempt's timeout
// (TestIdleHalfClosedConnNotWaitedOn). A busy connection keeps the system
// call saved.
const idleCheckAfter = 100 * time.Millisecond

// exchange is the poller's read callback on a client connection: on its
// first call it sends the held write and waits for the answer, on later
// calls it reads.
func (r *rawIO) exchange(fd uintptr) bool {
	if r.exchanged {
		return r.read(fd)
	}
	r.exchanged = true
	r.wmu.Lock()
	defer r.wmu.Unlock()
	if len(r.pending) == 0 {
		return r.read(fd)
	}
	now := time.Now() // one clock read: the idle check's and the next one's
	if !r.sentAt.IsZero() && now.Sub(r.sentAt) >= idleCheckAfter && r.read(fd) {
		// The server ended the connection while it was idle (or sent
		// what nobody asked for): the request is not sent here, and the
		// client makes it again on a fresh connection.
		r.pending = r.pending[:0]
		if r.rerr == nil {
			r.rn, r.rerr = 0, io.EOF
		}
		return true
	}
	r.sentAt = now
	r.wbuf, r.wdone, r.werr = r.pending, 0, nil
	done := r.write(fd)
	sent := r.wdone
	r.wbuf = nil
	switch {
	case r.werr != nil:
		r.pending = r.pending[:0]
		r.rn, r.rerr = 0, r.werr
		return true
	case !done:
		// The socket is full: Read sends the rest with a waiting write.
		r.pending = r.pending[:copy(r.pending, r.pending[sent:])]
		r.sendStalled = true
		r.stalls++
		return true
	}
	r.pending = r.pending[:0]
	return false // sent: wait for the answer, which cannot be there yet
}

// errHeldStalled is rawIO.Read's answer when the socket took only part of
// the held write: Conn.Read sends the rest (flushHeld) and reads again.
var errHeldStalled = errors.New("deadline: held write stalled")

// flushHeld sends what is held, waiting for room as a write does.
func (r *rawIO) flushHeld() error {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	return r.sendPendingLocked()
}

// sendPendingLocked sends what is held; what a failed write did not send
// stays held, to be sent by the next try (after an early expiry of the
// write deadline, say) or the next Read.
func (r *rawIO) sendPendingLocked() error {
	if len(r.pending) == 0 {
		return nil
	}
	n, err := r.writeLocked(r.pending)
	r.pending = r.pending[:copy(r.pending, r.pending[n:])]
	return err
}

// sendHeldNow sends what is held as far as the socket takes it without
// waiting: the last chance before Close.
func (r *rawIO) sendHeldNow() {
	// A Write waiting for room holds the lock, and Close must not wait
	// for it (Close is what unblocks it); that Write sent what was held
	// before its own bytes.
	if !r.wmu.TryLock() {
		return
	}
	defer r.wmu.Unlock()
	if len(r.pending) == 0 {
		return
	}
	r.wbuf, r.wdone, r.werr = r.pending, 0, nil
	r.rc.Write(func(fd uintptr) bool {
		r.write(fd)
		return true // never wait
	})
	r.wbuf, r.pending = nil, r.pending[:0]
}
