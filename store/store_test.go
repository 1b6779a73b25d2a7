package store

import (
	"testing"
	"time"
)

func openTest(t testing.TB, d Durability) *Store {
	t.Helper()
	s, err := Open(Options{Dir: t.TempDir(), Durability: d})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func testClick(id string, t time.Time) *Click {
	return &Click{
		ClickID: []byte(id), Campaign: []byte("demo"), App: []byte("com.example.app"),
		Time: t.UnixMilli(), Platform: PlatformAndroid, OSVersion: []byte("14"),
		AffID: []byte("4471"), Sub: [5][]byte{[]byte("a"), nil, []byte("c")},
		GAID:      []byte("38400000-8cf0-11bd-b23e-10b96e40000d"),
		IP:        []byte("203.0.113.10"),
		UserAgent: []byte("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36"),
		Country:   []byte("IN"),
	}
}

func TestPutGetClickSmoke(t *testing.T) {
	s := openTest(t, Sync)
	now := time.Now()
	c := testClick("abc", now)
	if ok, err := s.PutClick(c); err != nil || !ok {
		t.Fatalf("PutClick = %v, %v", ok, err)
	}
	c2 := testClick("abc", now)
	c2.AffID = []byte("other")
	if ok, err := s.PutClick(c2); err != nil || ok {
		t.Fatalf("second PutClick = %v, %v; want first write to win", ok, err)
	}
	var got Click
	_, ok, err := s.GetClick([]byte("abc"), &got, nil)
	if err != nil || !ok {
		t.Fatalf("GetClick = %v, %v", ok, err)
	}
	if string(got.AffID) != "4471" || string(got.GAID) != string(c.GAID) || string(got.IP) != "203.0.113.10" || got.Time != c.Time {
		t.Fatalf("got %+v", got)
	}
	ua, err := s.ClickUserAgent([]byte("abc"))
	if err != nil || ua != string(c.UserAgent) {
		t.Fatalf("ClickUserAgent = %q, %v", ua, err)
	}
	var m Click
	_, ok, err = s.LatestByDevice([]byte("com.example.app"), DeviceGAID, []byte("38400000-8CF0-11BD-B23E-10B96E40000D"), now.Unix(), now.Unix()-3600, func(*Click) bool { return true }, &m, nil)
	if err != nil || !ok || string(m.ClickID) != "abc" {
		t.Fatalf("LatestByDevice = %v, %v, %q", ok, err, m.ClickID)
	}
}
