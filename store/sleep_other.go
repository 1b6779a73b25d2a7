//go:build !linux

package store

import "time"

// groupTimer waits with time.Sleep where there is no timerfd; see
// sleep_linux.go for why Linux does not.
type groupTimer struct{}

func newGroupTimer() *groupTimer { return &groupTimer{} }

func (*groupTimer) wait(d time.Duration) { time.Sleep(d) }

func (*groupTimer) close() error { return nil }
