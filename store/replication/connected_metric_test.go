package replication

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/clickedge/clickedge/internal/testnats"
)

// TestConnectedGauge: clickedge_replication_connected says whether the
// edge is connected to NATS. Without it an outage showed only as a
// growing outbox: clickedge_replication_lag_seconds cannot be measured
// while disconnected and kept its last value, usually 0, so an alert on
// lag stayed quiet through the whole outage.
func TestConnectedGauge(t *testing.T) {
	ns := testnats.Start(t, -1, t.TempDir())
	startRegion(t, "us-east", t.TempDir(), ns.ClientURL())
	gauge := func() string {
		var b bytes.Buffer
		metrics.WritePrometheus(&b, false)
		for _, l := range strings.Split(b.String(), "\n") {
			if v, ok := strings.CutPrefix(l, "clickedge_replication_connected "); ok {
				return v
			}
		}
		return "absent"
	}
	eventually(t, "connected = 1", func() bool { return gauge() == "1" })
	ns.Shutdown()
	ns.WaitForShutdown()
	deadline := time.Now().Add(5 * time.Second)
	for gauge() != "0" {
		if time.Now().After(deadline) {
			t.Fatalf("clickedge_replication_connected = %s during the outage, want 0", gauge())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
