package store

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// TestStats: what the admin listener's /metrics reports of the store
// follows its state: clicks in the memtable and the WAL, then in sstables
// after a compaction, and the block cache's lookups.
func TestStats(t *testing.T) {
	clk := newClock(t0)
	s := openOpts(t, Options{Dir: t.TempDir(), Durability: Async, Now: clk.Now})
	st := s.Stats()
	if st.MemTableBytes == 0 || st.SSTables() != 0 || st.Flushes != 0 {
		t.Fatalf("a new store: %+v", st)
	}

	g := newClickGen(3, t0, time.Second)
	if err := s.bulkLoad(g, 0, 2000, 100); err != nil {
		t.Fatal(err)
	}
	before := s.Stats()
	if before.WALBytes == 0 || before.DiskBytes == 0 {
		t.Errorf("after 2000 clicks: WAL %d bytes, disk %d bytes", before.WALBytes, before.DiskBytes)
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	after := s.Stats()
	if after.SSTables() == 0 || after.Flushes <= before.Flushes || after.Compactions <= before.Compactions {
		t.Errorf("after a compaction: %d sstables, flushes %d → %d, compactions %d → %d",
			after.SSTables(), before.Flushes, after.Flushes, before.Compactions, after.Compactions)
	}
	var files, bytes int64
	for _, l := range after.Levels {
		files += l.Files
		bytes += l.Bytes
	}
	if files != after.SSTables() || bytes <= 0 || uint64(bytes) > after.DiskBytes {
		t.Errorf("levels: %d files of %d bytes, of %d on disk", files, bytes, after.DiskBytes)
	}
	if after.CompactionsRunning != 0 || after.CompactionDebtBytes != 0 {
		t.Errorf("after a full compaction: %d running, debt %d", after.CompactionsRunning, after.CompactionDebtBytes)
	}

	var c, read Click
	g.fill(&c, 7)
	if _, found, err := s.GetClick(c.ClickID, &read, nil); !found || err != nil {
		t.Fatalf("GetClick %s: %v, %v", c.ClickID, found, err)
	}
	if got := s.Stats(); got.BlockCacheHits+got.BlockCacheMisses <= after.BlockCacheHits+after.BlockCacheMisses {
		t.Errorf("a read from an sstable counted no block cache lookup: %+v", got)
	}
}

// TestWriteStalls: Pebble's write stalls (writes held back while flushes
// or compactions catch up) are counted with their duration, and logged at
// most once a minute.
func TestWriteStalls(t *testing.T) {
	var logs bytes.Buffer
	var w writeStalls
	el := w.listener(slog.New(slog.NewTextHandler(&logs, nil)))
	el.WriteStallBegin(pebble.WriteStallBeginInfo{Reason: "memtable count limit reached"})
	time.Sleep(20 * time.Millisecond)
	el.WriteStallEnd()
	el.WriteStallBegin(pebble.WriteStallBeginInfo{Reason: "L0 file count limit exceeded"})
	el.WriteStallEnd()
	n, d := w.read()
	if n != 2 || d < 20*time.Millisecond || d > 10*time.Second {
		t.Errorf("two stalls, the first 20ms long: counted %d, %v", n, d)
	}
	if got := strings.Count(logs.String(), "writes stalled"); got != 1 || !strings.Contains(logs.String(), "memtable count limit reached") {
		t.Errorf("two stalls within a minute logged %d warnings:\n%s", got, logs.String())
	}
}
