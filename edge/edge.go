// Package edge assembles one running clickedge from its parts: the store,
// the tracker on the public listener, the dispatcher, and the admin
// listener. cmd/clickedge and the in-process benchmark both start one. The
// public listener's connections arm their deadlines lazily
// (internal/deadline).
package edge

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/dispatch"
	"github.com/clickedge/clickedge/internal/deadline"
	"github.com/clickedge/clickedge/store"
	"github.com/clickedge/clickedge/store/replication"
	"github.com/clickedge/clickedge/tracker"
)

// Version is the build's version, set by the linker (-X).
var Version = "dev"

// Edge is a running clickedge.
type Edge struct {
	cfg    atomic.Pointer[config.Config]
	log    *slog.Logger
	st     *store.Store
	tr     *tracker.Tracker
	disp   *dispatch.Dispatcher
	repl   *replication.Replicator // nil: a single region
	holds  chan struct{}           // closed to stop deciding held conversions
	demo   *demoSink
	public *fasthttp.Server
	admin  *fasthttp.Server
	pubLn  net.Listener
	admLn  net.Listener
	cert   atomic.Pointer[tls.Certificate]
	wg     sync.WaitGroup
	errs   chan error

	started      *config.Config // as at Start: the values of keys a reload cannot change
	exportsMu    sync.Mutex
	exports      map[net.Conn]struct{} // connections streaming an export
	stopping     bool                  // under exportsMu: Shutdown has drained the listeners
	checkpointMu sync.Mutex            // one checkpoint at a time
}

// Start opens the store, binds both listeners and serves. The config must
// be valid. On error nothing is left running.
func Start(cfg *config.Config, log *slog.Logger) (*Edge, error) {
	if log == nil {
		log = slog.Default()
	}
	e := &Edge{log: log, errs: make(chan error, 2), started: cfg}
	pubLn, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("edge: listen %s: %w", cfg.Listen, err)
	}
	admLn, err := net.Listen("tcp", cfg.AdminListen)
	if err != nil {
		pubLn.Close()
		return nil, fmt.Errorf("edge: admin listen %s: %w", cfg.AdminListen, err)
	}
	// The public listener's deadlines move three times a request; see
	// internal/deadline. Both wait out accept errors that pass
	// (acceptretry.go).
	e.pubLn, e.admLn = deadline.Listener{Listener: newAcceptRetry(pubLn, log)}, newAcceptRetry(admLn, log)
	if cfg.Demo {
		// The demo partner posts to wherever the admin listener really is.
		cfg.SetDemoSink(admLn.Addr().String())
		e.demo = newDemoSink(log)
	}
	e.cfg.Store(cfg)
	if cfg.TLSCert != "" {
		if err := e.loadCert(cfg); err != nil {
			pubLn.Close()
			admLn.Close()
			return nil, err
		}
		e.pubLn = newHandshakes(tls.NewListener(e.pubLn, &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return e.cert.Load(), nil },
		}))
	}

	durability := store.Sync
	if cfg.Durability == "async" {
		durability = store.Async
	}
	e.st, err = store.Open(store.Options{
		Dir: cfg.DataDir, Durability: durability, SyncInterval: cfg.SyncInterval,
		Retention: cfg.ClickRetention, EventRetention: cfg.EventRetention, CacheSize: cfg.CacheSize, Logger: log,
		Replicate: cfg.Replication != nil, Ballast: cfg.Ballast,
	})
	if err != nil {
		pubLn.Close()
		admLn.Close()
		return nil, err
	}
	e.disp = dispatch.New(dispatch.Options{Store: e.st, Config: cfg, Logger: log, Version: Version})
	if err := e.disp.Start(); err != nil {
		e.st.Close()
		pubLn.Close()
		admLn.Close()
		return nil, err
	}
	e.tr = tracker.New(tracker.Options{Store: e.st, Config: cfg, Logger: log, Notify: e.disp.NotifyDue})
	e.public = e.tr.NewServer(fasthttpLogger{log, &e.cfg})
	// TYPE and HELP lines: without them Prometheus ingests every series,
	// the histograms too, as untyped.
	metrics.ExposeMetadata(true)
	e.admin = &fasthttp.Server{
		Handler:         e.adminHandler,
		Name:            "clickedge-admin",
		ReadTimeout:     30 * time.Second,
		WriteTimeout:    adminWriteTimeout,
		CloseOnShutdown: true,
		Logger:          fasthttpLogger{log, &e.cfg},
		// No admin endpoint reads a body but the demo sink, which keeps
		// its last 100 postbacks and needs no token: fasthttp's 4 MiB
		// default would let anyone reaching the listener pin 400 MiB.
		MaxRequestBodySize: adminMaxBody,
		ErrorHandler:       adminReadError,
		// Nor the admin token in a head it could not read (tracker.NewServer).
		SecureErrorLogMessage: true,
	}
	if rc := cfg.Replication; rc != nil {
		// Off the request path: a NATS server that is down only lets the
		// replicate outbox grow.
		e.repl, err = replication.Start(replication.Options{
			Store: e.st, Region: cfg.Region, Peers: rc.Peers, URL: rc.NATSURL,
			Logger: log, MaxAge: min(cfg.ClickRetention, replication.DefaultMaxAge), Version: Version,
		})
		if err != nil {
			e.disp.Stop(context.Background())
			e.st.Close()
			pubLn.Close()
			admLn.Close()
			return nil, err
		}
	}
	e.holds = make(chan struct{})
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.tr.RunHolds(e.holds)
	}()
	e.serve(e.public, e.pubLn)
	e.serve(e.admin, e.admLn)
	log.Info("clickedge serving", "version", Version, "listen", pubLn.Addr().String(),
		"admin_listen", admLn.Addr().String(), "data_dir", cfg.DataDir, "durability", cfg.Durability,
		"cache_size", cfg.CacheSize, "config", cfg.Source, "admin_api", cfg.AdminToken != "", "anonymize_ip", cfg.AnonymizeIP)
	return e, nil
}

func (e *Edge) serve(s *fasthttp.Server, ln net.Listener) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		if err := s.Serve(ln); err != nil {
			e.errs <- err
		}
	}()
}

// Errors reports a listener that stopped serving on its own.
func (e *Edge) Errors() <-chan error { return e.errs }

// PublicAddr and AdminAddr return the bound addresses (useful with port 0).
func (e *Edge) PublicAddr() string { return e.pubLn.Addr().String() }
func (e *Edge) AdminAddr() string  { return e.admLn.Addr().String() }

// Store returns the edge's store (benchmarks read it).
func (e *Edge) Store() *store.Store { return e.st }

// betweenReloadSteps runs between Reload's two updates; tests make the
// gap long enough to land a conversion in it.
var betweenReloadSteps = func() {}

// Reload swaps in a new config's apps, partners and campaigns, and its TLS
// certificate. Listener addresses, data dir and durability need a restart.
func (e *Edge) Reload(cfg *config.Config) error {
	if e.started.Demo {
		cfg.SetDemoSink(e.admLn.Addr().String())
	}
	if cfg.TLSCert != "" && e.started.TLSCert != "" { // the listener speaks TLS
		if err := e.loadCert(cfg); err != nil {
			return err
		}
	}
	keys := restartOnlyChanges(e.started, cfg)
	keepStartOnly(cfg, e.started)
	// The dispatcher first: it must know a partner before the tracker can
	// queue a postback for it (one it does not know fails for good). A
	// partner removed goes from the dispatcher first too, and its pending
	// postbacks fail as they would a moment later.
	e.disp.SetConfig(cfg)
	betweenReloadSteps()
	e.cfg.Store(cfg)
	e.tr.SetConfig(cfg)
	e.log.Info("config reloaded", "config", cfg.Source, "campaigns", len(cfg.Campaigns), "partners", len(cfg.Partners))
	if len(keys) > 0 {
		e.log.Warn("config reloaded, but these keys take effect only at restart", "keys", strings.Join(keys, " "))
	}
	return nil
}

// keepStartOnly gives next the running values of the keys read only at
// start (restartOnlyChanges' list), so that every reader of the config in
// force sees what runs: the tracker would otherwise hold conversions for a
// replication block added by a reload, with no replicator to bring their
// clicks, or end the holds of one removed while its replicator still runs.
func keepStartOnly(next, started *config.Config) {
	next.Listen, next.AdminListen, next.DataDir = started.Listen, started.AdminListen, started.DataDir
	next.Durability, next.SyncInterval = started.Durability, started.SyncInterval
	next.ClickRetention, next.EventRetention, next.CacheSize = started.ClickRetention, started.EventRetention, started.CacheSize
	next.Region, next.Replication = started.Region, started.Replication
}

// restartOnlyChanges lists the keys read only at start whose value in next
// differs from the one the edge started with (old), which it keeps until it
// is restarted.
func restartOnlyChanges(old, next *config.Config) []string {
	var keys []string
	for _, k := range []struct {
		key     string
		changed bool
	}{
		{"listen", old.Listen != next.Listen},
		{"admin_listen", old.AdminListen != next.AdminListen},
		{"data_dir", old.DataDir != next.DataDir},
		{"durability", old.Durability != next.Durability},
		{"sync_interval", old.SyncInterval != next.SyncInterval},
		{"click_retention", old.ClickRetention != next.ClickRetention},
		{"cache_size", old.CacheSize != next.CacheSize},
		{"event_retention", old.EventRetention != next.EventRetention},
		{"region", old.Region != next.Region},
		{"replication", !sameReplication(old.Replication, next.Replication)},
		// The certificate itself reloads; turning TLS on or off does not.
		{"tls_cert", (old.TLSCert == "") != (next.TLSCert == "")},
	} {
		if k.changed {
			keys = append(keys, k.key)
		}
	}
	return keys
}

func sameReplication(a, b *config.Replication) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.NATSURL == b.NATSURL && a.PendingWindow == b.PendingWindow && slices.Equal(a.Peers, b.Peers)
}

func (e *Edge) loadCert(cfg *config.Config) error {
	c, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return fmt.Errorf("edge: tls: %w", err)
	}
	e.cert.Store(&c)
	return nil
}

// Drain starts the edge's last seconds: both listeners' /healthz answer
// 503 and every answer closes its connection, while requests are served as
// always (tracker.SetDraining). It returns how long the config in force
// says to drain (shutdown_grace) before Shutdown.
func (e *Edge) Drain() time.Duration {
	e.tr.SetDraining(true)
	return e.cfg.Load().ShutdownGrace
}

// Shutdown stops accepting, lets requests in flight finish, stops the
// dispatcher (recording attempts in flight) and closes the store.
//
// With a deadline, the listeners drain within what leaves the dispatcher
// config.ShutdownAttemptWait of it (or a fifth of it, if more): fasthttp
// closes only idle connections, so a client that had sent part of a
// request head (a phone on a bad network) held the drain for the whole
// deadline, and the dispatcher was then stopped on a spent context, its
// attempt on the wire unrecorded and sent again after the restart.
// Connections still open when the drain's time is up are left: a head
// that never finished stored nothing.
func (e *Edge) Shutdown(ctx context.Context) error {
	var errs []error
	if h, ok := e.pubLn.(*handshakes); ok {
		h.closeHandshakes()
	}
	drain, cancel := drainContext(ctx)
	defer cancel()
	// Both listeners drain at once: one slow public client must not take
	// the admin listener's time (a checkpoint or an export under way).
	listeners := []struct {
		name string
		srv  *fasthttp.Server
		err  error
	}{{name: "public", srv: e.public}, {name: "admin", srv: e.admin}}
	var drained sync.WaitGroup
	for i := range listeners {
		l := &listeners[i]
		drained.Go(func() { l.err = l.srv.ShutdownWithContext(drain) })
	}
	drained.Wait()
	for _, l := range listeners {
		switch {
		case l.err == nil:
		case ctx.Err() == nil && drain.Err() != nil:
			e.log.Warn("shutdown: connections still open when the listeners' drain ended are left (a request head that never finished, or an export still streaming: its lines get a second each now)", "listener", l.name)
		default:
			errs = append(errs, fmt.Errorf("edge: %s listener: %w", l.name, l.err))
		}
	}
	// fasthttp closes only the listeners its Serve has registered: a Serve
	// goroutine that had not got that far (a SIGTERM right after start)
	// would go on accepting, and the wait below would never end. Closing
	// them here too makes that Serve return at once; a second Close is
	// harmless.
	e.pubLn.Close()
	e.admLn.Close()
	e.stopExports()
	close(e.holds)
	e.wg.Wait()
	if err := e.disp.Stop(ctx); err != nil {
		errs = append(errs, err)
	}
	if e.repl != nil {
		if err := e.repl.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := e.st.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// drainContext is ctx for the listeners' drain: it ends
// config.ShutdownAttemptWait before ctx does, or after a fifth of ctx's
// time when that is longer.
func drainContext(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	left := time.Until(dl)
	return context.WithTimeout(ctx, max(left-config.ShutdownAttemptWait, left/5))
}
