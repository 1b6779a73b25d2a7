package store

import (
	"syscall"
	"time"
)

// shortSleep blocks for d, at most a millisecond, with nanosleep:
// time.Sleep rounds so short a wait up to a millisecond or more when the
// process is otherwise idle (the runtime's poller sleeps in whole
// milliseconds); with a 400µs group interval that measured as a fifth to a
// third fewer durable clicks per second.
func shortSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil) // EINTR only shortens the wait
}
