package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/clickedge/clickedge/internal/testnats"
)

// The README puts NATS credentials in the URL (nats://user:pass@host), so
// `clickedge bench -nats` is given them there. The report is made to be
// read and passed around (report.html, report.json, the printed table):
// none of it may carry the password.
func TestNATSPasswordNotInReport(t *testing.T) {
	const pass = "s3cret-nats-pass"
	ns := testnats.StartWith(t, &server.Options{Port: -1, StoreDir: t.TempDir(), Username: "bench", Password: pass})
	natsURL := "nats://bench:" + pass + "@" + ns.Addr().String()
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"-clicks", "100", "-conversions", "10", "-rate", "100", "-durability", "async",
		"-conns", "4", "-nats", natsURL, "-out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("bench exit %d\n%s", code, stderr.String())
	}
	for _, f := range []struct{ name, text string }{
		{"stdout", stdout.String()},
		{"stderr", stderr.String()},
		{"report.json", readFile(t, filepath.Join(out, "report.json"))},
		{"report.html", readFile(t, filepath.Join(out, "report.html"))},
	} {
		if i := strings.Index(f.text, pass); i >= 0 {
			t.Errorf("%s carries the NATS password: …%s…", f.name, f.text[max(0, i-40):min(len(f.text), i+len(pass)+10)])
		}
	}
}

func TestRedactedURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"nats://user:pass@127.0.0.1:4222", "nats://****@127.0.0.1:4222"},
		{"nats://s3cret-token@127.0.0.1:4222", "nats://****@127.0.0.1:4222"},
		{"nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"nats://a:b@h1:4222,nats://c:d@h2:4222", "nats://****@h1:4222,nats://****@h2:4222"},
		{"http://key:@edge.example.com:8080", "http://****@edge.example.com:8080"},
		{"", ""},
	} {
		if got := redactedURL(c.in); got != c.want {
			t.Errorf("redactedURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
