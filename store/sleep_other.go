//go:build !linux

package store

import "time"

// shortSleep blocks for about d; see sleep_linux.go.
func shortSleep(d time.Duration) { time.Sleep(d) }
