package store

import (
	"os"
	"syscall"
	"time"
	"unsafe"
)

// groupTimer is how a sync group's leader waits out groupSyncInterval: a
// timerfd read through the runtime's poller, which parks only the
// goroutine. The two obvious waits each cost durable clicks:
//   - nanosleep keeps the thread's processor for the whole wait, until the
//     runtime takes it back 20µs to 10ms later: one core of two stood idle
//     while clicks waited for a processor.
//   - time.Sleep rounds so short a wait up to a millisecond or more when
//     every processor is idle (the poller sleeps in whole milliseconds):
//     with a 400µs interval, a fifth to a third fewer clicks per second.
//
// Under bench-edge's sync load the timerfd gave 3% more clicks per second
// than nanosleep at 2.5% less CPU per click (median of eight interleaved
// runs; better in six), with one Go processor more than cores for both.
// That extra processor had been worth 6% with nanosleep; with the timerfd
// the default count did 3% better again, so the edge runs with the default.
type groupTimer struct {
	f  *os.File // reads go through the poller; nil: no timerfd, time.Sleep
	fd uintptr  // f's descriptor, for timerfd_settime; valid until close
}

// newGroupTimer returns a timerfd-backed timer, or one that waits with
// time.Sleep where timerfd_create fails (a sandbox that forbids it): slower
// groups, not an edge that cannot start.
func newGroupTimer() *groupTimer {
	const clockMonotonic = 1
	fd, _, errno := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, clockMonotonic, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errno != 0 {
		return &groupTimer{}
	}
	// A non-blocking descriptor: os.File reads it through the poller. (Its
	// Fd method would make it blocking; the number is kept from here.)
	return &groupTimer{f: os.NewFile(fd, "timerfd"), fd: fd}
}

// wait blocks the calling goroutine for d (> 0), allocating nothing. One
// goroutine at a time: only the leader waits.
func (t *groupTimer) wait(d time.Duration) {
	if t.f == nil {
		time.Sleep(d)
		return
	}
	// struct itimerspec{it_interval, it_value}: a one-shot timer.
	spec := [4]int64{2: int64(d / time.Second), 3: int64(d % time.Second)}
	if _, _, errno := syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, t.fd, 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0); errno != 0 {
		time.Sleep(d)
		return
	}
	var expirations [8]byte
	if _, err := t.f.Read(expirations[:]); err != nil {
		time.Sleep(d) // closed or broken: wait anyway
	}
}

func (t *groupTimer) close() error {
	if t.f == nil {
		return nil
	}
	return t.f.Close()
}
