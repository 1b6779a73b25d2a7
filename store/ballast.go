package store

import (
	"log/slog"
	"path/filepath"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/clickedge/clickedge/internal/logthrottle"
)

// The emergency ballast.
//
// Pebble cannot go on past a failed WAL write: its commit pipeline stops,
// and the edge with it (pebbleLogger.Fatalf). A full disk would stop the
// edge at the first click it could not log, and again at every restart. So
// the store holds some space back for itself: EMERGENCY_BALLAST in the data
// directory, allocated (not written) at Open. The first write that finds
// the disk full deletes it and is tried again (vfs.OnDiskFull), and the
// edge goes on, logging an error and counting
// clickedge_store_disk_full_total, for as long as that space lasts: the
// time an operator has to free some. Open makes the ballast again once
// there is room for it.

const ballastName = "EMERGENCY_BALLAST"

// ballastSize is 1% of the file system, at most 1 GiB: minutes of clicks
// at full speed, hours at a normal rate.
func ballastSize(total uint64) int64 { return int64(min(total/100, 1<<30)) }

type ballast struct {
	fs       vfs.FS // the file system under OnDiskFull's wrapper
	path     string
	log      *slog.Logger
	released atomic.Uint64 // times the disk was found full
	present  atomic.Bool   // made or found by ensure, not yet released
	// spentLog bounds the errors of a disk that stays full once the
	// ballast is gone: Pebble retries a failed flush at once, over and
	// over, and each try finds the disk full again.
	spentLog *logthrottle.Throttle
}

// onDisk reports whether the ballast's file exists, and whether it holds
// the disk space it was made to hold back.
func (b *ballast) onDisk() (exists, holds bool) {
	fi, err := b.fs.Stat(b.path)
	return err == nil, err == nil && !holdsNoBlocks(fi)
}

// ensure makes the ballast unless it is there, when the disk has room for
// it and as much again: Open must not fill a nearly full disk itself.
func (b *ballast) ensure() error {
	if exists, holds := b.onDisk(); holds {
		b.present.Store(true)
		return nil
	} else if exists {
		// Its name without its blocks: a data directory copied (cp, tar,
		// rsync) copies the file's length, 0, not its preallocation, and a
		// full disk would have released nothing
		// (TestBallastAfterDataDirCopied). Made again below.
		b.present.Store(false)
		if err := b.fs.Remove(b.path); err != nil {
			return err
		}
	}
	du, err := b.fs.GetDiskUsage(filepath.Dir(b.path))
	if err != nil {
		return nil // not known (an in-memory file system): no ballast
	}
	size := ballastSize(du.TotalBytes)
	if size == 0 || du.AvailBytes < uint64(2*size) {
		b.log.Warn("store: no room for the emergency ballast: a full disk will stop the edge at once",
			"ballast_bytes", size, "available_bytes", du.AvailBytes)
		return nil
	}
	f, err := b.fs.Create(b.path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	err = f.Preallocate(0, size) // blocks reserved; the file's length stays 0
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.fs.Remove(b.path)
		return err
	}
	b.present.Store(true)
	return nil
}

// release is OnDiskFull's callback: it deletes the ballast, after which the
// write that found the disk full is tried again. Writes wait meanwhile.
func (b *ballast) release() {
	b.released.Add(1)
	if !b.present.Swap(false) {
		if n, ok := b.spentLog.Allow(); ok {
			b.log.Error("store: disk full, and no emergency ballast is left: the edge stops at its next WAL write that fails",
				"suppressed", n)
		}
		return
	}
	if err := b.fs.Remove(b.path); err != nil {
		b.log.Error("store: disk full; the emergency ballast could not be released", "ballast", b.path, "err", err)
		return
	}
	b.log.Error("store: disk full; released the emergency ballast: free disk space now, the edge stops when this runs out too",
		"ballast", b.path)
}
