package tracker_test

// The attribution waterfall and the dedup rules of CONTRACT §4, written as
// scripts under testdata/attribution, in the spirit of Pebble's data-driven
// tests. Each file runs against one Tracker over a fresh store, both on an
// injected clock, through the real handler: clicks are GET /?…, conversions
// POST /v1/conversions and /v1/conversions/batch.
//
// A command is one line, then its input lines, then "----", then the
// expected output, up to the next blank line. Blank lines and lines starting
// with '#' between commands are comments.
//
//	time 2025-11-26T00:00:00Z    set the clock (fractions allowed)
//	advance 7d1s                 move it forward (config durations)
//	config                       replace the configuration with the YAML input
//	config base+replication      the base configuration with replication on
//	                             (peer "eu", pending_window 60s)
//	config base+anonymize_ip     the base configuration with anonymize_ip
//	click k=v …                  GET /?k=v&…, each value URL-encoded here; the
//	                             answer's status, and the stored click's flags.
//	                             peer=IP is the connection's address,
//	                             header-ua=UA the User-Agent header, +location
//	                             prints the Location header, +ip the stored
//	                             click's IP
//	impression [/APP] k=v …      GET /v1/impression[/APP]?k=v&…, values as
//	                             for click; the answer
//	conversion JSON              POST /v1/conversions, application/json
//	conversion form BODY         the same, form-encoded
//	batch                        POST /v1/conversions/batch, the input as NDJSON
//	outbox [full]                the pending postback jobs, in queue order
//	peer-install ID CLICK CAMP   region "eu" decided install ID for click
//	                             CLICK in campaign CAMP, and replication
//	                             applied its record here
//	peer-event ID INSTALL NAME   region "eu" decided event ID of install
//	                             INSTALL (organic; a signup when NAME is
//	                             signup), and replication applied it here
//	holds [early]                decide again the held conversions due now
//	                             (early: all of them, as when replication
//	                             stored something; tracker/held.go); prints
//	                             how many were read
//	install ID, event ID         the stored install or event
//	metric SERIES                how far a series of /metrics (a counter,
//	                             a histogram's bucket or count, written as
//	                             exposed) moved since the script began
//
// A value in double quotes is Go-unquoted first ("a\xffb"). A ua,
// user_agent or header-ua value that names an entry of attrUserAgents
// stands for that agent, and %repeat(s,n) anywhere in a line for s n times
// (outputs write long runs of one byte so too).
// Generated ids (region "test") print as <gen1>, <gen2>… in order of first
// appearance, and "event <gen1>" looks one up.
//
// go test ./tracker -run TestAttributionDataDriven -rewrite rewrites the
// expected outputs from what the code does; review the diff.

import (
	"bytes"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/dispatch"
	"github.com/clickedge/clickedge/store"
	"github.com/clickedge/clickedge/tracker"
)

func init() {
	// Other data-driven tests in this package may register the flag too.
	if flag.Lookup("rewrite") == nil {
		flag.Bool("rewrite", false, "rewrite the expected outputs of data-driven tests")
	}
}

func attrRewriting() bool {
	f := flag.Lookup("rewrite")
	if f == nil {
		return false
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	b, _ := g.Get().(bool)
	return b
}

func TestAttributionDataDriven(t *testing.T) {
	files, err := filepath.Glob("testdata/attribution/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			attrRunFile(t, path)
		})
	}
}

// attrBaseConfig is the configuration every script starts with.
const attrBaseConfig = `
region: test
apps:
  com.test.app:
    android: "https://play.google.com/store/apps/details?id=com.test.app"
    ios: "https://apps.apple.com/app/id1111111111"
    web: "https://test.example/"
  com.other.app:
    android: "https://play.google.com/store/apps/details?id=com.other.app"
partners:
  acme:
    install: "https://pb.acme.example/i?click_id={click_id}&ts={event_time}"
    signup: "https://pb.acme.example/s?click_id={click_id}"
    events:
      purchase: "https://pb.acme.example/e?click_id={click_id}&rev={revenue}&cur={currency}"
    rename: { purchase: "sale" }
  installonly:
    install: "https://pb.io.example/i?click_id={click_id}"
campaigns:
  camp7d:
    name: "Seven days"
    app: com.test.app
    partner: acme
  camp1d:
    app: com.test.app
    partner: acme
    click_lookback: 1d
    fingerprint_lookback: 1h
  camp30d:
    app: com.test.app
    partner: acme
    click_lookback: 30d
    fingerprint_lookback: 7d
  campnofp:
    app: com.test.app
    partner: acme
    fingerprint_lookback: "0"
  campnopartner:
    app: com.test.app
  campio:
    app: com.test.app
    partner: installonly
  campother:
    app: com.other.app
    partner: acme
`

// attrStart is where every script's clock starts.
var attrStart = time.Date(2025, 11, 26, 0, 0, 0, 0, time.UTC)

// attrUserAgents are the agents scripts name: browsers for clicks, app HTTP
// clients for conversions.
var attrUserAgents = map[string]string{
	"android14":     "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
	"android14-app": "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A.240305.019)",
	"android13":     "Mozilla/5.0 (Linux; Android 13; SM-S901B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
	"android13-app": "Dalvik/2.1.0 (Linux; U; Android 13; SM-S901B Build/TP1A.220624.014)",
	"android8.1":    "Mozilla/5.0 (Linux; Android 8.1.0; Nexus 5X Build/OPM1.171019.011) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
	"ios17.2":       "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
	"ios17.2-app":   "TestApp/3.1 (iPhone; iOS 17.2.1; Scale/3.00)",
	"ios17.3-app":   "TestApp/3.1 (iPhone; iOS 17.3; Scale/3.00)",
	"desktop":       "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
	// Agents that hide the OS version: Chrome's reduced Android agent, and
	// Safari 26's frozen iPhone OS 18_7 (its Version/ is the OS's).
	"chrome-reduced": "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
	"safari26.3":     "Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.3 Mobile/15E148 Safari/604.1",
	"slackbot":       "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
	"facebook":       "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
}

// attrClock is the injected clock; the store's background work reads it too.
type attrClock struct{ ns atomic.Int64 }

func (c *attrClock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *attrClock) Set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *attrClock) Add(d time.Duration) { c.ns.Add(int64(d)) }

// attrEnv is one Tracker over one store.
type attrEnv struct {
	t       testing.TB
	clock   *attrClock
	st      *store.Store
	tr      *tracker.Tracker
	gen     map[string]string // generated id -> <genN>
	ungen   map[string]string // <genN> -> generated id
	peerSeq uint64            // the "eu" stream's last sequence applied
	// metricBase is every series of /metrics as the script began: the
	// metric command prints how far one moved since (metrics are
	// process-wide).
	metricBase map[string]float64
}

// exposedMetrics reads every series /metrics shows, by name and labels.
func exposedMetrics() map[string]float64 {
	var b bytes.Buffer
	metrics.WritePrometheus(&b, false)
	m := map[string]float64{}
	for _, line := range strings.Split(b.String(), "\n") {
		i := strings.LastIndexByte(line, ' ')
		if i < 0 || line[0] == '#' {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			m[line[:i]] = v
		}
	}
	return m
}

// attrPeerInstall is the replication record a peer region publishes for
// in, made by a scratch store.
// applyPeer applies here, as region "eu"'s next stream sequence, the
// replication records a store of that region queues for what put writes.
func (e *attrEnv) applyPeer(put func(tx *store.ConvTx)) (store.Applied, error) {
	st, err := store.Open(store.Options{Dir: e.t.TempDir(), Durability: store.Async, Replicate: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		e.t.Fatal(err)
	}
	defer st.Close()
	tx := st.BeginConversions()
	put(tx)
	if err := tx.Commit(); err != nil {
		e.t.Fatal(err)
	}
	var recs [][]byte
	st.ReplicationPending(store.OutboxPos{}, 100, func(e store.OutboxEntry) bool {
		recs = append(recs, bytes.Clone(e.Payload))
		return true
	})
	e.peerSeq++
	return e.st.ApplyReplicated("eu", e.peerSeq, recs)
}

// attrNewEnv opens a store in a temporary directory and a Tracker over it
// with cfgYAML (attrBaseConfig when empty).
func attrNewEnv(t testing.TB, dur store.Durability, cfgYAML string) *attrEnv {
	t.Helper()
	if cfgYAML == "" {
		cfgYAML = attrBaseConfig
	}
	cfg, err := config.Parse("test.yaml", []byte(cfgYAML), nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := new(attrClock)
	clock.Set(attrStart)
	e := attrOpenEnv(t, t.TempDir(), dur, cfg, clock)
	t.Cleanup(func() {
		if err := e.st.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

// attrOpenEnv opens the store in dir on clock and a Tracker over it; the
// caller closes e.st.
func attrOpenEnv(t testing.TB, dir string, dur store.Durability, cfg *config.Config, clock *attrClock) *attrEnv {
	t.Helper()
	discard := slog.New(slog.DiscardHandler)
	st, err := store.Open(store.Options{Dir: dir, Durability: dur, Now: clock.Now, Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	tr := tracker.New(tracker.Options{Store: st, Config: cfg, Now: clock.Now, Logger: discard})
	e := &attrEnv{t: t, clock: clock, st: st, tr: tr, gen: map[string]string{}, ungen: map[string]string{},
		metricBase: exposedMetrics()}
	return e
}

// do runs one request through the handler and returns the answer.
func (e *attrEnv) do(method, uri, contentType string, body []byte, peer, ua string) *fasthttp.Response {
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(uri)
	if contentType != "" {
		req.Header.SetContentType(contentType)
	}
	if ua != "" {
		req.Header.SetUserAgent(ua)
	}
	if body != nil {
		req.SetBody(body)
	}
	if peer == "" {
		peer = "192.0.2.1"
	}
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, &net.TCPAddr{IP: net.ParseIP(peer), Port: 40000}, nil)
	e.tr.Handler(&ctx)
	var resp fasthttp.Response
	ctx.Response.CopyTo(&resp)
	return &resp
}

// attrCmd is one command of a script.
type attrCmd struct {
	line  int      // 1-based line of the command
	pre   []string // comment and blank lines before it
	cmd   string
	input []string
	want  string
}

// attrParse splits a script into commands; trailer is what follows the last.
func attrParse(path, data string) (cmds []attrCmd, trailer []string, err error) {
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	for i := 0; i < len(lines); {
		var pre []string
		for i < len(lines) && (strings.TrimSpace(lines[i]) == "" || strings.HasPrefix(lines[i], "#")) {
			pre = append(pre, lines[i])
			i++
		}
		if i == len(lines) {
			return cmds, pre, nil
		}
		c := attrCmd{line: i + 1, pre: pre, cmd: lines[i]}
		i++
		for ; i < len(lines) && lines[i] != "----"; i++ {
			c.input = append(c.input, lines[i])
		}
		if i == len(lines) {
			return nil, nil, fmt.Errorf("%s:%d: %q has no ---- line", path, c.line, c.cmd)
		}
		i++
		var want []string
		for ; i < len(lines) && lines[i] != ""; i++ {
			want = append(want, lines[i])
		}
		if i < len(lines) {
			i++ // the blank line that ends the output
		}
		c.want = strings.Join(want, "\n")
		cmds = append(cmds, c)
	}
	return cmds, nil, nil
}

// attrFormat writes a script back, with each command's want.
func attrFormat(cmds []attrCmd, trailer []string) string {
	var b strings.Builder
	for _, c := range cmds {
		for _, l := range c.pre {
			b.WriteString(l + "\n")
		}
		b.WriteString(c.cmd + "\n")
		for _, l := range c.input {
			b.WriteString(l + "\n")
		}
		b.WriteString("----\n")
		if c.want != "" {
			b.WriteString(c.want + "\n")
		}
		b.WriteString("\n")
	}
	for _, l := range trailer {
		b.WriteString(l + "\n")
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

func attrRunFile(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cmds, trailer, err := attrParse(path, string(data))
	if err != nil {
		t.Fatal(err)
	}
	e := attrNewEnv(t, store.Sync, "")
	rewrite := attrRewriting()
	for i := range cmds {
		c := &cmds[i]
		got := strings.TrimRight(e.run(c), "\n")
		if rewrite {
			c.want = got
			continue
		}
		if got != c.want {
			t.Errorf("%s:%d: %s\ngot:\n%s\nwant:\n%s", path, c.line, c.cmd, got, c.want)
		}
	}
	if rewrite {
		if err := os.WriteFile(path, []byte(attrFormat(cmds, trailer)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var attrRepeat = regexp.MustCompile(`%repeat\(([^,)]*),(\d+)\)`)

func attrExpand(s string) string {
	return attrRepeat.ReplaceAllStringFunc(s, func(m string) string {
		sub := attrRepeat.FindStringSubmatch(m)
		n, _ := strconv.Atoi(sub[2])
		return strings.Repeat(sub[1], n)
	})
}

// run executes one command and returns its output.
func (e *attrEnv) run(c *attrCmd) string {
	line := attrExpand(c.cmd)
	name, args, _ := strings.Cut(line, " ")
	input := make([]string, len(c.input))
	for i, l := range c.input {
		input[i] = attrExpand(l)
	}
	switch name {
	case "time":
		tm, err := time.Parse(time.RFC3339Nano, args)
		if err != nil {
			return "error: " + err.Error()
		}
		e.clock.Set(tm)
		return e.clock.Now().Format(time.RFC3339Nano)
	case "advance":
		d, err := config.ParseDuration(args)
		if err != nil {
			return "error: " + err.Error()
		}
		e.clock.Add(d)
		return e.clock.Now().Format(time.RFC3339Nano)
	case "config":
		text := strings.Join(input, "\n")
		switch args {
		case "base+replication":
			text = attrBaseConfig + "replication:\n  nats_url: \"nats://127.0.0.1:4222\"\n  peers: [eu]\n  pending_window: 60s\n"
		case "base+anonymize_ip":
			text = attrBaseConfig + "anonymize_ip: true\n"
		}
		cfg, err := config.Parse("test.yaml", []byte(text), nil)
		if err != nil {
			return "error: " + err.Error()
		}
		e.tr.SetConfig(cfg)
		return "ok"
	case "click":
		return e.click(args)
	case "conversion":
		ct, body := "application/json", args
		if rest, ok := strings.CutPrefix(args, "form "); ok {
			ct, body = "application/x-www-form-urlencoded", rest
		}
		resp := e.do("POST", "/v1/conversions", ct, []byte(body), "", "")
		return e.answer(resp)
	case "batch":
		body := strings.Join(input, "\n") + "\n"
		resp := e.do("POST", "/v1/conversions/batch", "application/x-ndjson", []byte(body), "", "")
		return e.answer(resp)
	case "outbox":
		return e.outbox(args == "full")
	case "impression":
		return e.impression(args)
	case "metric":
		now, ok := exposedMetrics()[args]
		if !ok {
			return "error: /metrics has no series " + args
		}
		return strconv.FormatFloat(now-e.metricBase[args], 'g', -1, 64)
	case "peer-install":
		f := strings.Fields(args)
		if len(f) != 3 {
			return "error: peer-install ID CLICK_ID CAMPAIGN"
		}
		a, err := e.applyPeer(func(tx *store.ConvTx) {
			tx.PutInstall(&store.Install{InstallID: f[0], EventID: "peer-" + f[0], App: "com.test.app",
				Match: store.MatchClickID, ClickID: f[1], Campaign: f[2], Partner: "acme", Time: e.clock.Now().Unix()})
		})
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("%d stored", a.Installs)
	case "peer-event":
		f := strings.Fields(args)
		if len(f) != 3 {
			return "error: peer-event EVENT_ID INSTALL_ID NAME"
		}
		a, err := e.applyPeer(func(tx *store.ConvTx) {
			kind := tracker.ConversionEvent
			if f[2] == "signup" {
				kind = tracker.ConversionSignup
				tx.PutSignup(f[1], f[0])
			}
			tx.PutEvent(&store.Event{EventID: f[0], InstallID: f[1], Kind: uint8(kind), Name: f[2],
				Time: e.clock.Now().Unix(), Match: store.MatchOrganic, Postback: "none"})
		})
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("%d events, %d signups stored", a.Events, a.Signups)
	case "holds":
		n, err := e.tr.RetryHolds(e.clock.Now(), args == "early")
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("%d due", n)
	case "install":
		in, err := e.st.GetInstall(e.id(args))
		if err != nil {
			return "error: " + err.Error()
		}
		return e.norm(attrInstallText(in))
	case "event":
		ev, err := e.st.GetEvent(e.id(args))
		if err != nil {
			return "error: " + err.Error()
		}
		return e.norm(attrEventText(ev))
	}
	e.t.Fatalf("line %d: unknown command %q", c.line, name)
	return ""
}

// click sends GET /?args and reports the status and the stored click's flags.
func (e *attrEnv) click(args string) string {
	var q []string
	var peer, headerUA, clickID string
	location, showIP := false, false
	for _, kv := range strings.Fields(args) {
		switch kv {
		case "+location":
			location = true
			continue
		case "+ip":
			showIP = true
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if len(v) >= 2 && v[0] == '"' {
			if uq, err := strconv.Unquote(v); err == nil {
				v = uq
			}
		}
		if ua, ok := attrUserAgents[v]; ok && (k == "ua" || k == "user_agent" || k == "header-ua") {
			v = ua
		}
		switch k {
		case "peer":
			peer = v
			continue
		case "header-ua":
			headerUA = v
			continue
		case "click_id":
			clickID = v
		}
		q = append(q, url.QueryEscape(k)+"="+url.QueryEscape(v))
	}
	resp := e.do("GET", "/?"+strings.Join(q, "&"), "", nil, peer, headerUA)
	out := strconv.Itoa(resp.StatusCode())
	if clickID != "" {
		// The click is stored under its click_id as sanitized.
		id, _ := tracker.AppendSanitized(nil, []byte(clickID))
		var c store.Click
		if _, ok, err := e.st.GetClick(id, &c, nil); err != nil {
			out += " error: " + err.Error()
		} else if !ok {
			out += " not stored"
		} else {
			if f := attrFlagNames(c.Flags); f != "" {
				out += " flags=" + f
			}
			if showIP {
				out += " ip=" + string(c.IP)
			}
		}
	}
	if location {
		out += " location=" + e.norm(string(resp.Header.Peek("Location")))
	}
	return out
}

// impression sends GET /v1/impression[/APP]?args and returns the answer.
func (e *attrEnv) impression(args string) string {
	path := "/v1/impression"
	var q []string
	for _, kv := range strings.Fields(args) {
		if strings.HasPrefix(kv, "/") {
			path += kv
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if ua, ok := attrUserAgents[v]; ok && (k == "ua" || k == "user_agent") {
			v = ua
		}
		q = append(q, url.QueryEscape(k)+"="+url.QueryEscape(v))
	}
	return e.answer(e.do("GET", path+"?"+strings.Join(q, "&"), "", nil, "", ""))
}

func attrFlagNames(f store.ClickFlags) string {
	var names []string
	for _, n := range []struct {
		f    store.ClickFlags
		name string
	}{
		{store.FlagBot, "bot"}, {store.FlagInvalidID, "invalid_id"}, {store.FlagOversize, "oversize"},
		{store.FlagBadUTF8, "bad_utf8"}, {store.FlagMacro, "macro"}, {store.FlagNoFingerprint, "fingerprint_off"},
	} {
		if f&n.f != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ",")
}

// answer prints a conversion answer: the body, after the status unless 200.
func (e *attrEnv) answer(resp *fasthttp.Response) string {
	body := strings.TrimRight(string(resp.Body()), "\n")
	if resp.StatusCode() != fasthttp.StatusOK {
		body = strconv.Itoa(resp.StatusCode()) + " " + body
	}
	return e.norm(body)
}

var attrGenID = regexp.MustCompile(`test-[0-9a-v]{21}`)

// norm names generated ids <gen1>, <gen2>… in order of first appearance and
// writes a run of 32 or more of one byte as %repeat(c,n).
func (e *attrEnv) norm(s string) string {
	s = attrCompressRuns(s)
	return attrGenID.ReplaceAllStringFunc(s, func(id string) string {
		if n, ok := e.gen[id]; ok {
			return n
		}
		n := "<gen" + strconv.Itoa(len(e.gen)+1) + ">"
		e.gen[id], e.ungen[n] = n, id
		return n
	})
}

func attrCompressRuns(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] == s[i] {
			j++
		}
		if c := s[i]; j-i >= 32 && c > ' ' && c < 0x7f && !strings.ContainsRune(",()%", rune(c)) {
			b.WriteString("%repeat(" + string(c) + "," + strconv.Itoa(j-i) + ")")
		} else {
			b.WriteString(s[i:j])
		}
		i = j
	}
	return b.String()
}

// id maps a <genN> back to the id it names.
func (e *attrEnv) id(s string) string {
	if id, ok := e.ungen[s]; ok {
		return id
	}
	return s
}

// attrJobs returns the pending postback jobs in queue order.
func attrJobs(t testing.TB, st *store.Store) []dispatch.Job {
	t.Helper()
	var jobs []dispatch.Job
	err := st.OutboxScan(store.QueuePostback, store.StatusPending, 0, math.MaxInt64, false, 0, func(en store.OutboxEntry) bool {
		var j dispatch.Job
		if err := dispatch.DecodeJob(en.Payload, &j); err != nil {
			t.Errorf("job %d: %v", en.ID, err)
			return true
		}
		if j.ID != en.ID {
			t.Errorf("job %d: payload says id %d", en.ID, j.ID)
		}
		jobs = append(jobs, j)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// outbox lists the pending postbacks: the values that pick and address one,
// or with full every non-empty value.
func (e *attrEnv) outbox(full bool) string {
	var b strings.Builder
	for _, j := range attrJobs(e.t, e.st) {
		kv := []string{
			"partner", j.Partner, "event_name", j.EventName, "install_id", j.InstallID,
			"event_id", j.EventID, "click_id", j.ClickID, "campaign_id", j.CampaignID, "match_type", j.MatchType,
		}
		if full {
			kv = append(kv,
				"event_time", attrInt(j.EventTime), "revenue", j.Revenue, "currency", j.Currency,
				"platform", j.Platform, "gaid", j.GAID, "idfa", j.IDFA, "oaid", j.OAID, "ip", j.IP,
				"country", j.Country, "app_id", j.AppID, "app_version", j.AppVersion,
				"campaign_name", j.CampaignName,
				"sub1", j.Sub[0], "sub2", j.Sub[1], "sub3", j.Sub[2], "sub4", j.Sub[3], "sub5", j.Sub[4],
				"aff_id", j.AffID, "pub_id", j.PubID, "offer_id", j.OfferID, "creative_id", j.CreativeID,
				"click_time", attrInt(j.ClickTime), "first_due", attrInt(j.FirstDue))
			if len(j.Attempts) != 0 {
				kv = append(kv, "attempts", strconv.Itoa(len(j.Attempts)))
			}
		}
		b.WriteString(j.Kind)
		attrWriteKV(&b, kv)
		b.WriteString("\n")
	}
	return e.norm(b.String())
}

func attrInt(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

// attrWriteKV writes the non-empty values as " k=v", quoting a value that
// has spaces or is not printable ASCII.
func attrWriteKV(b *strings.Builder, kv []string) {
	for i := 0; i < len(kv); i += 2 {
		v := kv[i+1]
		if v == "" {
			continue
		}
		if strings.ContainsAny(v, " \"") || !attrPrintable(v) {
			v = strconv.Quote(v)
		}
		b.WriteString(" " + kv[i] + "=" + v)
	}
}

func attrPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func attrInstallText(in *store.Install) string {
	var b strings.Builder
	b.WriteString("install " + in.InstallID)
	attrWriteKV(&b, []string{
		"event_id", in.EventID, "app", in.App, "platform", in.Platform.String(),
		"time", attrInt(in.Time), "match", in.Match.String(), "click_id", in.ClickID,
		"campaign", in.Campaign, "partner", in.Partner, "click_time", attrInt(in.ClickTime),
		"gaid", in.GAID, "idfa", in.IDFA, "oaid", in.OAID, "ip", in.IP, "country", in.Country,
		"sub1", in.Sub[0], "sub2", in.Sub[1], "sub3", in.Sub[2], "sub4", in.Sub[3], "sub5", in.Sub[4],
		"deep_link", in.DeepLink,
	})
	return b.String()
}

func attrEventText(ev *store.Event) string {
	var b strings.Builder
	b.WriteString("event " + ev.EventID)
	kind := tracker.ConversionType(ev.Kind).String()
	attrWriteKV(&b, []string{
		"kind", kind, "name", ev.Name, "install_id", ev.InstallID, "time", attrInt(ev.Time),
		"attributed", strconv.FormatBool(ev.Attributed), "match", ev.Match.String(),
		"click_id", ev.ClickID, "campaign", ev.Campaign, "postback", ev.Postback,
		"revenue", ev.Revenue, "currency", ev.Currency,
	})
	if ev.PostbackID != 0 {
		b.WriteString(" postback_id=set")
	}
	return b.String()
}

// TestAttrParseFormat checks that the script format round-trips, so that
// -rewrite changes only outputs.
func TestAttrParseFormat(t *testing.T) {
	const script = "# comment\n\ntime 2025-11-26T00:00:00Z\n----\n2025-11-26T00:00:00Z\n\n" +
		"batch\n{\"a\":1}\n\n{\"b\":2}\n----\nx\ny\n\noutbox\n----\n\n# trailer\n"
	cmds, trailer, err := attrParse("script", script)
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) != 3 || len(cmds[1].input) != 3 || cmds[1].want != "x\ny" || cmds[2].want != "" || len(trailer) != 1 {
		t.Fatalf("parsed %+v, trailer %q", cmds, trailer)
	}
	if got := attrFormat(cmds, trailer); got != script {
		t.Fatalf("formatted\n%s\nwant\n%s", got, script)
	}
	if _, _, err := attrParse("script", "time x\n"); err == nil {
		t.Fatal("a command without ---- parsed")
	}
	if !bytes.Equal([]byte(attrExpand("a%repeat(xy,3)b")), []byte("axyxyxyb")) {
		t.Fatal(attrExpand("a%repeat(xy,3)b"))
	}
}
