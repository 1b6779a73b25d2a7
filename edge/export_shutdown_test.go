package edge

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clickedge/clickedge/config"
)

// parseLocal parses yaml with the listeners on free 127.0.0.1 ports and a
// temp data directory, for a test that starts and stops the edge itself.
func parseLocal(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte("listen: \"127.0.0.1:0\"\nadmin_listen: \"127.0.0.1:0\"\ndata_dir: \""+t.TempDir()+"\"\n"+yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// postInstalls posts n installs (ids prefix-000000…) with long user agents,
// in batches the public listener takes.
func postInstalls(t *testing.T, e *Edge, prefix string, n int) {
	t.Helper()
	for start := 0; start < n; start += 8000 {
		var batch strings.Builder
		for i := start; i < min(n, start+8000); i++ {
			fmt.Fprintf(&batch, `{"type":"install","install_id":"%s-%06d","app":"com.example.app","user_agent":"%s"}`+"\n", prefix, i, strings.Repeat("x", 500))
		}
		resp, err := http.Post("http://"+e.PublicAddr()+"/v1/conversions/batch", "application/x-ndjson", strings.NewReader(batch.String()))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("batch: %d", resp.StatusCode)
		}
	}
}

// An export whose client has stopped reading (curl piped into less, a
// paused job) must not hold the edge's shutdown: the README says a SIGTERM
// stops the edge within 25 s and a second signal at once, and the store
// says Close does not wait for an export. Close waited for the export's
// scan, blocked writing to the client, for exportWriteTimeout (10 min),
// whatever Shutdown's context said.
func TestShutdownWithStalledExportClient(t *testing.T) {
	t.Cleanup(func(d time.Duration) func() { return func() { exportWriteTimeout = d } }(exportWriteTimeout))
	exportWriteTimeout = 30 * time.Second // 10 min in production; bounded here
	cfg := parseLocal(t, `admin_token: "tok"
durability: async
apps:
  com.example.app: {web: "https://example.com/"}
`)
	e, err := Start(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	postInstalls(t, e, "install", 16000) // ~13 MB of export, more than the buffers hold

	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	conn, err := d.Dial("tcp", e.AdminAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /admin/v1/export/installs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok\r\n\r\n")
	r := bufio.NewReaderSize(conn, 4096)
	if line, err := r.ReadString('\n'); err != nil || !strings.Contains(line, "200") {
		t.Fatalf("export: %q %v", line, err)
	}
	// The client reads no more; let the edge fill the buffers.
	time.Sleep(500 * time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- e.Shutdown(ctx) }()
	select {
	case err := <-done:
		t.Logf("Shutdown returned after %v: %v", time.Since(start).Round(time.Millisecond), err)
	case <-time.After(8 * time.Second):
		t.Errorf("Shutdown with a 3 s context still running after %v: the store's Close waits for the export's stalled client", time.Since(start).Round(time.Millisecond))
		conn.Close() // let it end
		<-done
	}
}
