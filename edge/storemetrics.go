package edge

import (
	"fmt"
	"io"
	"runtime"

	"github.com/VictoriaMetrics/metrics"

	"github.com/clickedge/clickedge/store"
)

// writeStoreMetrics writes the store's figures (store.Stats) in the
// Prometheus text format, read once per scrape: Pebble gathers its metrics
// under its own locks, too dear for every request and cheap for a scrape.
// The edge writes its own store's, so that an edge needs no process-wide
// registration (tests run several in one process).
func writeStoreMetrics(w io.Writer, st store.Stats) {
	gauge := metrics.WriteGaugeUint64
	gauge(w, "clickedge_store_disk_bytes", st.DiskBytes)
	gauge(w, "clickedge_store_wal_bytes", st.WALBytes)
	gauge(w, "clickedge_store_memtable_bytes", st.MemTableBytes)
	perLevel := func(name string, v func(store.LevelStats) int64) {
		metrics.WriteMetadataIfNeeded(w, name, "gauge")
		for i, l := range st.Levels {
			fmt.Fprintf(w, "%s{level=\"%d\"} %d\n", name, i, v(l))
		}
	}
	perLevel("clickedge_store_sstables", func(l store.LevelStats) int64 { return l.Files })
	perLevel("clickedge_store_sstable_bytes", func(l store.LevelStats) int64 { return l.Bytes })
	gauge(w, "clickedge_store_l0_sublevels", uint64(max(st.L0Sublevels, 0)))
	gauge(w, "clickedge_store_read_amplification", uint64(max(st.ReadAmplification, 0)))
	gauge(w, "clickedge_store_compaction_debt_bytes", st.CompactionDebtBytes)
	gauge(w, "clickedge_store_compactions_running", uint64(max(st.CompactionsRunning, 0)))
	metrics.WriteCounterUint64(w, "clickedge_store_compactions_total", uint64(max(st.Compactions, 0)))
	metrics.WriteCounterUint64(w, "clickedge_store_flushes_total", uint64(max(st.Flushes, 0)))
	gauge(w, "clickedge_store_block_cache_bytes", uint64(max(st.BlockCacheBytes, 0)))
	metrics.WriteCounterUint64(w, "clickedge_store_block_cache_hits_total", uint64(max(st.BlockCacheHits, 0)))
	metrics.WriteCounterUint64(w, "clickedge_store_block_cache_misses_total", uint64(max(st.BlockCacheMisses, 0)))
	metrics.WriteCounterUint64(w, "clickedge_store_write_stalls_total", st.WriteStalls)
	metrics.WriteCounterFloat64(w, "clickedge_store_write_stall_seconds_total", st.WriteStallTime.Seconds())
	metrics.WriteCounterUint64(w, "clickedge_store_background_errors_total", st.BackgroundErrors)
	metrics.WriteCounterUint64(w, "clickedge_store_disk_full_total", st.DiskFull)
}

// writeBuildInfo writes clickedge_build_info, always 1, whose labels say
// which version, built with which Go, serves which region: what a
// dashboard joins on to show a rollout, region by region.
func writeBuildInfo(w io.Writer, region string) {
	metrics.WriteGaugeUint64(w, fmt.Sprintf(`clickedge_build_info{version=%q,go_version=%q,region=%q}`,
		Version, runtime.Version(), region), 1)
}
