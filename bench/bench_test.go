package bench

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/clickedge/clickedge/internal/testnats"
)

// A small run of the benchmark, in process, reaches every postback.
func TestRunInProcess(t *testing.T) {
	r, err := Run(context.Background(), Options{Clicks: 400, Conversions: 40, Rate: 400, Durability: "async",
		SinkListen: "127.0.0.1:0", Conns: 8}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if r.Postbacks.Count != 40 || r.Settings["postbacks_missing"] != int64(0) {
		t.Fatalf("postbacks %d, missing %v", r.Postbacks.Count, r.Settings["postbacks_missing"])
	}
}

// With -nats the benchmark runs two regions on a real JetStream server:
// every install, sent to the region that did not see its click, is
// attributed there (at once, or held until the click arrives) and posted.
func TestRunAcrossRegions(t *testing.T) {
	ns := testnats.Start(t, -1, t.TempDir())
	var log strings.Builder
	r, err := Run(context.Background(), Options{Clicks: 200, Conversions: 40, Rate: 200, Durability: "async",
		SinkListen: "127.0.0.1:0", Conns: 8, NATS: ns.ClientURL()}, &log)
	if err != nil {
		t.Fatal(err)
	}
	if r.Postbacks.Count != 40 || r.Settings["conversion_errors"] != int64(0) || r.Settings["click_errors"] != int64(0) {
		t.Fatalf("postbacks %d of 40; settings %v\n%s", r.Postbacks.Count, r.Settings, log.String())
	}
	if _, ok := r.Settings["installs_held"]; !ok {
		t.Fatalf("the report does not say how many installs were held: %v", r.Settings)
	}
	// The run's streams are gone with it.
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	names := js.StreamNames(context.Background())
	for name := range names.Name() {
		t.Errorf("stream %s left behind", name)
	}
}

func TestNATSWithTargetRefused(t *testing.T) {
	o := Options{Clicks: 1, Conversions: 1, Rate: 1, Durability: "sync", Conns: 1, Target: "http://127.0.0.1:1", NATS: "nats://127.0.0.1:4222"}
	if err := o.check(); err == nil || !strings.Contains(err.Error(), "-nats") {
		t.Fatalf("check = %v", err)
	}
}
