package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clickedge/clickedge/dispatch"
)

// partnerYAML is a partner posting to sink at path, retrying fast.
func partnerYAML(name, sinkAddr, path, extra string) string {
	return fmt.Sprintf(`
  %s:
    install: "http://%s%s?event={event_name}&click_id={click_id}&event_id={event_id}"
    events:
      purchase: "http://%s%s?event={event_name}&click_id={click_id}&event_id={event_id}&rev={revenue}&cur={currency}"
    timeout: "1s"
    retry: { base: "50ms", max_interval: "200ms", max_age: "1h" }
%s`, name, sinkAddr, path, sinkAddr, path, extra)
}

type convAnswer struct {
	EventID    string `json:"event_id"`
	InstallID  string `json:"install_id"`
	Attributed bool   `json:"attributed"`
	Match      string `json:"match"`
	Campaign   string `json:"campaign"`
	ClickID    string `json:"click_id"`
	Postback   string `json:"postback"`
}

func (p *edgeProc) convert(t *testing.T, body string) convAnswer {
	t.Helper()
	code, out := p.postConversion(body)
	if code != 200 {
		t.Fatalf("conversion %s: %d %s", body, code, out)
	}
	var a convAnswer
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("conversion answer %q: %v", out, err)
	}
	return a
}

func (p *edgeProc) click(t *testing.T, query string) {
	t.Helper()
	code, _ := do(t, mustReq("GET", "http://"+p.public+"/?"+query))
	if code != 302 {
		t.Fatalf("click %s: %d", query, code)
	}
}

func (p *edgeProc) postbacks(t *testing.T, status string) []dispatch.View {
	t.Helper()
	code, body := p.adminGet("/admin/v1/postbacks?status=" + status + "&limit=1000")
	if code != 200 {
		t.Fatalf("admin postbacks: %d %s", code, body)
	}
	var v []dispatch.View
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// Clicks, then conversions, a SIGKILL, a restart, the same conversions
// replayed: every answer is duplicate and nothing is posted twice.
func TestConversionsReplayAfterSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	sk := startSink(t, "127.0.0.1:0", nil)
	dir := t.TempDir()
	public, admin := freeAddr(t), freeAddr(t)
	cfg := writeConfig(t, dir, public, admin, "allow_private_targets: true\n"+testApps+
		"partners:"+partnerYAML("acme", sk.addr, "/pb", "")+`
campaigns:
  camp1: { app: com.test.app, partner: acme }
`)
	p := startEdge(t, cfg, public, admin)
	var convs []string
	for i := range 20 {
		p.click(t, fmt.Sprintf("c=camp1&click_id=ck%d&gaid=38400000-8cf0-11bd-b23e-10b96e4%05d", i, i))
		convs = append(convs,
			fmt.Sprintf(`{"type":"install","install_id":"in%d","click_id":"ck%d","app":"com.test.app"}`, i, i),
			fmt.Sprintf(`{"type":"event","install_id":"in%d","event_name":"purchase","event_id":"ev%d","revenue":"9.995","currency":"USD"}`, i, i))
	}
	for _, c := range convs {
		a := p.convert(t, c)
		if !a.Attributed || a.Postback != "queued" {
			t.Fatalf("%s answered %+v", c, a)
		}
	}
	waitFor(t, "40 postbacks", 10*time.Second, func() bool { return len(sk.received()) >= 40 })
	waitFor(t, "postbacks recorded delivered", 10*time.Second, func() bool { return len(p.postbacks(t, "pending")) == 0 })
	p.kill()

	p2 := startEdge(t, cfg, public, admin)
	for _, c := range convs {
		if a := p2.convert(t, c); a.Postback != "duplicate" || !a.Attributed {
			t.Fatalf("replayed %s answered %+v, want duplicate", c, a)
		}
	}
	time.Sleep(300 * time.Millisecond) // a wrongly queued postback would go out by now
	if n := len(sk.received()); n != 40 {
		t.Fatalf("sink received %d postbacks, want 40 (nothing twice)", n)
	}
	if n := sk.count("rev=10.00&cur=USD"); n != 20 {
		t.Fatalf("%d purchase postbacks carried rev=10.00&cur=USD, want 20", n)
	}
	code, body := p2.adminGet("/admin/v1/installs/in3")
	if code != 200 || !strings.Contains(body, `"match":"click_id"`) {
		t.Fatalf("admin install: %d %s", code, body)
	}
}

func TestPostbackDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	var notFound atomic.Bool
	notFound.Store(true)
	hang := make(chan struct{})
	defer close(hang)
	sk := startSink(t, "127.0.0.1:0", func(r *http.Request, n int) int {
		switch r.URL.Path {
		case "/flaky":
			if n <= 2 {
				return 503
			}
		case "/gone":
			if notFound.Load() {
				return 404
			}
		case "/hang":
			select {
			case <-hang:
			case <-time.After(5 * time.Second):
			}
		case "/signed":
			sig := r.Header.Get(dispatch.SignatureHeader)
			if err := dispatch.VerifySignature(sig, []byte("s3cret"), []byte(r.Method), []byte(r.RequestURI), nil, time.Now(), time.Minute); err != nil {
				return 401
			}
		}
		return 200
	})
	dir := t.TempDir()
	public, admin := freeAddr(t), freeAddr(t)
	cfg := writeConfig(t, dir, public, admin, "allow_private_targets: true\n"+testApps+
		"partners:"+partnerYAML("flaky", sk.addr, "/flaky", "")+partnerYAML("gone", sk.addr, "/gone", "")+
		partnerYAML("hang", sk.addr, "/hang", "")+partnerYAML("ok", sk.addr, "/ok", "")+
		partnerYAML("signed", sk.addr, "/signed", `    secret: "s3cret"`+"\n")+`
campaigns:
  flaky: { app: com.test.app, partner: flaky }
  gone: { app: com.test.app, partner: gone }
  hang: { app: com.test.app, partner: hang }
  ok: { app: com.test.app, partner: ok }
  signed: { app: com.test.app, partner: signed }
`)
	p := startEdge(t, cfg, public, admin)
	install := func(camp string, i int) {
		id := fmt.Sprintf("%s%d", camp, i)
		p.click(t, "c="+camp+"&click_id="+id)
		if a := p.convert(t, fmt.Sprintf(`{"type":"install","install_id":"i-%s","click_id":%q}`, id, id)); a.Postback != "queued" {
			t.Fatalf("install %s: %+v", id, a)
		}
	}
	// A hanging partner first, so that it holds its connections while the
	// healthy partner's postbacks go out.
	for i := range 3 {
		install("hang", i)
	}
	start := time.Now()
	for i := range 5 {
		install("ok", i)
	}
	waitFor(t, "healthy partner's postbacks beside a hanging one", 3*time.Second, func() bool { return sk.count("/ok?") == 5 })
	t.Logf("healthy partner served in %v while another hangs", time.Since(start))

	install("flaky", 0)
	waitFor(t, "flaky postback delivered after retries", 5*time.Second, func() bool { return sk.count("/flaky?") == 3 })
	waitFor(t, "flaky recorded", 5*time.Second, func() bool {
		for _, v := range p.postbacks(t, "delivered") {
			if v.Partner == "flaky" && len(v.Attempts) == 3 && v.Attempts[0].StatusCode == 503 && v.Attempts[2].StatusCode == 200 {
				return true
			}
		}
		return false
	})

	install("gone", 0)
	waitFor(t, "404 failed at once", 5*time.Second, func() bool {
		f := p.postbacks(t, "failed")
		return len(f) == 1 && f[0].Partner == "gone" && len(f[0].Attempts) == 1 && f[0].Attempts[0].StatusCode == 404
	})
	notFound.Store(false)
	// Filtered by partner: the listing, and a redrive of another partner's
	// failed postbacks, which has none to move.
	if code, body := p.adminGet("/admin/v1/postbacks?status=failed&partner=ok"); code != 200 || body != "[]\n" {
		t.Fatalf("failed postbacks of partner ok: %d %s, want none", code, body)
	}
	if code, body := p.adminPost("/admin/v1/postbacks/redrive?partner=ok"); code != 200 || !strings.Contains(body, `"redriven":0`) {
		t.Fatalf("redrive of partner ok: %d %s", code, body)
	}
	if code, body := p.adminPost("/admin/v1/postbacks/redrive?partner=gone"); code != 200 || !strings.Contains(body, `"redriven":1`) {
		t.Fatalf("redrive: %d %s", code, body)
	}
	waitFor(t, "redriven postback delivered", 5*time.Second, func() bool { return sk.count("/gone?") == 2 && len(p.postbacks(t, "failed")) == 0 })

	install("signed", 0)
	waitFor(t, "signed postback verified by the sink", 5*time.Second, func() bool {
		for _, v := range p.postbacks(t, "delivered") {
			if v.Partner == "signed" && v.Attempts[len(v.Attempts)-1].StatusCode == 200 {
				return true
			}
		}
		return false
	})
}

// A postback queued while its partner is down survives a SIGKILL of the
// edge and arrives after the restart, once.
func TestPostbackSurvivesPartnerOutageAndSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	sinkAddr := freeAddr(t) // nothing listens yet: the partner is down
	dir := t.TempDir()
	public, admin := freeAddr(t), freeAddr(t)
	cfg := writeConfig(t, dir, public, admin, "allow_private_targets: true\n"+testApps+
		"partners:"+partnerYAML("acme", sinkAddr, "/pb", "")+`
campaigns:
  camp1: { app: com.test.app, partner: acme }
`)
	p := startEdge(t, cfg, public, admin)
	p.click(t, "c=camp1&click_id=down1")
	if a := p.convert(t, `{"type":"install","install_id":"i-down1","click_id":"down1"}`); a.Postback != "queued" {
		t.Fatalf("install: %+v", a)
	}
	waitFor(t, "a failed attempt", 5*time.Second, func() bool {
		v := p.postbacks(t, "pending")
		return len(v) == 1 && len(v[0].Attempts) >= 1
	})
	p.kill()
	sk := startSink(t, sinkAddr, nil)
	startEdge(t, cfg, public, admin)
	waitFor(t, "postback after restart", 10*time.Second, func() bool { return sk.count("click_id=down1") >= 1 })
	time.Sleep(300 * time.Millisecond)
	if n := sk.count("click_id=down1"); n != 1 {
		t.Fatalf("postback arrived %d times, want once", n)
	}
}
