//go:build !linux

package store

// threadCPU is not measured off Linux.
func threadCPU() int64 { return 0 }
