package store

import (
	"strconv"
	"testing"
)

// BenchmarkExportInstalls: how fast the raw-data export reads installs
// (each decoded, a tenth of them in the range), from sstables after a
// compaction, as a daily pull over an older store would.
//
//	go test ./store -run '^$' -bench ExportInstalls -benchtime 3x
func BenchmarkExportInstalls(b *testing.B) {
	const n = 200_000
	clk := newClock(t0)
	s, err := Open(Options{Dir: b.TempDir(), Durability: Async, Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const base = 1_800_000_000
	for k := 0; k < n; k += 1000 {
		tx := s.BeginConversions()
		for i := k; i < k+1000; i++ {
			tx.PutInstall(&Install{InstallID: "install-" + strconv.Itoa(i), EventID: "ev-" + strconv.Itoa(i), App: "com.example.app",
				Time: base + int64(i), Match: MatchDeviceID, ClickID: "click-" + strconv.Itoa(i), Campaign: "diwali",
				Partner: "net", GAID: "38400000-8cf0-11bd-b23e-10b96e40000d", IP: "203.0.113.7",
				UserAgent: "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36"})
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Compact(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		kept := 0
		if err := s.ExportInstalls(base, base+n/10, func(*Install) bool { kept++; return true }); err != nil || kept != n/10 {
			b.Fatalf("kept %d, %v", kept, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "installs-read/s")
}
