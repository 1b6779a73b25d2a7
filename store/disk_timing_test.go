package store

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// BenchmarkDiskPerClick stores realistic clicks (200k, or
// CLICKEDGE_DISK_CLICKS), compacts, and reports the sstable bytes per click,
// index keys included, and the share of each table. The work is done once
// however large b.N is.
//
//	go test ./store/ -run '^$' -bench DiskPerClick -benchtime 1x
func BenchmarkDiskPerClick(b *testing.B) {
	n := uint64(200_000)
	if v := os.Getenv("CLICKEDGE_DISK_CLICKS"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			b.Fatal(err)
		}
		n = uint64(f)
	}
	// 200k clicks over 2.3 days at 1 a second: several buckets, as a store
	// in use has.
	clk := newClock(t0)
	s, err := Open(Options{Dir: b.TempDir(), Durability: Async, Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	g := newClickGen(11, t0, time.Second)
	b.ResetTimer()
	if err := s.bulkLoad(g, 0, n, 1000); err != nil {
		b.Fatal(err)
	}
	clk.Set(time.UnixMilli(g.base + int64(n)*g.step))
	if err := s.Compact(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	tables := tableBytes(s)
	b.ReportMetric(float64(tables)/float64(n), "bytes/click")
	b.ReportMetric(float64(s.DiskUsage())/float64(n), "disk-bytes/click")
	b.ReportMetric(0, "ns/op")
	for _, t := range []byte{tableClick, tableDevice, tableFinger, tableUA, tableBucket} {
		size, err := s.db.EstimateDiskUsage([]byte{t}, []byte{t + 1})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(size)/float64(n), "bytes/click-"+string(t))
	}
	if testing.Verbose() {
		b.Logf("%d clicks: sstables %d bytes, disk %d bytes\n%s", n, tables, s.DiskUsage(), s.db.Metrics())
	}
	_ = pebble.Sync
}
