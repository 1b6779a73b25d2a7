package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/edge"
	"github.com/clickedge/clickedge/loadtest"
	"github.com/clickedge/clickedge/store/replication"
)

// Options configure a benchmark run.
type Options struct {
	Clicks      int64
	Conversions int64
	Rate        float64 // conversions per second; clicks go at 10x
	Out         string
	Durability  string
	Target      string // an edge running elsewhere; "" starts one in process
	SinkListen  string // where the postback sink listens
	Campaign    string
	Conns       int
	// NATS, when set, runs two in-process edges in two regions replicating
	// through the JetStream server at this URL: clicks go to one, and each
	// install, sent right after its own click, to the other.
	NATS string
}

// Main is `clickedge bench`.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	fs.Int64Var(&o.Clicks, "clicks", 20000, "clicks to record first (`N`)")
	fs.Int64Var(&o.Conversions, "conversions", 4000, "installs and events to attribute (`M`)")
	fs.Float64Var(&o.Rate, "rate", 500, "conversions per second (`R`); clicks are sent at 10×R")
	fs.StringVar(&o.Out, "out", "report", "`directory` for report.json and report.html")
	fs.StringVar(&o.Durability, "durability", "sync", "in-process edge durability: sync or async")
	fs.StringVar(&o.Target, "target", "", "benchmark an edge running elsewhere at this base `URL` (its campaign's partner must post to -sink-listen)")
	fs.StringVar(&o.SinkListen, "sink-listen", "127.0.0.1:0", "postback sink `address`")
	fs.StringVar(&o.Campaign, "campaign", "bench", "campaign of the clicks (with -target)")
	fs.IntVar(&o.Conns, "conns", 64, "concurrent requests at most")
	fs.StringVar(&o.NATS, "nats", "", "measure across regions: two in-process edges replicating through the JetStream server at this `URL`; each install goes to the other region right after its click")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := o.check(); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	r, err := Run(context.Background(), o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	r.WriteTable(stdout)
	if err := WriteReport(o.Out, r); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	fmt.Fprintf(stdout, "\nreport: %s\n", filepath.Join(o.Out, "report.html"))
	return 0
}

func (o *Options) check() error {
	switch {
	case o.Clicks <= 0 || o.Clicks > 100_000_000:
		return errors.New("-clicks must be a positive number up to 1e8")
	case o.Conversions <= 0 || o.Conversions > o.Clicks:
		return errors.New("-conversions must be a positive number, at most -clicks")
	case !(o.Rate > 0) || o.Rate > 1e6:
		return errors.New("-rate must be a positive number up to 1e6")
	case o.Durability != "sync" && o.Durability != "async":
		return errors.New("-durability must be sync or async")
	case o.Conns <= 0:
		return errors.New("-conns must be positive")
	}
	if o.NATS != "" && o.Target != "" {
		return errors.New("-nats runs its own two edges: it does not go with -target")
	}
	if o.Target != "" {
		u, err := url.Parse(o.Target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("-target %q is not an absolute http(s) URL", o.Target)
		}
	}
	return nil
}

// Run runs the benchmark: clicks, then conversions for some of them, and
// waits for every conversion's postback to reach the sink.
func Run(ctx context.Context, o Options, logw io.Writer) (*Report, error) {
	sk, err := startSink(o.SinkListen, o.Conversions)
	if err != nil {
		return nil, err
	}
	defer sk.close()

	target := o.Target
	campaign := o.Campaign
	convTarget := "" // where conversions go: target, or the second region's edge
	if target == "" {
		log := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelWarn}))
		regions := []string{""}
		if o.NATS != "" {
			// Names of this run's own: a stream left by an earlier run
			// would be applied first. The streams go when the run ends.
			run := fmt.Sprintf("%06x", time.Now().UnixNano()&0xffffff)
			regions = []string{"bench-" + run + "-a", "bench-" + run + "-b"}
			defer deleteStreams(o.NATS, regions, logw)
		}
		var addrs []string
		for i, region := range regions {
			dir, err := os.MkdirTemp("", "clickedge-bench")
			if err != nil {
				return nil, fmt.Errorf("bench: %w", err)
			}
			defer os.RemoveAll(dir)
			peer := ""
			if region != "" {
				peer = regions[1-i]
			}
			cfg, err := benchConfig(dir, o.Durability, sk.addr, region, peer, o.NATS)
			if err != nil {
				return nil, err
			}
			e, err := edge.Start(cfg, log)
			if err != nil {
				return nil, err
			}
			defer e.Shutdown(context.Background())
			addrs = append(addrs, "http://"+e.PublicAddr())
		}
		target, convTarget = addrs[0], addrs[len(addrs)-1]
		campaign = "bench"
	}
	if convTarget == "" {
		convTarget = target
	}
	hc, convHC := hostClient(target, o.Conns), hostClient(convTarget, o.Conns)
	// Every id carries this run's own tag: an edge benchmarked before (with
	// -target) still holds the earlier runs' clicks and installs, and
	// would answer the same ids as duplicates.
	run := uint64(time.Now().UnixNano())
	tag := strconv.FormatUint(run, 36)
	clickID := func(i int64) string { return "bench-" + tag + "-ck-" + strconv.FormatInt(i, 36) }
	eventID := func(i int64) string { return "bench-" + tag + "-ev-" + strconv.FormatInt(i, 10) }
	gaid := func(i int64) string { return fmt.Sprintf("38400000-8cf0-11bd-%04x-%012x", run&0xffff, i) }

	clicks := loadtest.NewHistogram()
	var mu sync.Mutex
	var clickErrs int64
	fmt.Fprintf(logw, "bench: %d clicks at %.0f/s\n", o.Clicks, o.Rate*10)
	click := func(i int64) error {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI(target + "/?c=" + campaign + "&click_id=" + clickID(i) + "&gaid=" + gaid(i) +
			"&aff_id=4471&pub_id=site_209&sub1=bench&sub2=" + strconv.FormatInt(i%97, 10))
		req.Header.SetUserAgent(userAgents[i%int64(len(userAgents))])
		if err := hc.Do(req, resp); err != nil {
			return err
		}
		if resp.StatusCode() != fasthttp.StatusFound {
			return fmt.Errorf("click answered %d", resp.StatusCode())
		}
		return nil
	}
	loadtest.Pace(ctx, o.Rate*10, o.Clicks, o.Conns, func(i int64, due time.Time) {
		err := click(i)
		lat := time.Since(due)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			clickErrs++
			return
		}
		clicks.Record(lat)
	})

	conversions := loadtest.NewHistogram()
	var convErrs, held int64
	fmt.Fprintf(logw, "bench: %d conversions at %.0f/s\n", o.Conversions, o.Rate)
	step := o.Clicks / o.Conversions
	loadtest.Pace(ctx, o.Rate, o.Conversions, o.Conns, func(i int64, due time.Time) {
		c := i * step
		if o.NATS != "" {
			// Across regions the install chases its click: made just now
			// in the first region, it is attributed in the second once
			// replication has brought it (held until then).
			c = o.Clicks + i
			if err := click(c); err != nil {
				mu.Lock()
				clickErrs++
				mu.Unlock()
			}
		}
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		// Half the installs carry the click's click_id; the other half
		// only its advertising id.
		body := `{"type":"install","install_id":"bench-` + tag + `-in-` + strconv.FormatInt(i, 10) + `","event_id":"` + eventID(i) + `"`
		if i%2 == 0 {
			body += `,"click_id":"` + clickID(c) + `"`
		} else {
			body += `,"gaid":"` + gaid(c) + `","platform":"android"`
		}
		body += "}"
		req.SetRequestURI(convTarget + "/v1/conversions")
		req.Header.SetMethod(fasthttp.MethodPost)
		req.Header.SetContentType("application/json")
		req.SetBodyString(body)
		// Across regions the clock starts when the install is sent, after
		// its click: the time from then to the postback is the time to
		// attribute it in the other region.
		sent := due
		if o.NATS != "" {
			sent = time.Now()
		}
		sk.sent(eventID(i), sent)
		err := convHC.Do(req, resp)
		lat := time.Since(sent)
		mu.Lock()
		defer mu.Unlock()
		ok := err == nil && resp.StatusCode() == fasthttp.StatusOK
		switch body := string(resp.Body()); {
		case ok && strings.Contains(body, `"postback":"queued"`):
		case ok && o.NATS != "" && strings.Contains(body, `"postback":"pending"`):
			held++
		default:
			convErrs++
			sk.forget(eventID(i))
			return
		}
		conversions.Record(lat)
	})

	postbacks, missing := sk.wait(ctx, 30*time.Second)
	r := &Report{
		Settings: map[string]any{
			"clicks": o.Clicks, "conversions": o.Conversions, "click_rate": o.Rate * 10,
			"conversion_rate": o.Rate, "durability": o.Durability, "target": redactedURL(target),
			"conns": o.Conns, "click_errors": clickErrs, "conversion_errors": convErrs,
			"postbacks_missing": missing,
		},
		Clicks:      Series{Count: clicks.Count(), Latency: clicks.Percentiles(), Hist: clicks},
		Conversions: Series{Count: conversions.Count(), Latency: conversions.Percentiles(), Hist: conversions},
		Postbacks:   Series{Count: postbacks.Count(), Latency: postbacks.Percentiles(), Hist: postbacks},
		Machine:     machine(),
	}
	if o.Target != "" {
		r.Settings["durability"] = "remote"
	}
	if o.NATS != "" {
		r.Settings["regions"] = "clicks at one edge, installs at another"
		r.Settings["nats"] = redactedURL(o.NATS)
		r.Settings["installs_held"] = held
	}
	return r, nil
}

// deleteStreams deletes the regions' streams from the JetStream server at
// url.
func deleteStreams(url string, regions []string, logw io.Writer) {
	nc, err := nats.Connect(url)
	if err != nil {
		fmt.Fprintf(logw, "bench: streams not deleted: %v\n", err)
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		fmt.Fprintf(logw, "bench: streams not deleted: %v\n", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, region := range regions {
		if err := js.DeleteStream(ctx, replication.StreamName(region)); err != nil {
			fmt.Fprintf(logw, "bench: stream %s not deleted: %v\n", replication.StreamName(region), err)
		}
	}
}

func hostClient(target string, conns int) *fasthttp.HostClient {
	u, _ := url.Parse(target)
	return &fasthttp.HostClient{
		Addr: hostPort(u), IsTLS: u.Scheme == "https", MaxConns: conns,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
		// One attempt: a click that fails is an error to count, not one
		// for fasthttp to send again unseen (it retries a GET 5 times).
		MaxIdemponentCallAttempts: 1,
	}
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return u.Host + ":443"
	}
	return u.Host + ":80"
}

var userAgents = []string{
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
	"Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.163 Mobile Safari/537.36",
}

// benchConfig is the in-process edge's config; with region set, it
// replicates with peer through natsURL.
func benchConfig(dir, durability, sinkAddr, region, peer, natsURL string) (*config.Config, error) {
	pb := "http://" + sinkAddr + "/pb?event_id={event_id}&click_id={click_id}&match={match_type}"
	repl := ""
	if region != "" {
		repl = fmt.Sprintf("region: %q\nreplication:\n  nats_url: %q\n  peers: [%q]\n", region, natsURL, peer)
	}
	y := repl + fmt.Sprintf(`listen: "127.0.0.1:0"
admin_listen: "127.0.0.1:0"
data_dir: %q
durability: %q
allow_private_targets: true
apps:
  com.bench.app:
    android: "https://play.google.com/store/apps/details?id=com.bench.app"
    ios: "https://apps.apple.com/app/id1"
partners:
  bench:
    install: %q
    max_conns: 64
    retry: { base: "100ms", max_interval: "1s", max_age: "1h" }
campaigns:
  bench: { app: com.bench.app, partner: bench }
`, filepath.Join(dir, "data"), durability, pb)
	return config.Parse("bench config", []byte(y), func(string) (string, bool) { return "", false })
}

func machine() map[string]string {
	host, _ := os.Hostname()
	return map[string]string{
		"go":       runtime.Version(),
		"os_arch":  runtime.GOOS + "/" + runtime.GOARCH,
		"cpus":     strconv.Itoa(runtime.NumCPU()),
		"hostname": host,
		"time":     time.Now().UTC().Format(time.RFC3339),
		"version":  edge.Version,
	}
}

// sink receives the postbacks and measures conversion sent -> postback
// received per event_id.
type sink struct {
	srv      *fasthttp.Server
	ln       net.Listener
	addr     string
	mu       sync.Mutex
	sentAt   map[string]time.Time     // conversions sent, their postback not yet received
	latency  map[string]time.Duration // postbacks received, by event_id
	got      int64                    // len(latency)
	expected int64
	done     chan struct{}
	closed   bool // done is closed
}

func startSink(addr string, expected int64) (*sink, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("bench: sink listen %s: %w", addr, err)
	}
	s := &sink{ln: ln, addr: ln.Addr().String(), sentAt: make(map[string]time.Time, expected),
		latency: make(map[string]time.Duration, expected), expected: expected, done: make(chan struct{})}
	s.srv = &fasthttp.Server{Handler: s.handle, Name: "clickedge-bench-sink"}
	go s.srv.Serve(ln)
	return s, nil
}

func (s *sink) sent(id string, at time.Time) {
	s.mu.Lock()
	s.sentAt[id] = at
	s.mu.Unlock()
}

// forget drops a conversion that was not accepted, and its postback if it
// came all the same (an edge that posted, then failed to answer): only
// accepted conversions' postbacks are measured and expected.
func (s *sink) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sentAt, id)
	if _, came := s.latency[id]; came {
		delete(s.latency, id)
		s.got--
	}
	s.expected--
	s.checkDone()
}

func (s *sink) handle(ctx *fasthttp.RequestCtx) {
	now := time.Now()
	id := string(ctx.QueryArgs().Peek("event_id"))
	s.mu.Lock()
	if at, ok := s.sentAt[id]; ok {
		delete(s.sentAt, id)
		s.latency[id] = now.Sub(at)
		s.got++
		s.checkDone()
	}
	s.mu.Unlock()
	ctx.SetStatusCode(fasthttp.StatusOK)
}

// checkDone closes done once every expected postback came; s.mu is held.
func (s *sink) checkDone() {
	if !s.closed && s.got >= s.expected {
		s.closed = true
		close(s.done)
	}
}

// wait waits for every expected postback, or the timeout after the last
// conversion was sent.
func (s *sink) wait(ctx context.Context, timeout time.Duration) (*loadtest.Histogram, int64) {
	s.mu.Lock()
	complete := s.got >= s.expected
	s.mu.Unlock()
	if !complete {
		select {
		case <-s.done:
		case <-time.After(timeout):
		case <-ctx.Done():
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	hist := loadtest.NewHistogram()
	for _, d := range s.latency {
		hist.Record(d)
	}
	return hist, s.expected - s.got
}

func (s *sink) close() { s.srv.Shutdown() }

// redactedURL is u, a URL or a comma-separated list of them as NATS takes,
// with each one's credentials masked (user:password, or a token alone as
// in nats://token@host): the report is made to be passed around.
func redactedURL(u string) string {
	parts := strings.Split(u, ",")
	for i, p := range parts {
		if pu, err := url.Parse(p); err == nil && pu.User != nil {
			pu.User = nil // url.User would escape the asterisks
			parts[i] = strings.Replace(pu.String(), "://", "://****@", 1)
		}
	}
	return strings.Join(parts, ",")
}
