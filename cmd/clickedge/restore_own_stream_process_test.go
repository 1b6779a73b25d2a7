package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/internal/testnats"
)

// The README's lost-disk case: a new store reads the region's own stream
// (72 hours) back, and "older records are a checkpoint's to restore". An
// operator who restores last night's checkpoint after the disk died must
// not lose what the stream still holds since the checkpoint: the clicks
// and installs made after it, which the peer region has, come back too,
// so a later purchase is attributed and a replayed install is a duplicate
// that posts nothing again.
func TestCheckpointRestoreKeepsRecordsSinceCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	ns := testnats.Start(t, -1, t.TempDir())
	sk := startSink(t, "127.0.0.1:0", nil)
	south := regionEdge(t, "ap-south", "us-east", ns.ClientURL(), sk.addr)
	dir := t.TempDir()
	public, admin := freeAddr(t), freeAddr(t)
	body := fmt.Sprintf(`region: us-east
durability: sync
allow_private_targets: true
replication:
  nats_url: %q
  peers: [ap-south]
  pending_window: 3s
%s
partners:%s
campaigns:
  camp1: { app: com.test.app, partner: acme }
`, ns.ClientURL(), testApps, partnerYAML("acme", sk.addr, "/pb/us-east", ""))
	east := startEdge(t, writeConfig(t, dir, public, admin, body), public, admin)

	east.click(t, "c=camp1&click_id=k-before")
	east.convert(t, `{"type":"install","install_id":"in-before","click_id":"k-before","app":"com.test.app"}`)
	code, out := east.adminPost("/admin/v1/checkpoint")
	if code != 200 {
		t.Fatalf("checkpoint: %d %s", code, out)
	}
	var ck struct{ Checkpoint string }
	if err := json.Unmarshal([]byte(out), &ck); err != nil {
		t.Fatal(err)
	}
	east.click(t, "c=camp1&click_id=k-after")
	if a := east.convert(t, `{"type":"install","install_id":"in-after","click_id":"k-after","app":"com.test.app"}`); a.Match != "click_id" {
		t.Fatalf("install after the checkpoint: %+v", a)
	}
	waitFor(t, "east's records published (the peer has them)", 10*time.Second, func() bool {
		c1, _ := south.adminGet("/admin/v1/clicks/k-after")
		c2, _ := south.adminGet("/admin/v1/installs/in-after")
		return c1 == 200 && c2 == 200
	})
	waitFor(t, "east's postbacks delivered", 10*time.Second, func() bool { return sk.count("event=install&click_id=k-after") == 1 })
	east.stop() // the disk dies

	dir2 := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir2, "data"), os.DirFS(ck.Checkpoint)); err != nil {
		t.Fatal(err)
	}
	public2, admin2 := freeAddr(t), freeAddr(t)
	east2 := startEdge(t, writeConfig(t, dir2, public2, admin2, body), public2, admin2)
	waitFor(t, "the restored edge has what its region recorded after the checkpoint", 15*time.Second, func() bool {
		c1, _ := east2.adminGet("/admin/v1/clicks/k-after")
		c2, _ := east2.adminGet("/admin/v1/installs/in-after")
		return c1 == 200 && c2 == 200
	})
	for _, p := range []string{"/admin/v1/clicks/k-before", "/admin/v1/installs/in-before", "/admin/v1/clicks/k-after", "/admin/v1/installs/in-after"} {
		if code, out := east2.adminGet(p); code != 200 {
			t.Errorf("restored edge: %s: %d %s (the peer region and the own stream have it)", p, code, strings.TrimSpace(out))
		}
	}
	// The app retries the install it sent after the checkpoint: a
	// duplicate, or at least credited to its click as the peer has it.
	a := east2.convert(t, `{"type":"install","install_id":"in-after","click_id":"k-after","app":"com.test.app"}`)
	var final string
	waitFor(t, "a decision", 10*time.Second, func() bool {
		_, final = east2.adminGet("/admin/v1/installs/in-after")
		return !strings.Contains(final, `"match":"pending"`)
	})
	_, peer := south.adminGet("/admin/v1/installs/in-after")
	if a.Postback != "duplicate" && !strings.Contains(final, `"click_id":"k-after"`) {
		t.Errorf("replayed install after the restore answered %+v and was decided\n%s\nwhile the peer region has\n%s", a, strings.TrimSpace(final), strings.TrimSpace(peer))
	}
}
