package edge

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"time"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/store"
)

// The keys read only at start keep their running values until a restart
// (README), for every reader of the config: a SIGHUP that adds a
// replication block to an edge started without one does not make it hold
// conversions (no replicator runs), and /metrics keeps the running region.
func TestReloadKeepsRestartOnlyReplication(t *testing.T) {
	dir := t.TempDir()
	base := "listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\ndata_dir: " + dir + "\n" +
		"apps: {com.example.app: {web: \"https://example.com/\"}}\ncampaigns: {camp: {app: com.example.app}}\n"
	parse := func(yaml string) *config.Config {
		cfg, err := config.Parse("test.yaml", []byte(yaml), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	e, err := Start(parse(base), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Shutdown(context.Background()) })
	public := "http://" + e.PublicAddr()
	post := func(body string) string {
		resp, err := http.Post(public+"/v1/conversions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got := post(`{"type":"install","install_id":"i1"}`); !strings.Contains(got, `"match":"organic"`) {
		t.Fatalf("before reload: %s", got)
	}
	if err := e.Reload(parse(base + "region: us-east\nreplication: {nats_url: \"nats://127.0.0.1:4222\", peers: [ap-south], pending_window: 10m}\n")); err != nil {
		t.Fatal(err)
	}
	if got := post(`{"type":"install","install_id":"i2"}`); !strings.Contains(got, `"match":"organic"`) {
		t.Errorf("after a reload that only added (restart-only) replication: %s, want organic as before (no replicator runs)", got)
	}
	// region is restart-only too, yet /metrics reports the file's new one.
	req, _ := http.NewRequest("GET", "http://"+e.AdminAddr()+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "clickedge_build_info") && !strings.Contains(l, `region="local"`) {
			t.Errorf("build_info after reload: %s, want the running region \"local\"", l)
		}
	}
}

// Started with replication (pending_window 10m): a reload that drops the
// block (restart-only, warned as such) does not decide held installs at
// once as organic while the replicator still runs.
func TestReloadRemovingReplicationKeepsHolds(t *testing.T) {
	dir := t.TempDir()
	base := "listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\ndata_dir: " + dir + "\nregion: us-east\n" +
		"apps: {com.example.app: {web: \"https://example.com/\"}}\ncampaigns: {camp: {app: com.example.app}}\n"
	repl := "replication: {nats_url: \"nats://127.0.0.1:1\", peers: [ap-south], pending_window: 10m}\n"
	parse := func(yaml string) *config.Config {
		cfg, err := config.Parse("test.yaml", []byte(yaml), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	e, err := Start(parse(base+repl), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Skip("replication start without NATS:", err)
	}
	t.Cleanup(func() { e.Shutdown(context.Background()) })
	resp, err := http.Post("http://"+e.PublicAddr()+"/v1/conversions", "application/json", strings.NewReader(`{"type":"install","install_id":"h1","click_id":"not-here-yet"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"match":"pending"`) {
		t.Fatalf("before reload: %s", b)
	}
	if err := e.Reload(parse(base)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	in, err := e.Store().GetInstall("h1")
	if err != nil {
		t.Fatal(err)
	}
	if in.Match != store.MatchPending {
		t.Errorf("1s after a reload that only removed (restart-only) replication, held install h1 decided as %v; its 10m pending_window was cut short", in.Match)
	}
}

// keepStartOnly keeps every key restartOnlyChanges names (the two lists
// must not drift): a reload changing them all leaves none changed in the
// config in force but turning TLS on, which the listener decides.
func TestKeepStartOnlyCoversRestartOnlyKeys(t *testing.T) {
	parse := func(yaml string) *config.Config {
		cfg, err := config.Parse("test.yaml", []byte(yaml), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	started := parse("listen: 127.0.0.1:1\nadmin_listen: 127.0.0.1:2\ndata_dir: /a\n")
	next := parse(`listen: 127.0.0.1:3
admin_listen: 127.0.0.1:4
data_dir: /b
durability: async
sync_interval: 5ms
click_retention: 10d
event_retention: 30d
cache_size: 128MiB
region: us-east
replication: {nats_url: "nats://127.0.0.1:4222", peers: [eu]}
`)
	if all := restartOnlyChanges(started, next); len(all) < 10 {
		t.Fatalf("the reload changes only %v", all)
	}
	keepStartOnly(next, started)
	if left := restartOnlyChanges(started, next); len(left) != 0 {
		t.Errorf("keys still changed after keepStartOnly: %v", left)
	}
}
