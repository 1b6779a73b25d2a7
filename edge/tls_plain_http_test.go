package edge

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/internal/testcert"
)

// A plain HTTP request to the TLS listener (a CDN origin set to http, an
// operator's curl http://) gets a 400 that says why, as Go's net/http
// answers it, rather than a closed connection ("empty reply from server").
// Bytes that are not HTTP get the closed connection still.
func TestPlainHTTPToTLSListener(t *testing.T) {
	dir := t.TempDir()
	cert, key := testcert.Write(t, dir, "edge")
	e := startTestEdge(t, `listen: "127.0.0.1:0"
admin_listen: "127.0.0.1:0"
data_dir: "`+filepath.Join(dir, "data")+`"
tls_cert: "`+cert+`"
tls_key: "`+key+`"
`)
	for _, tc := range []struct {
		name, send, want string
	}{
		{"a click", "GET /?c=demo&click_id=plain HTTP/1.1\r\nHost: x\r\n\r\n",
			"HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"},
		{"a conversion", "POST /v1/conversions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
			"HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"},
		{"not HTTP", "\x00\x01\x02\x03\x04\x05\x06\x07", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", e.PublicAddr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.WriteString(c, tc.send); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(c)
			if err != nil && !strings.Contains(err.Error(), "reset") {
				t.Fatalf("read: %v (got %q)", err, got)
			}
			if string(got) != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	// The listener still speaks TLS.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Get("https://" + e.PublicAddr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz over TLS: %d", resp.StatusCode)
	}
}
