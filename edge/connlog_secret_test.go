package edge

import (
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/internal/testlog"
)

// TestAuditUnreadRequestLogsNoBearerToken: fasthttp's debug line about a
// request it could not read quotes the bytes received, the Authorization
// header among them: the admin token (or a conversion token) of a client
// whose request was malformed ends up in the log.
// TestUnreadRequestLogsNoBearerToken: the debug line about a request that
// could not be read holds no bearer token: fasthttp quoted up to 400 bytes
// of the head, an Authorization header included. Found by an audit.
func TestUnreadRequestLogsNoBearerToken(t *testing.T) {
	const adminTok, convTok = "adm-SECRET-7f3a9c", "conv-SECRET-19b2e4"
	cfg, err := config.Parse("test.yaml", []byte("listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\ndata_dir: "+
		filepath.Join(t.TempDir(), "data")+"\nadmin_token: "+adminTok+"\nconversion_tokens: ["+convTok+"]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs testlog.Buffer
	e, err := Start(cfg, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown(t.Context())
	send := func(addr, req string) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte(req))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		answer := make([]byte, 512)
		n, _ := c.Read(answer)
		t.Logf("answer: %q", answer[:n])
	}
	// A malformed header line (no colon) after a valid Authorization header.
	send(e.AdminAddr(), "GET /admin/v1/report HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+adminTok+"\r\nBROKEN LINE\r\n\r\n")
	send(e.PublicAddr(), "POST /v1/conversions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+convTok+"\r\nBROKEN LINE\r\n\r\n")
	deadline := time.Now().Add(3 * time.Second)
	for strings.Count(logs.String(), "error when serving connection") < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := logs.String()
	for _, tok := range []string{adminTok, convTok} {
		if strings.Contains(got, tok) {
			t.Errorf("the log holds the bearer token %q:\n%s", tok, got)
		}
	}
}
