package edge

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/internal/testnats"
)

// pbSink counts the postbacks it receives, by path.
type pbSink struct {
	addr string
	mu   sync.Mutex
	got  []string
}

func startPBSink(t *testing.T) *pbSink {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &pbSink{addr: ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.got = append(s.got, r.URL.RequestURI())
		s.mu.Unlock()
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *pbSink) count(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, u := range s.got {
		if strings.HasPrefix(u, prefix) {
			n++
		}
	}
	return n
}

// regionYAML is a region's config: every region runs the same partner and
// campaign, and posts to the sink under /<region>/.
func regionYAML(region, dataDir, natsURL, sink string, peers ...string) string {
	return fmt.Sprintf(`listen: "127.0.0.1:0"
admin_listen: "127.0.0.1:0"
data_dir: %q
region: %s
durability: async
allow_private_targets: true
admin_token: tok
replication:
  nats_url: %q
  peers: [%s]
  pending_window: 3s
apps:
  com.example.app: {android: "https://play.google.com/store/apps/details?id=com.example.app", web: "https://example.com/"}
partners:
  net:
    install: "http://%[5]s/%[2]s/install?c={click_id}&i={install_id}"
    events:
      purchase: "http://%[5]s/%[2]s/purchase?c={click_id}&e={event_id}"
campaigns:
  camp: {app: com.example.app, partner: net}
`, dataDir, region, natsURL, strings.Join(peers, ", "), sink)
}

// shutDown holds the edges a test has shut down itself.
var shutDown sync.Map

func startRegionEdge(t *testing.T, yaml string) *Edge {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	e, err := Start(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, done := shutDown.Load(e); !done {
			e.Shutdown(context.Background())
		}
	})
	return e
}

type convAnswer struct {
	Attributed bool   `json:"attributed"`
	Match      string `json:"match"`
	ClickID    string `json:"click_id"`
	Postback   string `json:"postback"`
}

func convert(t *testing.T, e *Edge, body string) convAnswer {
	t.Helper()
	resp, err := http.Post("http://"+e.PublicAddr()+"/v1/conversions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a convAnswer
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&a) != nil {
		t.Fatalf("conversion %s: %d", body, resp.StatusCode)
	}
	return a
}

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// installAt reports the install as an edge's admin API shows it.
func installAt(t *testing.T, e *Edge, id string) (int, string) {
	return request(t, "GET", "http://"+e.AdminAddr(), "/admin/v1/installs/"+id, "Bearer tok")
}

// A region whose disk is replaced starts with an empty data directory.
// Everything it recorded before is still in its region's stream (and in
// its peers' stores), but it reads only its peers' streams: the installs it
// took before are unknown to it, so their users' purchases, which the CDN
// keeps sending to that region, are never attributed or posted, and a
// replayed install is taken again.
func TestRegionWithLostDataDirectory(t *testing.T) {
	ns := testnats.Start(t, -1, t.TempDir())
	sk := startPBSink(t)
	url := ns.ClientURL()
	east := startRegionEdge(t, regionYAML("us-east", t.TempDir(), url, sk.addr, "eu"))
	eu := startRegionEdge(t, regionYAML("eu", t.TempDir(), url, sk.addr, "us-east"))

	if code, _ := request(t, "GET", "http://"+east.PublicAddr(), "/?c=camp&click_id=k1", ""); code != 302 {
		t.Fatalf("click: %d", code)
	}
	if a := convert(t, east, `{"type":"install","install_id":"i1","click_id":"k1","app":"com.example.app"}`); a.Match != "click_id" {
		t.Fatalf("install: %+v", a)
	}
	waitUntil(t, "the install's postback", 10*time.Second, func() bool { return sk.count("/us-east/install") == 1 })
	waitUntil(t, "the install in eu", 10*time.Second, func() bool {
		code, _ := installAt(t, eu, "i1")
		return code == 200
	})
	waitUntil(t, "us-east's outbox published", 10*time.Second, func() bool { return east.Store().ReplicationBacklog() == 0 })

	// The disk is replaced: the same region starts on an empty directory.
	if err := east.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	shutDown.Store(east, true)
	east = startRegionEdge(t, regionYAML("us-east", t.TempDir(), url, sk.addr, "eu"))
	time.Sleep(time.Second) // replication catches up

	for _, tc := range []struct {
		name, body string
		want       func(a convAnswer) bool
	}{
		{"install replayed", `{"type":"install","install_id":"i1","click_id":"k1","app":"com.example.app"}`,
			func(a convAnswer) bool { return a.Postback == "duplicate" }},
		{"purchase of the install", `{"type":"event","install_id":"i1","event_name":"purchase","event_id":"p1","revenue":"1","currency":"USD"}`,
			func(a convAnswer) bool { return a.Attributed && a.ClickID == "k1" }},
	} {
		if a := convert(t, east, tc.body); !tc.want(a) {
			t.Errorf("%s in us-east after its disk was replaced: %+v", tc.name, a)
		}
	}
	time.Sleep(4 * time.Second) // past pending_window
	if code, body := installAt(t, east, "i1"); code != 200 || !strings.Contains(body, `"click_id":"k1"`) {
		t.Errorf("install i1 in us-east after its disk was replaced: %d %s", code, body)
	}
	if n := sk.count("/us-east/purchase"); n != 1 {
		t.Errorf("%d purchase postbacks, want 1", n)
	}
}
