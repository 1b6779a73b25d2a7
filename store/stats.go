package store

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/clickedge/clickedge/internal/logthrottle"
)

// Stats is what an operator watches of the store: its size on disk, the
// shape of the LSM (files per level, L0 sublevels, compaction debt), the
// background work, the block cache, and the write stalls that hold clicks
// back while flushes and compactions catch up. The admin listener's
// /metrics reports it.
type Stats struct {
	DiskBytes     uint64        // sstables, WAL and the other files Pebble keeps
	WALBytes      uint64        // written since the last flush: what a restart replays
	MemTableBytes uint64        // allocated, the one filling and those flushing
	Levels        [7]LevelStats // Pebble's levels, L0 to L6
	L0Sublevels   int32
	// ReadAmplification is how many sorted runs a read may have to look
	// at: L0's sublevels and each non-empty level below.
	ReadAmplification   int
	CompactionDebtBytes uint64 // bytes compactions must still rewrite
	CompactionsRunning  int64
	Compactions         int64 // since the store opened
	Flushes             int64
	BlockCacheBytes     int64
	BlockCacheHits      int64
	BlockCacheMisses    int64
	WriteStalls         uint64 // since the store opened
	WriteStallTime      time.Duration
	// BackgroundErrors counts flushes and compactions that failed (a full
	// or failing disk); Pebble retries them.
	BackgroundErrors uint64
	// DiskFull counts the times a write found the disk full (the first
	// released the emergency ballast; see ballast.go).
	DiskFull uint64
}

// LevelStats is one LSM level's sstables.
type LevelStats struct{ Files, Bytes int64 }

// SSTables counts the sstables of every level.
func (st Stats) SSTables() int64 {
	var n int64
	for _, l := range st.Levels {
		n += l.Files
	}
	return n
}

// Stats reads the store's figures; it is cheap enough for every scrape,
// not for every request. A closed store reports none.
func (s *Store) Stats() Stats {
	if s.closed.Load() {
		return Stats{}
	}
	m := s.db.Metrics()
	st := Stats{
		DiskBytes:           m.DiskSpaceUsage(),
		WALBytes:            m.WAL.Size,
		MemTableBytes:       m.MemTable.Size,
		L0Sublevels:         m.Levels[0].Sublevels,
		ReadAmplification:   m.ReadAmp(),
		CompactionDebtBytes: m.Compact.EstimatedDebt,
		CompactionsRunning:  m.Compact.NumInProgress,
		Compactions:         m.Compact.Count,
		Flushes:             m.Flush.Count,
		BlockCacheBytes:     m.BlockCache.Size,
		BlockCacheHits:      m.BlockCache.Hits,
		BlockCacheMisses:    m.BlockCache.Misses,
	}
	if n, ok := s.diskBytes(); ok && n > st.DiskBytes {
		st.DiskBytes = n
	}
	for i := range st.Levels {
		st.Levels[i] = LevelStats{Files: m.Levels[i].TablesCount, Bytes: m.Levels[i].TablesSize}
	}
	st.WriteStalls, st.WriteStallTime = s.stalls.read()
	st.BackgroundErrors = s.stalls.bgErrors.Load()
	st.DiskFull = s.ballast.released.Load()
	return st
}

// writeStalls counts Pebble's write stalls. Pebble reports a stall's
// beginning and end; at most one is under way at a time.
type writeStalls struct {
	count atomic.Uint64
	mu    sync.Mutex
	since time.Time // the stall under way; zero: none
	total time.Duration
	// lastLog rate-limits the warning: a store that stalls over and over
	// logs once a minute, with the count since.
	lastLog     time.Time
	sinceLogged uint64

	// bgErrors counts Pebble's background errors, which bgLog logs at
	// most once every 5 s: a full disk fails a flush, Pebble retries it at
	// once, and each failure was a line onto that disk.
	bgErrors atomic.Uint64
	bgLog    *logthrottle.Throttle
}

const stallLogEvery = time.Minute

func (w *writeStalls) read() (uint64, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	total := w.total
	if !w.since.IsZero() {
		total += time.Since(w.since)
	}
	return w.count.Load(), total
}

// listener is the store's Pebble event listener: it counts the write
// stalls into w and warns of them on log.
func (w *writeStalls) listener(log *slog.Logger) *pebble.EventListener {
	w.bgLog = logthrottle.New(5 * time.Second)
	return &pebble.EventListener{
		BackgroundError: func(err error) {
			w.bgErrors.Add(1)
			if n, ok := w.bgLog.Allow(); ok {
				log.Error("store: background work failed; retrying", "err", err, "suppressed", n)
			}
		},
		WriteStallBegin: func(info pebble.WriteStallBeginInfo) {
			now := time.Now()
			w.count.Add(1)
			w.mu.Lock()
			w.since = now
			w.sinceLogged++
			logIt := now.Sub(w.lastLog) >= stallLogEvery
			n := w.sinceLogged
			if logIt {
				w.lastLog, w.sinceLogged = now, 0
			}
			w.mu.Unlock()
			if logIt {
				// Clicks wait while it lasts: the disk cannot keep up with
				// the writes (see clickedge_store_write_stall_seconds_total).
				log.Warn("store: writes stalled", "reason", info.Reason, "stalls_since_last_warning", n)
			}
		},
		WriteStallEnd: func() {
			w.mu.Lock()
			if !w.since.IsZero() {
				w.total += time.Since(w.since)
				w.since = time.Time{}
			}
			w.mu.Unlock()
		},
	}
}
