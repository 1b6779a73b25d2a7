package edge

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clickedge/clickedge/internal/testnats"
	"github.com/clickedge/clickedge/store"
)

// TestReportCountsHeldSignupOnce: a signup held here (its install not known
// here yet) whose install's signup a peer region decided meanwhile (the
// app's retry went there) takes the peer's decision and posts nothing
// (held_signup_peer.txt). The install had one signup, posted once, by the
// peer: the campaign report, what a partner's invoice is checked against,
// counts one here too, as the peer's report does.
func TestReportCountsHeldSignupOnce(t *testing.T) {
	ns := testnats.Start(t, -1, t.TempDir())
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var posted atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { posted.Add(1) })}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	e := startLocalEdge(t, `region: eu
allow_private_targets: true
admin_token: tok
replication:
  nats_url: "`+ns.ClientURL()+`"
  peers: [us]
  pending_window: 5s
apps:
  com.example.app: {web: "https://example.com/"}
partners:
  net:
    install: "http://`+ln.Addr().String()+`/i?c={click_id}"
    signup: "http://`+ln.Addr().String()+`/s?c={click_id}"
campaigns:
  camp: {app: com.example.app, partner: net}
`)
	public, admin := "http://"+e.PublicAddr(), "http://"+e.AdminAddr()
	now := time.Now().Unix()

	resp, err := http.Post(public+"/v1/conversions", "application/json", strings.NewReader(`{"type":"signup","install_id":"i5"}`))
	if err != nil {
		t.Fatal(err)
	}
	var held struct{ EventID, Postback string }
	json.NewDecoder(resp.Body).Decode(&struct {
		EventID  *string `json:"event_id"`
		Postback *string `json:"postback"`
	}{&held.EventID, &held.Postback})
	resp.Body.Close()
	if resp.StatusCode != 200 || held.Postback != "pending" {
		t.Fatalf("signup: %d %+v", resp.StatusCode, held)
	}

	// The peer region's install and its signup, as its stream carries them.
	peer, err := store.Open(store.Options{Dir: t.TempDir(), Durability: store.Async, Replicate: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	tx := peer.BeginConversions()
	tx.PutInstall(&store.Install{InstallID: "i5", EventID: "pi5", App: "com.example.app",
		Match: store.MatchClickID, ClickID: "k5", Campaign: "camp", Partner: "net", Time: now})
	tx.PutEvent(&store.Event{EventID: "pi5", InstallID: "i5", Kind: 1, Name: "install", Time: now,
		Match: store.MatchClickID, Attributed: true, ClickID: "k5", Campaign: "camp", Postback: "queued"})
	tx.PutSignup("i5", "ps5")
	tx.PutEvent(&store.Event{EventID: "ps5", InstallID: "i5", Kind: 2, Name: "signup", Time: now,
		Match: store.MatchClickID, Attributed: true, ClickID: "k5", Campaign: "camp", Postback: "queued"})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var recs [][]byte
	peer.ReplicationPending(store.OutboxPos{}, 100, func(e store.OutboxEntry) bool {
		recs = append(recs, bytes.Clone(e.Payload))
		return true
	})
	peer.Close()
	if _, err := e.Store().ApplyReplicated("us", 1, recs); err != nil {
		t.Fatal(err)
	}

	// The edge's hold loop, woken by what replication stored, decides it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		ev, err := e.Store().GetEvent(held.EventID)
		if err == nil && ev.Match != store.MatchPending {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("held signup not decided: %+v %v", ev, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if n := posted.Load(); n != 0 {
		t.Errorf("%d postbacks sent from here for the peer's signup", n)
	}

	code, body := request(t, "GET", admin, "/admin/v1/report", "Bearer tok")
	if code != 200 {
		t.Fatalf("report: %d %s", code, body)
	}
	var rep struct {
		Rows []struct {
			Installs int `json:"installs"`
			Signups  int `json:"signups"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err)
	}
	installs, signups := 0, 0
	for _, r := range rep.Rows {
		installs += r.Installs
		signups += r.Signups
	}
	if installs != 1 || signups != 1 {
		t.Errorf("report counts %d installs and %d signups for one install and its one signup: %s", installs, signups, body)
	}
}
