package store

import (
	"syscall"
	"time"
)

// shortSleep blocks for d, a fraction of a millisecond, with nanosleep:
// time.Sleep rounds so short a wait up to about a millisecond when the
// process is otherwise idle (the runtime's poller sleeps in whole
// milliseconds), which measured as a third less durable clicks per second.
func shortSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil) // EINTR only shortens the wait
}
