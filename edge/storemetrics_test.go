package edge

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestStoreMetrics: /metrics reports the edge's build (version, Go,
// region) and the store (its size, the LSM's shape,
// background work, the block cache, write stalls) beside the request
// metrics, and the whole exposition stays valid: one TYPE line per family.
func TestStoreMetrics(t *testing.T) {
	e := startLocalEdge(t, `apps:
  com.example.app: {web: "https://example.com/"}
campaigns:
  camp: {app: com.example.app}
`)
	if code, _ := request(t, "GET", "http://"+e.PublicAddr(), "/?c=camp&click_id=m1", ""); code != 302 {
		t.Fatalf("click: %d", code)
	}
	code, body := request(t, "GET", "http://"+e.AdminAddr(), "/metrics", "")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	values := map[string]float64{}
	types := map[string]string{}
	for _, line := range strings.Split(body, "\n") {
		if f, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, typ, _ := strings.Cut(f, " ")
			if types[name] != "" {
				t.Errorf("two TYPE lines for %s", name)
			}
			types[name] = typ
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Errorf("unreadable line %q", line)
		}
		values[line[:i]] = v
	}
	for _, m := range []struct {
		series, typ string
		positive    bool
	}{
		{"clickedge_store_disk_bytes", "gauge", true},
		{"clickedge_store_wal_bytes", "gauge", true},
		{"clickedge_store_memtable_bytes", "gauge", true},
		{`clickedge_store_sstables{level="0"}`, "gauge", false},
		{`clickedge_store_sstables{level="6"}`, "gauge", false},
		{`clickedge_store_sstable_bytes{level="6"}`, "gauge", false},
		{"clickedge_store_l0_sublevels", "gauge", false},
		{"clickedge_store_read_amplification", "gauge", false},
		{"clickedge_store_compaction_debt_bytes", "gauge", false},
		{"clickedge_store_compactions_running", "gauge", false},
		{"clickedge_store_compactions_total", "counter", false},
		{"clickedge_store_flushes_total", "counter", false},
		{"clickedge_store_block_cache_bytes", "gauge", false},
		{"clickedge_store_block_cache_hits_total", "counter", false},
		{"clickedge_store_block_cache_misses_total", "counter", false},
		{"clickedge_store_write_stalls_total", "counter", false},
		{"clickedge_store_write_stall_seconds_total", "counter", false},
		{`clickedge_build_info{version="` + Version + `",go_version="` + runtime.Version() + `",region="` + e.cfg.Load().Region + `"}`, "gauge", true},
	} {
		v, ok := values[m.series]
		family, _, _ := strings.Cut(m.series, "{")
		switch {
		case !ok:
			t.Errorf("no %s", m.series)
		case types[family] != m.typ:
			t.Errorf("%s: TYPE %q, want %q", family, types[family], m.typ)
		case m.positive && v <= 0:
			t.Errorf("%s = %v, want > 0", m.series, v)
		case v < 0:
			t.Errorf("%s = %v", m.series, v)
		}
	}
}
