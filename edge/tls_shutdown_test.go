package edge

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/internal/testcert"
)

// A client that opened a connection to the TLS listener and has not (yet)
// sent its ClientHello, or sent only part of it (a phone on a bad network,
// a scanner), must not hold up SIGTERM's Shutdown: over plain HTTP such a
// connection is closed as idle within 5 s, but over TLS fasthttp runs the
// handshake before it registers the connection, so Shutdown waits for the
// handshake's 30 s read timeout, past main's 25 s budget.
func TestShutdownWithSilentTLSClient(t *testing.T) {
	dir := t.TempDir()
	cert, key := testcert.Write(t, dir, "edge")
	cfg, err := config.Parse("test.yaml", []byte(`listen: "127.0.0.1:0"
admin_listen: "127.0.0.1:0"
data_dir: "`+filepath.Join(dir, "data")+`"
tls_cert: "`+cert+`"
tls_key: "`+key+`"
`), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	e, err := Start(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	silent, err := net.Dial("tcp", e.PublicAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	half, err := net.Dial("tcp", e.PublicAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer half.Close()
	half.Write([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01}) // a record header and the start of a ClientHello
	time.Sleep(100 * time.Millisecond)                     // both accepted

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with a client in its TLS handshake failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
	}
	if d := time.Since(start); d > 6*time.Second {
		t.Fatalf("Shutdown took %v", d)
	}
}
