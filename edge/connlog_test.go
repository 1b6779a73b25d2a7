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

// A request the public listener cannot read is answered 400 and counted
// in clickedge_requests_unread_total; an edge on the internet gets them from
// every scanner, so fasthttp's line about each one is a debug line, not a
// warning. With anonymize_ip that line names the connection's network,
// not its address, and leaves out the bytes received, which may hold a
// tracking link's ip parameter. The rest of a head fasthttp read is never
// quoted: it may hold a bearer token (TestUnreadRequestLogsNoBearerToken).
func TestUnreadRequestLogs(t *testing.T) {
	for _, tc := range []struct {
		name, extra string
		level       slog.Level
		want        []string // in the log
		notWant     []string
	}{
		{name: "info", level: slog.LevelInfo, notWant: []string{"error when serving connection"}},
		{
			name: "debug", level: slog.LevelDebug,
			// The head's bytes are left out (they may hold a token); a
			// request line fasthttp cannot parse is still quoted.
			want: []string{"error when serving connection", "level=DEBUG", "127.0.0.1:", "BLAH ip=203.0.113.77"},
		},
		{
			name: "debug, anonymize_ip", extra: "anonymize_ip: true\n", level: slog.LevelDebug,
			want:    []string{"request not read", "level=DEBUG", "remote=127.0.0.0"},
			notWant: []string{"127.0.0.1", "203.0.113.77", "BLAH"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse("test.yaml", []byte("listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\ndata_dir: "+
				filepath.Join(t.TempDir(), "data")+"\n"+tc.extra), nil)
			if err != nil {
				t.Fatal(err)
			}
			var logs testlog.Buffer
			e, err := Start(cfg, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: tc.level})))
			if err != nil {
				t.Fatal(err)
			}
			defer e.Shutdown(t.Context())
			c, err := net.Dial("tcp", e.PublicAddr())
			if err != nil {
				t.Fatal(err)
			}
			c.Write([]byte("BLAH ip=203.0.113.77\r\n\r\n"))
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			answer := make([]byte, 512)
			n, _ := c.Read(answer)
			c.Close()
			if !strings.HasPrefix(string(answer[:n]), "HTTP/1.1 400 ") {
				t.Fatalf("answer %q, want a 400", answer[:n])
			}
			// fasthttp logs after the answer, when the connection ends.
			deadline := time.Now().Add(5 * time.Second)
			for len(tc.want) > 0 && !strings.Contains(logs.String(), tc.want[0]) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if len(tc.want) == 0 {
				time.Sleep(200 * time.Millisecond)
			}
			// fasthttp's lines only: the start-up line names the listeners.
			var lines []string
			for l := range strings.Lines(logs.String()) {
				if strings.Contains(l, "component=http") {
					lines = append(lines, l)
				}
			}
			got := strings.Join(lines, "")
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("log lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("log has %q:\n%s", w, got)
				}
			}
		})
	}
}
