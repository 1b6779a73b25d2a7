//go:build !race

package tracker_test

// The click path allocates nothing per request after warm-up: query parse,
// campaign lookup, client IP, click id, record encoding, batch append and
// commit (store.PutClick), redirect. Asserted over the whole handler as
// fasthttp's allocation_test.go does. Run without -race (the race detector
// allocates).

import (
	"fmt"
	"net"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/store"
)

const (
	clickAllocRuns   = 200
	clickAllocWarmup = 300
)

// clickAllocLink is the realistic link with this click_id.
func clickAllocLink(id string) string {
	return "/?c=" + clickCampaign + "&click_id=" + id + clickLinkParams
}

// clickAllocCase is one kind of request, measured over its own store.
type clickAllocCase struct {
	name       string
	durability store.Durability
	method     string
	uri        func(id string) string
	fixedID    bool // every run the same click_id: duplicates after the first
	ua         string
	peer       string
	header     []string
	status     int
	config     string // YAML added to clickConfigYAML
}

var clickAllocCases = []clickAllocCase{
	{
		name: "android behind a trusted proxy", uri: clickAllocLink, ua: clickAndroidUA,
		peer: "10.1.2.3:4444", header: []string{"X-Forwarded-For", "203.0.113.9, 198.51.100.7, 10.0.0.2", "CF-IPCountry", "IN"},
		status: 302,
	},
	{
		name: "android, sync store", durability: store.Sync, uri: clickAllocLink, ua: clickAndroidUA,
		peer: "10.1.2.3:4444", header: []string{"X-Forwarded-For", "203.0.113.9, 10.0.0.2", "X-Forwarded-For", "198.51.100.7"},
		status: 302,
	},
	{
		name: "ip and ua as parameters", ua: "Go-http-client/1.1",
		uri: func(id string) string {
			return clickAllocLink(id) + "&af_ip=203.0.113.10&ua=" + url.QueryEscape(clickAndroidUA)
		},
		status: 302,
	},
	{
		name: "iphone, generated click_id, path campaign", ua: clickIPhoneUA, peer: "[2001:db8::7]:443",
		uri: func(id string) string {
			return "/" + clickCampaign + "?x=" + id + "&aff_id=4471&sub1=a&sub2=b&sub3=c&advertising_id=6D92078A-8246-4BA4-AE5B-76104861E7DC"
		},
		status: 302,
	},
	{
		name: "desktop to web", ua: clickDesktopUA, uri: clickAllocLink, status: 302,
	},
	{
		name: "web URL with redirect macros", ua: clickDesktopUA, status: 302,
		uri: func(id string) string { return "/?c=webcamp&click_id=" + id + "&sub1=spring%20sale" },
	},
	{
		name: "redirect= to an allowed host", ua: clickDesktopUA, status: 302,
		uri: func(id string) string {
			return "/?c=webcamp&click_id=" + id + "&redirect=https%3A%2F%2Fdeals.promo.example%2Fspring%3Fa%3D1"
		},
	},
	{
		name: "redirect= refused", ua: clickDesktopUA, status: 302,
		uri: func(id string) string { return "/?c=webcamp&click_id=" + id + "&af_r=https%3A%2F%2Fevil.example%2F" },
	},
	{
		name: "deep link", ua: clickAndroidUA, status: 302,
		uri: func(id string) string {
			return clickAllocLink(id) + "&deep_link=exampleapp%3A%2F%2Fproduct%2F42%3Fref%3Dspring"
		},
	},
	{
		name: "anonymize_ip, ipv6 behind a trusted proxy", uri: clickAllocLink, ua: clickAndroidUA,
		peer: "10.1.2.3:4444", header: []string{"X-Forwarded-For", "2001:db8:85a3:8d3:1319:8a2e:370:7348, 10.0.0.2"},
		status: 302, config: "anonymize_ip: true\n",
	},
	{
		name: "anonymize_ip, ip parameter", ua: clickAndroidUA, status: 302, config: "anonymize_ip: true\n",
		uri: func(id string) string { return clickAllocLink(id) + "&ip=203.0.113.77" },
	},
	{
		name: "bot with flagged values", ua: "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
		uri: func(id string) string {
			return clickAllocLink(id) + "&sub2=%FF%FE&gaid=%7Bgaid%7D&creative_id=" + strings.Repeat("%E2%82%AC", 300)
		},
		status: 302,
	},
	{
		name: "flagged click_id", ua: clickAndroidUA,
		uri: func(id string) string {
			return "/?c=" + clickCampaign + "&click_id=" + id + "%7Bclick_id%7D&sub1=" + strings.Repeat("y", 700)
		},
		status: 302,
	},
	{
		name: "duplicate", ua: clickAndroidUA, uri: clickAllocLink, fixedID: true, status: 302,
	},
	{
		name: "HEAD", method: "HEAD", ua: clickAndroidUA, uri: clickAllocLink, status: 302,
	},
	{
		name: "unknown campaign", ua: clickAndroidUA, uri: func(id string) string { return "/?c=nope&click_id=" + id }, status: 404,
	},
	{
		name: "impression", ua: "python-requests/2.31", status: 200,
		uri: func(id string) string {
			return "/v1/impression/com.example.app?c=videocamp&impression_id=" + id +
				"&impression_time=1795687200123&vt_lookback=12h&gaid=38400000-8cf0-11bd-b23e-10b96e40000d&ip=203.0.113.5&user_agent=" + url.QueryEscape(clickAndroidUA)
		},
	},
	{
		name: "impression of a campaign without view-through", ua: "python-requests/2.31", status: 200,
		uri: func(id string) string { return "/v1/impression?c=" + clickCampaign + "&tid=" + id },
	},
	{
		name: "server to server", ua: "python-requests/2.31", status: 200,
		uri: func(id string) string {
			return "/v1/click?c=" + clickCampaign + "&click_id=" + id + "&click_time=1795687200123&sub1=x&ip=203.0.113.5&user_agent=" + url.QueryEscape(clickAndroidUA)
		},
	},
}

// clickAllocRunner serves one clickAllocCase from one reused RequestCtx,
// each call with the next of its preallocated request URIs.
type clickAllocRunner struct {
	e    *clickEnv
	ctx  fasthttp.RequestCtx
	uris [][]byte
	next int
	want int
	bad  string // the first unexpected answer
}

func newClickAllocRunner(t testing.TB, e *clickEnv, c clickAllocCase, n int) *clickAllocRunner {
	t.Helper()
	r := &clickAllocRunner{e: e, want: c.status, uris: make([][]byte, n)}
	for i := range r.uris {
		id := fmt.Sprintf("%s-%07d", strings.ReplaceAll(c.name, " ", "_"), i)
		if c.fixedID {
			id = "same-click-every-time"
		}
		r.uris[i] = []byte(c.uri(id))
	}
	var req fasthttp.Request
	if c.method != "" {
		req.Header.SetMethod(c.method)
	}
	req.SetRequestURIBytes(r.uris[0])
	if c.ua != "" {
		req.Header.SetUserAgent(c.ua)
	}
	for i := 0; i+1 < len(c.header); i += 2 {
		req.Header.Add(c.header[i], c.header[i+1])
	}
	peer := c.peer
	if peer == "" {
		peer = clickPeer
	}
	addr, err := net.ResolveTCPAddr("tcp", peer)
	if err != nil {
		t.Fatal(err)
	}
	r.ctx.Init(&req, addr, nil)
	return r
}

// serve answers the next request, as fasthttp's server loop would with a
// recycled RequestCtx: new URI, reset response.
func (r *clickAllocRunner) serve() {
	r.ctx.Request.SetRequestURIBytes(r.uris[r.next%len(r.uris)])
	r.next++
	r.ctx.Response.Reset()
	r.e.tr.Handler(&r.ctx)
	if r.ctx.Response.StatusCode() != r.want && r.bad == "" {
		r.bad = r.ctx.Response.String()
	}
}

func TestClickAllocations(t *testing.T) {
	for _, c := range clickAllocCases {
		t.Run(c.name, func(t *testing.T) {
			e := clickNewEnvYAML(t, c.durability, clickConfigYAML+c.config)
			r := newClickAllocRunner(t, e, c, clickAllocWarmup+clickAllocRuns+1)
			for range clickAllocWarmup {
				r.serve()
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			n := testing.AllocsPerRun(clickAllocRuns, r.serve)
			runtime.ReadMemStats(&after)
			if r.bad != "" {
				t.Fatalf("answer:\n%s", r.bad)
			}
			if n != 0 {
				t.Errorf("%v allocations per click, want 0", n)
			}
			// The exact count, amortised allocations included (Pebble
			// rotating a memtable and its WAL every few MiB).
			t.Logf("%d allocations in %d clicks", after.Mallocs-before.Mallocs, clickAllocRuns+1)
		})
	}
}

// TestClickAllocationsTrackerSide measures what the tracker itself does for
// a click, everything but store.PutClick: HEAD runs the GET path (parse,
// campaign, client IP, click id, Location) and skips only the store. It
// keeps the tracker's share at 0 whatever the store's is.
func TestClickAllocationsTrackerSide(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	for _, c := range clickAllocCases {
		if c.status != 302 {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			c.method = "HEAD"
			e := e
			if c.config != "" {
				e = clickNewEnvYAML(t, store.Async, clickConfigYAML+c.config)
			}
			r := newClickAllocRunner(t, e, c, clickAllocWarmup+clickAllocRuns+1)
			for range clickAllocWarmup {
				r.serve()
			}
			if n := testing.AllocsPerRun(clickAllocRuns, r.serve); n != 0 {
				t.Errorf("%v allocations per click, want 0", n)
			}
			if r.bad != "" {
				t.Fatalf("answer:\n%s", r.bad)
			}
		})
	}
}
