package tracker_test

import (
	"net"
	"testing"

	"github.com/clickedge/clickedge/internal/deadline"
	"github.com/clickedge/clickedge/tracker"
)

// serveTracker serves tr on 127.0.0.1 with the public listener's own server
// (Tracker.NewServer, as edge uses it) until the test ends, and returns the
// address. The body-size tests rely on its limits: without its
// DisablePreParseMultipartForm the "10 MiB multipart" case would hang.
func serveTracker(t testing.TB, tr *tracker.Tracker) string {
	t.Helper()
	srv := tr.NewServer(nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	// As edge.Start serves it: the lingering close of an answer whose body
	// was left unread (closeUnread) needs deadline.Conn; on a bare
	// listener a client still sending a refused body read a reset, not
	// the 400, now and then under load.
	go func() { done <- srv.Serve(deadline.Listener{Listener: ln}) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return ln.Addr().String()
}
