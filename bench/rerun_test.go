package bench

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/clickedge/clickedge/edge"
)

// `clickedge bench -target URL` run a second time against the same edge (a
// staging edge benchmarked before and after a change): the second run must
// measure new clicks and new conversions, as the first did, not replay the
// first run's click_ids (answered as duplicates, without an fsync) and
// install_ids (answered "duplicate", so no conversion is accepted and no
// postback measured).
func TestRerunAgainstSameTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sinkAddr := ln.Addr().String()
	ln.Close()
	cfg, err := benchConfig(t.TempDir(), "async", sinkAddr, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	e, err := edge.Start(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown(context.Background())
	clickResults := func() map[string]int64 {
		resp, err := http.Get("http://" + e.AdminAddr() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		m := map[string]int64{}
		for _, g := range regexp.MustCompile(`clickedge_clicks_total\{result="(\w+)"\} (\d+)`).FindAllStringSubmatch(string(b), -1) {
			m[g[1]], _ = strconv.ParseInt(g[2], 10, 64)
		}
		return m
	}
	o := Options{Clicks: 40, Conversions: 8, Rate: 200, Durability: "sync", Target: "http://" + e.PublicAddr(),
		SinkListen: sinkAddr, Campaign: "bench", Conns: 4}
	for run := 1; run <= 2; run++ {
		before := clickResults()
		r, err := Run(context.Background(), o, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		after := clickResults()
		if r.Conversions.Count != 8 || r.Postbacks.Count != 8 || r.Settings["conversion_errors"] != int64(0) {
			t.Errorf("run %d: %d conversions accepted, %d postbacks received of 8; conversion_errors %v",
				run, r.Conversions.Count, r.Postbacks.Count, r.Settings["conversion_errors"])
		}
		if stored := after["stored"] - before["stored"]; stored != 40 {
			t.Errorf("run %d: the edge stored %d of the 40 clicks measured (%d answered as duplicates)",
				run, stored, after["duplicate"]-before["duplicate"])
		}
	}
}
