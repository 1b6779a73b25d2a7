package store

import (
	"fmt"
	"math/rand/v2"
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

// BenchmarkDiskPerConversion stores realistic conversions as the tracker
// writes them (100k installs, each with its own event record, and two
// purchases per install), compacts, and reports the sstable bytes per
// install (its record and its event record) and per in-app event.
// Conversions do not expire (README, "Retention of conversions"): this is
// what an operator plans disk for.
//
//	go test ./store/ -run '^$' -bench DiskPerConversion -benchtime 1x
func BenchmarkDiskPerConversion(b *testing.B) {
	b.Run("kept", func(b *testing.B) { benchDiskPerConversion(b, 0) })
	// With event_retention, each event also has its day's index key.
	b.Run("event_retention", func(b *testing.B) { benchDiskPerConversion(b, 90*24*time.Hour) })
}

func benchDiskPerConversion(b *testing.B, retention time.Duration) {
	const installs, perInstall = 100_000, 2
	s, err := Open(Options{Dir: b.TempDir(), Durability: Async, EventRetention: retention})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ua := "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A.240305.019)"
	// Ids as random as real ones: a UUID, a network's click id, an
	// app's event id compress no better than their entropy allows.
	rng := rand.New(rand.NewPCG(5, 6))
	uuid := func() string {
		return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xfff,
			0x8000|rng.Uint32()&0x3fff, rng.Uint64()&0xffffffffffff)
	}
	b.ResetTimer()
	for i := 0; i < installs; i += 1000 {
		tx := s.BeginConversions()
		for k := i; k < i+1000; k++ {
			id := uuid()
			at := int64(1764115200 + k)
			in := &Install{InstallID: id, EventID: fmt.Sprintf("eu-west-0%016x", rng.Uint64()), App: "com.example.app",
				Platform: PlatformAndroid, Time: at, Match: MatchClickID, ClickID: fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()),
				Campaign: "OgWmhiSXhG", Partner: "acme", ClickTime: at*1000 - 90_000, AffID: "4471", PubID: "site_209",
				Sub:  [5]string{"diwali_sale", fmt.Sprintf("banner_%d", k%32), "", "", ""},
				GAID: uuid(), IP: fmt.Sprintf("%d.%d.%d.%d", 1+rng.IntN(223), rng.IntN(256), rng.IntN(256), rng.IntN(256)),
				UserAgent: ua, Country: "IN", AppVersion: "3.1.4"}
			tx.PutInstall(in)
			tx.PutEvent(&Event{EventID: in.EventID, InstallID: id, Kind: 1, Name: "install", Time: at,
				Match: MatchClickID, Attributed: true, ClickID: in.ClickID, Campaign: in.Campaign, Postback: "queued", PostbackID: uint64(k)})
			for e := range perInstall {
				tx.PutEvent(&Event{EventID: uuid(), InstallID: id, Kind: 3, Name: "purchase",
					Time: at + 600, Revenue: "9.99", Currency: "USD", Match: MatchClickID, Attributed: true,
					ClickID: in.ClickID, Campaign: in.Campaign, Postback: "queued", PostbackID: uint64(k*4 + e)})
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Compact(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	size := func(t byte) float64 {
		n, err := s.db.EstimateDiskUsage([]byte{t}, []byte{t + 1})
		if err != nil {
			b.Fatal(err)
		}
		return float64(n)
	}
	// An install's event record is one of the 'e' table's 3 per install,
	// and so is its day index key.
	events := size(tableEvent) + size(tableEventDay)
	b.ReportMetric((size(tableInstall)+events/(1+perInstall))/installs, "bytes/install")
	b.ReportMetric(events/(1+perInstall)/installs, "bytes/event")
	b.ReportMetric(0, "ns/op")
}
