package edge

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/clickedge/clickedge/internal/logthrottle"
)

// acceptRetry is a listener whose Accept waits out errors that pass: the
// process or the system out of file descriptors (EMFILE, ENFILE), the
// kernel out of memory for a socket (ENOBUFS, ENOMEM), a connection reset
// before it was accepted (ECONNABORTED). fasthttp's Serve returns on any
// accept error but a timeout, and the edge then shut down: a burst of
// connections that used up the descriptors for a moment (a CDN opening
// many at once, a scanner, LimitNOFILE left at a distribution's default)
// stopped it for good, with exit 1 (TestListenerSurvivesFDExhaustion). It
// waits as Go's net/http does, from 5 ms doubling to 1 s, and logs at most
// one line every few seconds.
type acceptRetry struct {
	net.Listener
	log       *slog.Logger
	warn      *logthrottle.Throttle
	closed    chan struct{}
	closeOnce sync.Once
}

func newAcceptRetry(ln net.Listener, log *slog.Logger) *acceptRetry {
	return &acceptRetry{Listener: ln, log: log, warn: logthrottle.New(5 * time.Second), closed: make(chan struct{})}
}

func (l *acceptRetry) Accept() (net.Conn, error) {
	var wait time.Duration
	for {
		c, err := l.Listener.Accept()
		if err == nil || !passingAcceptError(err) {
			return c, err
		}
		wait = min(max(2*wait, 5*time.Millisecond), time.Second)
		if suppressed, ok := l.warn.Allow(); ok {
			l.log.Error("edge: accept failed; retrying", "addr", l.Addr().String(), "err", err, "in", wait, "suppressed", suppressed)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-l.closed:
			t.Stop()
			return nil, net.ErrClosed
		}
	}
}

// Close closes the listener and ends a wait in Accept at once.
func (l *acceptRetry) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

func passingAcceptError(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM) ||
		errors.Is(err, syscall.ECONNABORTED)
}
