package loadtest

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

func testTraffic(seed int64) *traffic {
	o, _ := Options{Target: "http://edge.test:8080", Rate: 1000, Duration: 10e9, Conns: 64}.withDefaults()
	return newTraffic(o, seed, "edge.test:8080", "/base")
}

func buildAll(t *traffic, n int64) []string {
	b := newBuilder(t)
	req := new(fasthttp.Request)
	out := make([]string, n)
	for i := range n {
		b.build(i, req)
		out[i] = req.String()
	}
	return out
}

func TestTrafficIsDeterministic(t *testing.T) {
	a, b := buildAll(testTraffic(7), 3000), buildAll(testTraffic(7), 3000)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("slot %d differs between two builds with one seed:\n%s\n%s", i, a[i], b[i])
		}
	}
	// Building out of order (as concurrent workers do) changes nothing.
	bl, req := newBuilder(testTraffic(7)), new(fasthttp.Request)
	for _, i := range []int64{2999, 5, 1500, 0} {
		bl.build(i, req)
		if req.String() != a[i] {
			t.Fatalf("slot %d depends on build order", i)
		}
	}
	if c := buildAll(testTraffic(8), 1); c[0] == a[0] {
		t.Fatal("another seed sends the same first request")
	}
}

func TestTrafficShape(t *testing.T) {
	tr := testTraffic(99)
	b := newBuilder(tr)
	req := new(fasthttp.Request)
	const n = 20000
	var counts [numKinds]int
	clickIDs := map[string]int64{}
	installIDs := map[string]int64{}
	var bots, notFound, linked int
	for i := range int64(n) {
		k, want := b.build(i, req)
		counts[k]++
		if string(req.Host()) != "edge.test:8080" {
			t.Fatalf("slot %d goes to host %q", i, req.Host())
		}
		switch k {
		case kindClick:
			if !bytes.HasPrefix(req.RequestURI(), []byte("/base/?c=")) {
				t.Fatalf("click URI %s", req.RequestURI())
			}
			q, err := url.ParseQuery(string(req.URI().QueryString()))
			if err != nil {
				t.Fatalf("slot %d query: %v", i, err)
			}
			if want == fasthttp.StatusNotFound {
				notFound++
				if q.Get("c") == "demo" {
					t.Fatalf("slot %d expects 404 for campaign demo", i)
				}
			}
			if tr.variantOf(i) == clickBot {
				bots++
			}
			if tr.variantOf(i) == clickNormal {
				clickIDs[q.Get("click_id")] = i
			}
		case kindInstall, kindEvent:
			if want != 200 || string(req.Header.Method()) != "POST" || string(req.RequestURI()) != "/base/v1/conversions" {
				t.Fatalf("slot %d: %s %s want %d", i, req.Header.Method(), req.RequestURI(), want)
			}
			var c map[string]any
			if err := json.Unmarshal(req.Body(), &c); err != nil {
				t.Fatalf("slot %d body %s: %v", i, req.Body(), err)
			}
			id, _ := c["install_id"].(string)
			if k == kindInstall {
				installIDs[id] = i
				if cid, ok := c["click_id"].(string); ok {
					j, seen := clickIDs[cid]
					if !seen || j >= i-tr.gap {
						t.Fatalf("install %d converts click %q, not an earlier settled ordinary click", i, cid)
					}
					linked++
				}
			} else if j, seen := installIDs[id]; seen && j >= i {
				t.Fatalf("event %d for a later install", i)
			}
		}
	}
	within := func(name string, got int, lo, hi float64) {
		if f := float64(got) / n; f < lo || f > hi {
			t.Errorf("%s share %.4f, want %.3f..%.3f", name, f, lo, hi)
		}
	}
	within("click", counts[kindClick], 0.88, 0.92)
	within("install", counts[kindInstall], 0.07, 0.09)
	within("event", counts[kindEvent], 0.015, 0.025)
	within("bot", bots, 0.015, 0.025)
	within("unknown campaign", notFound, 0.001, 0.005)
	if f := float64(linked) / float64(counts[kindInstall]); f < 0.4 || f > 0.6 {
		t.Errorf("installs carrying a click_id %.2f, want about half", f)
	}
}

func TestAppendHelpers(t *testing.T) {
	if got := string(appendQuery(nil, "{gaid} a/b%7B")); got != "%7Bgaid%7D%20a%2Fb%257B" {
		t.Errorf("appendQuery = %s", got)
	}
	if got := string(appendJSONString(nil, "a\"b\\c\n")); got != `"a\"b\\c\u000a"` {
		t.Errorf("appendJSONString = %s", got)
	}
	d := testTraffic(1).device(3)
	id := string(d.appendAdID(nil))
	if len(id) != 36 || id[14] != '4' || strings.Count(id, "-") != 4 {
		t.Errorf("ad id %s", id)
	}
	for _, a := range append(append(androidAgents[:], iosAgents[:]...), botAgents[:]...) {
		if !json.Valid(appendJSONString(nil, a)) {
			t.Errorf("agent %q does not encode", a)
		}
	}
}

// With impressions in the mix, each is a GET /v1/impression of the
// campaign with its own id and a device's advertising id.
func TestTrafficImpressions(t *testing.T) {
	o, _ := Options{Target: "http://edge.test:8080", Rate: 1000, Duration: 10e9, Conns: 64,
		Mix: Mix{Click: 10, Impression: 80, Install: 8, Event: 2}}.withDefaults()
	tr := newTraffic(o, 5, "edge.test:8080", "/base")
	b := newBuilder(tr)
	req := new(fasthttp.Request)
	const n = 10000
	var counts [numKinds]int
	ids := map[string]bool{}
	for i := range int64(n) {
		k, want := b.build(i, req)
		counts[k]++
		if k != kindImpression {
			continue
		}
		if want != 200 || string(req.Header.Method()) != "GET" || !bytes.HasPrefix(req.RequestURI(), []byte("/base/v1/impression?")) {
			t.Fatalf("slot %d: %s %s want %d", i, req.Header.Method(), req.RequestURI(), want)
		}
		q, err := url.ParseQuery(string(req.URI().QueryString()))
		if err != nil {
			t.Fatalf("slot %d query: %v", i, err)
		}
		id := q.Get("impression_id")
		if q.Get("c") != "demo" || id == "" || ids[id] || q.Get("gaid")+q.Get("idfa") == "" || q.Get("user_agent") == "" {
			t.Fatalf("slot %d impression %s", i, req.RequestURI())
		}
		ids[id] = true
	}
	if f := float64(counts[kindImpression]) / n; f < 0.78 || f > 0.82 {
		t.Errorf("impression share %.3f, want about 0.8", f)
	}
	if f := float64(counts[kindClick]) / n; f < 0.09 || f > 0.11 {
		t.Errorf("click share %.3f, want about 0.1", f)
	}
}

// With a conversion token (-conversion-token), every conversion carries it
// as a bearer token, for an edge with conversion_tokens set; clicks and
// impressions never do.
func TestTrafficConversionToken(t *testing.T) {
	o, _ := Options{Target: "http://edge.test:8080", Rate: 1000, Duration: 10e9, Conns: 64, ConversionToken: "tok-123"}.withDefaults()
	b := newBuilder(newTraffic(o, 5, "edge.test:8080", ""))
	req := new(fasthttp.Request)
	conversions := 0
	for i := range int64(2000) {
		b.build(i, req)
		auth := string(req.Header.Peek("Authorization"))
		switch {
		case string(req.Header.Method()) == "POST":
			conversions++
			if auth != "Bearer tok-123" {
				t.Fatalf("conversion %d: Authorization %q", i, auth)
			}
		case auth != "":
			t.Fatalf("%s %s carries Authorization %q", req.Header.Method(), req.URI().Path(), auth)
		}
	}
	if conversions == 0 {
		t.Fatal("no conversion built")
	}
}
