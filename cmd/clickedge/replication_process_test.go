package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/internal/testnats"
)

// regionEdge starts an edge of region with peers, on the NATS at url,
// posting to sink; async unless extra says otherwise.
func regionEdge(t *testing.T, region, peers, url, sinkAddr string, extra ...string) *edgeProc {
	t.Helper()
	public, admin := freeAddr(t), freeAddr(t)
	durability := "async"
	if len(extra) > 0 {
		durability = extra[0]
	}
	cfg := writeConfig(t, t.TempDir(), public, admin, fmt.Sprintf(`region: %s
durability: %s
allow_private_targets: true
replication:
  nats_url: %q
  peers: [%s]
  pending_window: 20s
%s
partners:%s
campaigns:
  camp1: { app: com.test.app, partner: acme }
  video: { app: com.test.app, partner: acme, view_through_lookback: 24h }
`, region, durability, url, peers, testApps, partnerYAML("acme", sinkAddr, "/pb/"+region, "")))
	return startEdge(t, cfg, public, admin)
}

// Two edges in two regions on one JetStream server: a click made in one is
// attributed by an install that arrives at the other, which posts it; a
// purchase retried in the other region is a duplicate there;
// an install that arrives before its click is held, not organic, and posted
// once the click has come; an impression travels too; the metrics say how
// far replication is.
func TestReplicationBetweenRegions(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	ns := testnats.Start(t, -1, t.TempDir())
	sk := startSink(t, "127.0.0.1:0", nil)
	east := regionEdge(t, "us-east", "ap-south", ns.ClientURL(), sk.addr)
	south := regionEdge(t, "ap-south", "us-east", ns.ClientURL(), sk.addr)

	// A click in us-east, its install in ap-south.
	east.click(t, "c=camp1&click_id=ck-east-1&sub1=spring&gaid=38400000-8cf0-11bd-b23e-10b96e400001")
	waitFor(t, "the click replicated to ap-south", 10*time.Second, func() bool {
		code, _ := south.adminGet("/admin/v1/clicks/ck-east-1")
		return code == 200
	})
	a := south.convert(t, `{"type":"install","install_id":"in1","click_id":"ck-east-1","app":"com.test.app"}`)
	if !a.Attributed || a.Match != "click_id" || a.Postback != "queued" {
		t.Fatalf("install in ap-south for a us-east click answered %+v", a)
	}
	waitFor(t, "ap-south's postback", 10*time.Second, func() bool { return sk.count("/pb/ap-south") == 1 })

	// The install reaches us-east too: a replay there is a duplicate, and
	// nothing is posted from us-east.
	waitFor(t, "the install replicated to us-east", 10*time.Second, func() bool {
		code, body := east.adminGet("/admin/v1/installs/in1")
		return code == 200 && strings.Contains(body, `"match":"click_id"`)
	})
	if a := east.convert(t, `{"type":"install","install_id":"in1","click_id":"ck-east-1","app":"com.test.app"}`); a.Postback != "duplicate" {
		t.Fatalf("the install replayed in us-east answered %+v, want duplicate", a)
	}

	// A purchase posted from ap-south, which the app then retries in
	// us-east (its CDN sent the retry to the next region): the event
	// reached us-east first, so the retry is a duplicate there, posted once.
	a = south.convert(t, `{"type":"event","install_id":"in1","event_name":"purchase","event_id":"buy-1","revenue":"4.99","currency":"USD"}`)
	if !a.Attributed || a.Postback != "queued" {
		t.Fatalf("purchase in ap-south answered %+v", a)
	}
	waitFor(t, "the purchase's postback", 10*time.Second, func() bool { return sk.count("event_id=buy-1") == 1 })
	waitFor(t, "the purchase replicated to us-east", 10*time.Second, func() bool {
		_, metrics := east.adminGet("/metrics")
		return strings.Contains(metrics, `clickedge_replication_stored_total{kind="event"} 2`) // the install's, the purchase's
	})
	if a := east.convert(t, `{"type":"event","install_id":"in1","event_name":"purchase","event_id":"buy-1","revenue":"4.99","currency":"USD"}`); a.Postback != "duplicate" || !a.Attributed {
		t.Fatalf("the purchase retried in us-east answered %+v, want an attributed duplicate", a)
	}

	// An install that beats its click: held, not organic, then attributed
	// and posted once the click arrives. (Its event_time is a minute ahead,
	// so that the click, made here after it, still precedes it.)
	a = south.convert(t, fmt.Sprintf(`{"type":"install","install_id":"in3","click_id":"ck-east-3","app":"com.test.app","event_time":%d}`, time.Now().Unix()+60))
	if a.Attributed || a.Match != "pending" || a.Postback != "pending" {
		t.Fatalf("install before its click answered %+v, want pending", a)
	}
	time.Sleep(600 * time.Millisecond) // a few hold retries: still held
	if code, body := south.adminGet("/admin/v1/installs/in3"); code != 200 || !strings.Contains(body, `"match":"pending"`) {
		t.Fatalf("held install: %d %s", code, body)
	}
	east.click(t, "c=camp1&click_id=ck-east-3")
	waitFor(t, "the held install attributed and posted", 10*time.Second, func() bool {
		return sk.count("click_id=ck-east-3") == 1
	})
	code, body := south.adminGet("/admin/v1/installs/in3")
	if code != 200 || !strings.Contains(body, `"match":"click_id"`) {
		t.Fatalf("install in3 after its click arrived: %d %s", code, body)
	}

	// An impression travels as clicks do, still an impression there.
	if code, body := do(t, mustReq("GET", "http://"+east.public+"/v1/impression?c=video&impression_id=vt-east-1&gaid=38400000-8cf0-11bd-b23e-10b96e400009")); code != 200 || !strings.Contains(body, `"stored":true`) {
		t.Fatalf("impression in us-east: %d %s", code, body)
	}
	waitFor(t, "the impression replicated to ap-south", 10*time.Second, func() bool {
		code, body := south.adminGet("/admin/v1/clicks/imp:vt-east-1")
		return code == 200 && strings.Contains(body, `"impression"`)
	})

	code, status := south.adminGet("/admin/v1/replication")
	for _, want := range []string{`"enabled":true`, `"region":"ap-south"`, `"connected":true`, `"peer":"us-east"`, `"stream":"CLICKEDGE_us-east"`} {
		if code != 200 || !strings.Contains(status, want) {
			t.Fatalf("replication status lacks %s: %d %s", want, code, status)
		}
	}
	code, metrics := south.adminGet("/metrics")
	for _, want := range []string{`clickedge_replication_lag_seconds{peer="us-east"}`, "clickedge_replication_outbox_depth",
		`clickedge_held_conversions_decided_total{match="click_id"} 1`, `clickedge_conversions_total{type="install",match="pending"} 1`} {
		if code != 200 || !strings.Contains(metrics, want) {
			t.Fatalf("metrics lack %s", want)
		}
	}
	if sk.count("/pb/us-east") != 0 {
		t.Fatalf("us-east posted %d postbacks for conversions it did not receive", sk.count("/pb/us-east"))
	}
}

// An edge whose NATS server is down starts, answers clicks and
// conversions, and keeps what it owes its peers in the outbox; when the
// server comes up, the outbox drains.
func TestServeWhileNATSIsDown(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	natsAddr := freeAddr(t) // nothing listens there yet
	sk := startSink(t, "127.0.0.1:0", nil)
	p := regionEdge(t, "us-east", "ap-south", "nats://"+natsAddr, sk.addr)
	for i := range 5 {
		p.click(t, fmt.Sprintf("c=camp1&click_id=down-%d", i))
	}
	if a := p.convert(t, `{"type":"install","install_id":"in-down","click_id":"down-1","app":"com.test.app"}`); !a.Attributed {
		t.Fatalf("install answered %+v", a)
	}
	depth := func() string {
		_, metrics := p.adminGet("/metrics")
		for _, line := range strings.Split(metrics, "\n") {
			if strings.HasPrefix(line, "clickedge_replication_outbox_depth ") {
				return strings.TrimPrefix(line, "clickedge_replication_outbox_depth ")
			}
		}
		return "absent"
	}
	if d := depth(); d != "7" {
		t.Fatalf("outbox depth %s with NATS down, want 7 (5 clicks, the install and its event)", d)
	}
	if code, status := p.adminGet("/admin/v1/replication"); code != 200 || !strings.Contains(status, `"connected":false`) || !strings.Contains(status, `"outbox":7`) {
		t.Fatalf("replication status with NATS down: %d %s", code, status)
	}
	_, port, _ := strings.Cut(natsAddr, ":")
	n, _ := strconv.Atoi(port)
	testnats.Start(t, n, t.TempDir())
	waitFor(t, "the outbox drained once NATS is up", 15*time.Second, func() bool { return depth() == "0" })
}

// Clicks answered while NATS was down, then a SIGKILL: after a restart the
// outbox still holds their records, and the peer receives each once. (In
// sync mode: an async edge's SIGKILL may lose the clicks of the last
// moment, records and all, as its durability says.)
func TestReplicationOutboxSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	natsAddr := freeAddr(t)
	sk := startSink(t, "127.0.0.1:0", nil)
	east := regionEdge(t, "us-east", "ap-south", "nats://"+natsAddr, sk.addr, "sync")
	const n = 200
	for i := range n {
		east.click(t, fmt.Sprintf("c=camp1&click_id=k-%d", i))
	}
	east.kill()

	_, port, _ := strings.Cut(natsAddr, ":")
	p, _ := strconv.Atoi(port)
	testnats.Start(t, p, t.TempDir())
	south := regionEdge(t, "ap-south", "us-east", "nats://"+natsAddr, sk.addr)
	startEdge(t, east.cfg, east.public, east.admin)
	waitFor(t, "every click in ap-south", 15*time.Second, func() bool {
		code, _ := south.adminGet(fmt.Sprintf("/admin/v1/clicks/k-%d", n-1))
		return code == 200
	})
	for i := range n {
		if code, _ := south.adminGet(fmt.Sprintf("/admin/v1/clicks/k-%d", i)); code != 200 {
			t.Fatalf("click k-%d not replicated after the SIGKILL", i)
		}
	}
	waitFor(t, "ap-south's applied count", 10*time.Second, func() bool {
		_, metrics := south.adminGet("/metrics")
		return strings.Contains(metrics, fmt.Sprintf("clickedge_replication_stored_total{kind=\"click\"} %d\n", n))
	})
	_, metrics := south.adminGet("/metrics")
	if !strings.Contains(metrics, fmt.Sprintf("clickedge_replication_records_total{op=\"applied\"} %d\n", n)) {
		t.Fatalf("ap-south applied other than %d records:\n%s", n, grepLines(metrics, "clickedge_replication"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
