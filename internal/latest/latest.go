// Package latest is a process-wide Prometheus gauge that reports the value
// of whichever component registered with it last. An edge has one
// dispatcher and one replicator, but tests start several edges in one
// process, and a metric name can be registered only once.
package latest

import (
	"sync"

	"github.com/VictoriaMetrics/metrics"
)

// Gauge is a gauge named at creation and registered at its first Report,
// so that a process that never reports it does not expose it.
type Gauge struct {
	name string
	once sync.Once
	mu   sync.Mutex
	f    func() int64
}

// NewGauge returns a gauge that will be registered under name.
func NewGauge(name string) *Gauge { return &Gauge{name: name} }

// Report makes the gauge read f from now on.
func (g *Gauge) Report(f func() int64) {
	g.mu.Lock()
	g.f = f
	g.mu.Unlock()
	g.once.Do(func() {
		metrics.NewGauge(g.name, func() float64 {
			g.mu.Lock()
			defer g.mu.Unlock()
			return float64(g.f())
		})
	})
}
