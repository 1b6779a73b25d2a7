// Command clickedge is a self-hosted mobile-attribution click edge: it
// records tracking-link clicks, attributes installs and in-app events to
// them, and sends partners their postbacks.
//
//	clickedge serve [-config FILE] [-listen ADDR] [-admin-listen ADDR] [-data DIR] [-log-format text|json] [-log-level LEVEL]
//	clickedge check-config -config FILE
//	clickedge loadtest -target URL -rate N -duration D …
//	clickedge bench [-clicks N] [-conversions M] [-rate R] [-out DIR]
//	clickedge version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/clickedge/clickedge/bench"
	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/edge"
	"github.com/clickedge/clickedge/loadtest"
	"github.com/clickedge/clickedge/store"
)

const usage = `usage: clickedge <command> [flags]

commands:
  serve          run the edge (no -config: the embedded demo default)
  check-config   validate a config file and exit
  loadtest       drive an open-loop load against an edge
  bench          run the in-process attribution-latency benchmark
  version        print the version
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "check-config":
		return checkConfig(args[1:], stdout, stderr)
	case "loadtest":
		return loadtest.Main(args[1:], stdout, stderr)
	case "bench":
		return bench.Main(args[1:], stdout, stderr)
	case "version", "-version", "--version":
		if len(args) > 1 {
			return unexpected(stderr, args[0], args[1])
		}
		fmt.Fprintln(stdout, "clickedge", edge.Version)
		return 0
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return unexpected(stderr, args[0], args[1])
		}
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "clickedge: unknown command %q\n%s", args[0], usage)
	return 2
}

// unexpected reports an argument the command takes no place for: ignoring
// it would hide a typo such as a flag after a stray word, which the flag
// package stops parsing at.
func unexpected(stderr io.Writer, cmd, arg string) int {
	fmt.Fprintf(stderr, "%s: unexpected argument %q\n", cmd, arg)
	return 2
}

// serveFlags are the flags that override the config file.
type serveFlags struct {
	config, listen, adminListen, data string
	configSet, dataSet                bool // -config, -data were given, even empty
}

func (f *serveFlags) load() (*config.Config, error) { return f.loadWith(config.Load) }

// reload is load for a SIGHUP, which refuses an empty file (config.Reload).
func (f *serveFlags) reload() (*config.Config, error) { return f.loadWith(config.Reload) }

func (f *serveFlags) loadWith(loadFile func(string) (*config.Config, error)) (*config.Config, error) {
	var cfg *config.Config
	var err error
	switch {
	case f.configSet && f.config == "":
		// Given, but empty (an unset $VAR): not the demo config.
		return nil, errors.New("clickedge: -config: must not be empty")
	case f.config != "":
		cfg, err = loadFile(f.config)
	default:
		cfg, err = config.LoadDefault()
	}
	if err != nil {
		return nil, err
	}
	if f.listen != "" {
		cfg.Listen = f.listen
	}
	if f.adminListen != "" {
		cfg.AdminListen = f.adminListen
	}
	if f.dataSet {
		if f.data == "" {
			// Given, but empty (an unset $VAR): not the file's value.
			return nil, errors.New("clickedge: -data: must not be empty")
		}
		cfg.DataDir = f.data
	}
	if err := cfg.Validate(); err != nil {
		return nil, f.blame(err)
	}
	return cfg, nil
}

// blame names the flag behind err, from Validate after the flags were
// applied. The config was valid before (Load and Default validate), so the
// fault is a flag's, and naming the file would send the user to a line that
// is fine.
func (f *serveFlags) blame(err error) error {
	var ce *config.Error
	if !errors.As(err, &ce) {
		return err
	}
	switch {
	case ce.Key == "listen" && f.listen != "",
		ce.Key == "admin_listen" && f.adminListen != "",
		ce.Key == "data_dir" && f.data != "":
		return fmt.Errorf("clickedge: %s: %s", flagName[ce.Key], ce.Msg)
	case ce.Key == "admin_listen" && f.listen != "":
		// -listen alone made listen equal to the file's admin_listen.
		return fmt.Errorf("clickedge: -listen: %q is the same address as admin_listen", f.listen)
	}
	return err
}

// newLogger is serve's logger: slog's text or JSON handler on w, from level
// up.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level: %q is not debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format: %q is not text or json", format)
}

// flagName is the flag that overrides each config key.
var flagName = map[string]string{"listen": "-listen", "admin_listen": "-admin-listen", "data_dir": "-data"}

func serve(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serveFlags
	fs.StringVar(&f.config, "config", "", "config `file` (default: the embedded demo config)")
	fs.StringVar(&f.listen, "listen", "", "public listener `address`, overrides the config")
	fs.StringVar(&f.adminListen, "admin-listen", "", "admin listener `address`, overrides the config")
	fs.StringVar(&f.data, "data", "", "data `directory`, overrides the config")
	logFormat := fs.String("log-format", "text", "log `format`: text (key=value) or json (one object a line)")
	logLevel := fs.String("log-level", "info", "lowest `level` logged: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fs.Visit(func(fl *flag.Flag) {
		f.dataSet = f.dataSet || fl.Name == "data"
		f.configSet = f.configSet || fl.Name == "config"
	})
	if fs.NArg() > 0 {
		return unexpected(stderr, "serve", fs.Arg(0))
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "clickedge:", err)
		return 2
	}
	cfg, err := f.load()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	cfg.Ballast = true // a serving edge keeps an emergency ballast (store/ballast.go)
	// Signals are caught before the edge listens: a SIGHUP that arrives
	// once its port accepts connections must reload it, and SIGHUP's
	// default action would end the process. One that arrives during Start
	// waits in the channel and is acted on once Start returns. SIGHUP has a
	// channel of its own: os/signal drops a signal that finds its channel
	// full, and a burst of SIGHUPs during a reload (a config-management run
	// that reloads once per file it writes) had filled the shared one, so
	// that the SIGTERM after them was lost and the edge ran on. One SIGHUP
	// waiting is enough: a reload reads the file as it is then.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	hups := make(chan os.Signal, 1)
	signal.Notify(hups, syscall.SIGHUP)
	defer signal.Stop(hups)
	e, err := edge.Start(cfg, log)
	if err != nil {
		if de := (*store.DirError)(nil); f.dataSet && errors.As(err, &de) {
			fmt.Fprintln(stderr, "clickedge: -data:", err)
			return 1
		}
		fmt.Fprintln(stderr, "clickedge:", err)
		return 1
	}
	for _, n := range config.Notes(cfg) {
		log.Info("config note: " + n)
	}
	for {
		select {
		case err := <-e.Errors():
			log.Error("listener stopped", "err", err)
			return shutdown(e, log, 1, sigs)
		case s := <-sigs:
			return drain(e, log, s, sigs, hups)
		case <-hups:
			next, err := f.reload()
			if err != nil {
				log.Error("config reload refused; keeping the running config", "err", err)
				continue
			}
			if err := e.Reload(next); err != nil {
				log.Error("config reload failed; keeping the running config", "err", err)
				continue
			}
			for _, n := range config.Notes(next) {
				log.Info("config note: " + n)
			}
		}
	}
}

// drain answers a SIGTERM or SIGINT: with shutdown_grace, the edge first
// drains for that long (a load balancer sees /healthz fail and stops
// sending; the requests that still come are served), unless a second
// signal cuts it short; then it stops.
func drain(e *edge.Edge, log *slog.Logger, s os.Signal, sigs, hups <-chan os.Signal) int {
	grace := e.Drain()
	log.Info("draining", "signal", s.String(), "shutdown_grace", grace.String())
	if grace > 0 {
		timer := time.NewTimer(grace)
		defer timer.Stop()
	wait:
		for {
			select {
			case <-timer.C:
				break wait
			case err := <-e.Errors():
				log.Error("listener stopped", "err", err)
				return shutdown(e, log, 1, sigs)
			case <-hups:
				log.Info("config reload ignored: the edge is draining")
			case s := <-sigs:
				log.Info("second signal: stopping now", "signal", s.String())
				break wait
			}
		}
	}
	return shutdown(e, log, 0, sigs)
}

// shutdown stops the edge within 25 s (requests in flight finish),
// leaving room inside the usual 30 s a supervisor waits after SIGTERM
// (plus shutdown_grace, when one is set). A SIGTERM or SIGINT meanwhile (a
// second Ctrl-C) cuts it short: what is on the wire is left, the store is
// still closed, and the exit is 1.
func shutdown(e *edge.Edge, log *slog.Logger, code int, sigs <-chan os.Signal) int {
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-sigs:
				log.Info("second signal during the shutdown: stopping at once", "signal", s.String())
				cancel()
				return
			case <-done:
				return
			}
		}
	}()
	if err := e.Shutdown(ctx); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	log.Info("stopped")
	return code
}

func checkConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "config `file` to check")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		return unexpected(stderr, "check-config", fs.Arg(0))
	}
	if *path == "" {
		fmt.Fprintln(stderr, "check-config: -config FILE is required")
		return 2
	}
	cfg, err := config.Load(*path)
	if err != nil {
		var ce *config.Error
		if !errors.As(err, &ce) {
			err = fmt.Errorf("config: %s: %w", *path, err)
		}
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok (%d apps, %d partners, %d campaigns)\n", *path, len(cfg.Apps), len(cfg.Partners), len(cfg.Campaigns))
	for _, n := range config.Notes(cfg) {
		fmt.Fprintln(stdout, "note:", n)
	}
	return 0
}
