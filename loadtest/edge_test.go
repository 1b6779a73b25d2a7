package loadtest

import (
	"encoding/json"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// fakeEdge answers on 127.0.0.1 the way clickedge does (CONTRACT §3, §4):
// 302 for a click on the known campaign, 404 for any other, 200 for a
// well-formed conversion. A request the real edge would refuse is answered
// 400 and counted, so the generator's mistakes fail the tests.
type fakeEdge struct {
	URL      string
	campaign string
	stallN   int64 // the first stallN requests wait stall before answering
	stall    time.Duration

	seen                     atomic.Int64
	clicks, installs, events atomic.Int64
	bots, unknown, macros    atomic.Int64
	byClickID, byAdID        atomic.Int64
	mu                       sync.Mutex
	bad                      []string
	hosts                    map[string]int
}

func startFakeEdge(t *testing.T, campaign string, stallN int64, stall time.Duration) *fakeEdge {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeEdge{URL: "http://" + ln.Addr().String(), campaign: campaign, stallN: stallN, stall: stall, hosts: map[string]int{}}
	srv := &fasthttp.Server{Handler: f.handle, DisablePreParseMultipartForm: true}
	go srv.Serve(ln)
	t.Cleanup(func() { _ = srv.Shutdown() })
	return f
}

func (f *fakeEdge) fail(format string) {
	f.mu.Lock()
	f.bad = append(f.bad, format)
	f.mu.Unlock()
}

func (f *fakeEdge) handle(ctx *fasthttp.RequestCtx) {
	if f.seen.Add(1) <= f.stallN {
		time.Sleep(f.stall)
	}
	f.mu.Lock()
	f.hosts[string(ctx.Host())]++
	f.mu.Unlock()
	switch {
	case ctx.IsGet() && string(ctx.Path()) == "/":
		f.click(ctx)
	case ctx.IsPost() && string(ctx.Path()) == "/v1/conversions":
		f.conversion(ctx)
	default:
		f.fail("unexpected " + string(ctx.Method()) + " " + string(ctx.RequestURI()))
		ctx.SetStatusCode(fasthttp.StatusBadRequest)
	}
}

func inDocNets(s string) bool {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	for _, p := range []string{"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"} {
		if netip.MustParsePrefix(p).Contains(a) {
			return true
		}
	}
	return false
}

func (f *fakeEdge) click(ctx *fasthttp.RequestCtx) {
	f.clicks.Add(1)
	args := ctx.QueryArgs()
	ua := string(ctx.UserAgent())
	isBot := strings.Contains(ua, "bot") || strings.Contains(ua, "Bot") || strings.Contains(ua, "externalhit") || strings.HasPrefix(ua, "WhatsApp")
	if isBot {
		f.bots.Add(1)
	}
	if string(args.Peek("c")) != f.campaign {
		f.unknown.Add(1)
		ctx.SetStatusCode(fasthttp.StatusNotFound)
		return
	}
	gaid, idfa := string(args.Peek("gaid")), string(args.Peek("idfa"))
	macro := strings.ContainsAny(gaid+idfa+string(args.Peek("click_id")), "{}[]%") || len(args.Peek("sub1")) > 512
	if macro {
		f.macros.Add(1)
	}
	switch {
	case len(args.Peek("click_id")) == 0, !inDocNets(string(args.Peek("ip"))), ua == "":
		f.fail("click without click_id, documentation ip or user agent: " + string(ctx.RequestURI()))
	case !isBot && !macro && len(gaid)+len(idfa) != 36:
		f.fail("click without a 36-char advertising id: " + string(ctx.RequestURI()))
	case !isBot && !macro && (gaid != "") != strings.Contains(ua, "Android"):
		f.fail("advertising id key does not match the user agent's platform: " + string(ctx.RequestURI()))
	}
	ctx.Response.Header.Set("Location", "https://play.google.com/store/apps/details?id=com.example.app")
	ctx.Response.Header.Set("Cache-Control", "no-store")
	ctx.SetStatusCode(fasthttp.StatusFound)
}

func (f *fakeEdge) conversion(ctx *fasthttp.RequestCtx) {
	var c map[string]string
	if err := json.Unmarshal(ctx.PostBody(), &c); err != nil {
		f.fail("conversion body: " + err.Error() + ": " + string(ctx.PostBody()))
		ctx.SetStatusCode(fasthttp.StatusBadRequest)
		return
	}
	ok := c["install_id"] != ""
	switch c["type"] {
	case "install":
		f.installs.Add(1)
		ok = ok && inDocNets(c["ip"]) && c["user_agent"] != "" && (c["platform"] == "android" || c["platform"] == "ios")
		switch {
		case c["click_id"] != "":
			f.byClickID.Add(1)
		case len(c["gaid"]) == 36 || len(c["idfa"]) == 36:
			f.byAdID.Add(1)
		default:
			ok = false
		}
	case "event":
		f.events.Add(1)
		ok = ok && c["event_name"] == "purchase" && c["event_id"] != "" && c["revenue"] != "" && len(c["currency"]) == 3
	default:
		ok = false
	}
	if !ok {
		f.fail("conversion: " + string(ctx.PostBody()))
		ctx.SetStatusCode(fasthttp.StatusBadRequest)
		return
	}
	ctx.SetContentType("application/json")
	ctx.SetBodyString(`{"event_id":"e","install_id":"` + c["install_id"] + `","attributed":true,"match":"click_id","postback":"queued"}`)
}

func (f *fakeEdge) check(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, b := range f.bad {
		if i == 5 {
			t.Errorf("... %d more", len(f.bad)-5)
			break
		}
		t.Errorf("fake edge refused: %s", b)
	}
	for h := range f.hosts {
		if "http://"+h != f.URL {
			t.Errorf("request with Host %q, want only %s", h, f.URL)
		}
	}
}
