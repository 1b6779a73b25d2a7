package store

import (
	"errors"
	"net/netip"
	"testing"
)

// TestRequestsAfterClose: every call a request handler or the admin API
// makes fails with errClosed once Close has begun, rather than reach the
// closed Pebble, which panics. (A request can outlive the listeners'
// drain timeout.)
func TestRequestsAfterClose(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), Durability: Async})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var c Click
	app, id := []byte("com.example"), []byte("38400000-8cf0-11bd-b23e-10b96e40000d")
	for name, call := range map[string]func() error{
		"GetClick":       func() error { _, _, err := s.GetClick(id, &c, nil); return err },
		"ClickUserAgent": func() error { _, err := s.ClickUserAgent(id); return err },
		"LatestByDevice": func() error { _, _, err := s.LatestByDevice(app, DeviceGAID, id, 1e9, 0, nil, &c, nil); return err },
		"DeviceClicks":   func() error { return s.DeviceClicks(app, DeviceGAID, id, func(*Click) {}) },
		"LatestByFingerprint": func() error {
			_, _, err := s.LatestByFingerprint(app, netip.MustParseAddr("192.0.2.1"), PlatformAndroid, nil, 1e9, 0, nil, &c, nil)
			return err
		},
		"PutClick":   func() error { _, err := s.PutClick(&Click{ClickID: []byte("k")}); return err },
		"GetInstall": func() error { _, err := s.GetInstall("i"); return err },
		"GetEvent":   func() error { _, err := s.GetEvent("e"); return err },
		"Update": func() error {
			return s.Update(func(w *Writer) error { w.OutboxPut(QueuePostback, 1, StatusPending, 1, nil); return nil })
		},
		"OutboxScan": func() error {
			return s.OutboxScan(QueuePostback, StatusPending, 0, 1<<40, false, 0, func(OutboxEntry) bool { return true })
		},
		"OutboxScanFrom": func() error {
			return s.OutboxScanFrom(QueuePostback, StatusPending, 0, 0, 1<<40, 0, func(OutboxEntry) bool { return true })
		},
		"OutboxGet":      func() error { _, err := s.OutboxGet(QueuePostback, 1); return err },
		"OutboxCount":    func() error { _, err := s.OutboxCount(QueuePostback, StatusPending); return err },
		"Checkpoint":     func() error { return s.Checkpoint(t.TempDir() + "/cp") },
		"ExportInstalls": func() error { return s.ExportInstalls(0, 1, func(*Install) bool { return true }) },
	} {
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s after Close panicked: %v", name, p)
				}
			}()
			if err := call(); !errors.Is(err, errClosed) {
				t.Errorf("%s after Close: %v, want errClosed", name, err)
			}
		}()
	}
}
