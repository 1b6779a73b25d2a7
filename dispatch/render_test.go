package dispatch

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/config"
)

// renderJob is a full conversion: an Android purchase with revenue.
func renderJob() *Job {
	return &Job{
		ID: 42, Partner: "net", Kind: "event", EventName: "purchase",
		Created: 1764115200000, FirstDue: 1764115200000,
		ClickID: "a1b2 c3&d", InstallID: "inst-1", EventID: "ev-1", EventTime: 1764115200,
		Revenue: "9.99", Currency: "USD", Platform: "android",
		GAID: "38400000-8cf0-11bd-b23e-10b96e40000d", IDFA: "6D92078A-8246-4BA4-AE5B-76104861E7DC", OAID: "oaid-1",
		IP: "203.0.113.7", Country: "IN", AppID: "com.example", AppVersion: "1.2.3",
		CampaignID: "summer", CampaignName: "Summer sale", Sub: [5]string{"s1", "s 2", "", "", "s5"},
		AffID: "aff", PubID: "pub", OfferID: "off", CreativeID: "cr",
		ClickTime: 1764111600123, MatchType: "click_id",
	}
}

func compilePartnerYAML(t testing.TB, yaml string) *Partner {
	t.Helper()
	cfg := parseConfig(t, true, yaml)
	for _, p := range cfg.Partners {
		return CompilePartner(p)
	}
	t.Fatal("no partner")
	return nil
}

func TestRenderURL(t *testing.T) {
	now := time.Unix(1764115205, 0)
	const all = "?e={event_name}&rev={revenue}&cur={currency}&ad={advertising_id}&ts={timestamp}&iso={event_time_iso}&ct={click_time}&et={event_time}"
	p := compilePartnerYAML(t, `  net:
    install: "http://h/i`+all+`"
    signup: "http://h/s`+all+`"
    events:
      purchase: "http://h/p`+all+`"
      level_up: "http://h/l`+all+`"
    rename: { purchase: Purchase, install: first_open }
`)
	noRev := compilePartnerYAML(t, `  net:
    events: { purchase: "http://h/p`+all+`" }
    share_revenue: false
`)
	f := func(p *Partner, edit func(j *Job), want string) {
		t.Helper()
		j := renderJob()
		edit(j)
		got, ok := RenderURL(nil, p, j, now)
		if !ok || string(got) != want {
			t.Errorf("RenderURL = %q, %v\nwant %q", got, ok, want)
		}
	}
	const tail = "&ts=1764115205&iso=2025-11-26T00%3A00%3A00Z&ct=1764111600&et=1764115200"
	// An event, renamed.
	f(p, func(j *Job) {}, "http://h/p?e=Purchase&rev=9.99&cur=USD&ad=38400000-8cf0-11bd-b23e-10b96e40000d"+tail)
	// An event without a rename keeps its name.
	f(p, func(j *Job) { j.EventName = "level_up" }, "http://h/l?e=level_up&rev=9.99&cur=USD&ad=38400000-8cf0-11bd-b23e-10b96e40000d"+tail)
	// Install and signup; a rename of "install" applies too.
	f(p, func(j *Job) { j.Kind, j.EventName, j.Revenue, j.Currency = "install", "install", "", "" },
		"http://h/i?e=first_open&rev=&cur=&ad=38400000-8cf0-11bd-b23e-10b96e40000d"+tail)
	f(p, func(j *Job) { j.Kind, j.EventName = "signup", "signup" },
		"http://h/s?e=signup&rev=9.99&cur=USD&ad=38400000-8cf0-11bd-b23e-10b96e40000d"+tail)
	// advertising_id is the IDFA on iOS, nothing on an unknown platform.
	f(p, func(j *Job) { j.Platform = "ios" }, "http://h/p?e=Purchase&rev=9.99&cur=USD&ad=6D92078A-8246-4BA4-AE5B-76104861E7DC"+tail)
	f(p, func(j *Job) { j.Platform = "" }, "http://h/p?e=Purchase&rev=9.99&cur=USD&ad="+tail)
	// share_revenue: false empties revenue and currency.
	f(noRev, func(j *Job) {}, "http://h/p?e=purchase&rev=&cur=&ad=38400000-8cf0-11bd-b23e-10b96e40000d"+tail)
	// An organic install has no click_time.
	f(p, func(j *Job) { j.ClickTime = 0 },
		"http://h/p?e=Purchase&rev=9.99&cur=USD&ad=38400000-8cf0-11bd-b23e-10b96e40000d&ts=1764115205&iso=2025-11-26T00%3A00%3A00Z&ct=&et=1764115200")

	// No template for the conversion: not rendered.
	j := renderJob()
	j.EventName = "refund"
	if got, ok := RenderURL([]byte("x"), p, j, now); ok || string(got) != "x" {
		t.Errorf("RenderURL without a template = %q, %v; want dst unchanged, false", got, ok)
	}
}

// TestRenderEveryMacro renders every macro name and alias once, so a macro
// the renderer forgets to fill shows.
func TestRenderEveryMacro(t *testing.T) {
	var b strings.Builder
	b.WriteString("http://h/?")
	for _, m := range AllMacros() {
		fmt.Fprintf(&b, "%s={%s}&", m, m)
	}
	b.WriteString("tid={tid}&event={event}&sale_amount={sale_amount}&amount={amount}&s2={s2}&s3={s3}&s4={s4}")
	p := CompilePartner(&config.Partner{Install: b.String(), ShareRevenue: true, Method: "GET"})
	j := renderJob()
	j.Kind, j.EventName = "install", "install"
	got, _ := RenderURL(nil, p, j, time.Unix(1764115205, 0))
	want := "http://h/?click_id=a1b2%20c3%26d&install_id=inst-1&event_id=ev-1&event_name=install&event_time=1764115200" +
		"&event_time_iso=2025-11-26T00%3A00%3A00Z&revenue=9.99&currency=USD&platform=android" +
		"&advertising_id=38400000-8cf0-11bd-b23e-10b96e40000d&gaid=38400000-8cf0-11bd-b23e-10b96e40000d" +
		"&idfa=6D92078A-8246-4BA4-AE5B-76104861E7DC&oaid=oaid-1&ip=203.0.113.7&country=IN&app_id=com.example" +
		"&app_version=1.2.3&campaign_id=summer&campaign_name=Summer%20sale&sub1=s1&sub2=s%202&sub3=&sub4=&sub5=s5" +
		"&timestamp=1764115205&aff_id=aff&pub_id=pub&offer_id=off&creative_id=cr&click_time=1764111600&match_type=click_id&" +
		"tid=a1b2%20c3%26d&event=install&sale_amount=9.99&amount=9.99&s2=s%202&s3=&s4="
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestRenderBodyJSON(t *testing.T) {
	p := compilePartnerYAML(t, `  net:
    install: "http://h/pb"
    method: POST
    body: '{"click_id":"{click_id}","campaign":"{campaign_name}","sub1":"{sub1}","ts":{event_time},"raw":"{unknown}"}'
`)
	for _, name := range []string{"plain", `say "hi"`, "back\\slash", "new\nline\ttab\r", "ctl\x00\x01\x1f", "ünïcödé 🎉", "bad\xffutf8", "</script>&'"} {
		j := renderJob()
		j.Kind, j.EventName = "install", "install"
		j.CampaignName, j.Sub[0] = name, name
		body := RenderBody(nil, p, j, time.Unix(0, 0))
		var got struct {
			ClickID  string `json:"click_id"`
			Campaign string `json:"campaign"`
			Sub1     string `json:"sub1"`
			Raw      string `json:"raw"`
			TS       int64  `json:"ts"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Errorf("%q: body %s is not JSON: %v", name, body, err)
			continue
		}
		want := strings.ToValidUTF8(name, "\uFFFD")
		if got.Campaign != want || got.Sub1 != want || got.ClickID != j.ClickID || got.TS != j.EventTime || got.Raw != "{unknown}" {
			t.Errorf("%q: body %s decodes to %+v", name, body, got)
		}
	}
	// GET partners have no body.
	get := compilePartnerYAML(t, partnerYAML("net", "h", ""))
	if b := RenderBody([]byte("x"), get, renderJob(), time.Unix(0, 0)); string(b) != "x" {
		t.Errorf("RenderBody without a body template = %q", b)
	}
}

func TestRenderAllocatesNothingForJobs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	p := compilePartnerYAML(t, `  net:
    events:
      purchase: "https://pb.partner.example/postback?click_id={click_id}&event={event_name}&gaid={advertising_id}&rev={revenue}&cur={currency}&ts={timestamp}&iso={event_time_iso}&ct={click_time}"
    rename: { purchase: Purchase }
    method: POST
    body: '{"click_id":"{click_id}","event":"{event_name}","rev":"{revenue}","ts":{timestamp}}'
`)
	j := renderJob()
	now := time.Unix(1764115205, 0)
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(200, func() { buf, _ = RenderURL(buf[:0], p, j, now) }); n != 0 {
		t.Errorf("RenderURL: %v allocations per render; want 0", n)
	}
	if n := testing.AllocsPerRun(200, func() { buf = RenderBody(buf[:0], p, j, now) }); n != 0 {
		t.Errorf("RenderBody: %v allocations per render; want 0", n)
	}
	var b attemptBufs
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	if n := testing.AllocsPerRun(200, func() { buildRequest(req, p, j, now, &b) }); n != 0 {
		t.Errorf("buildRequest: %v allocations per request; want 0", n)
	}
}

// TestGoldenJobs renders the jobs of testdata/golden/jobs: each file is a
// partner config, "----", the job ("field: value" lines, values Go-quoted
// when they need to be) and the time it is built at, "----", then the
// request the sender builds. Regenerate with -update after checking a diff.
func TestGoldenJobs(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/jobs/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden jobs: %v", err)
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			parts := strings.SplitN(string(b), "\n----\n", 3)
			if len(parts) != 3 {
				t.Fatalf("want config, ----, job, ----, request")
			}
			cfg, err := config.Parse(name, []byte(parts[0]), nil)
			if err != nil {
				t.Fatal(err)
			}
			j, now := parseGoldenJob(t, parts[1])
			cp := cfg.Partners[j.Partner]
			if cp == nil {
				t.Fatalf("partner %q not in the config", j.Partner)
			}
			got := renderRequest(CompilePartner(cp), j, now)
			verifyGoldenSignature(t, cp, j, now)
			if *update {
				out := parts[0] + "\n----\n" + parts[1] + "\n----\n" + got
				if err := os.WriteFile(name, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != parts[2] {
				t.Errorf("request differs (run with -update after checking)\n got:\n%s\nwant:\n%s", got, parts[2])
			}
		})
	}
}

// verifyGoldenSignature checks the signed request as a receiver would.
func verifyGoldenSignature(t *testing.T, cp *config.Partner, j *Job, now time.Time) {
	if cp.Secret == "" {
		return
	}
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	var b attemptBufs
	buildRequest(req, CompilePartner(cp), j, now, &b)
	u, err := url.Parse(string(b.url))
	if err != nil {
		t.Fatal(err)
	}
	err = VerifySignature(string(req.Header.Peek(SignatureHeader)), []byte(cp.Secret), []byte(cp.Method),
		[]byte(u.RequestURI()), req.Body(), now, time.Minute)
	if err != nil {
		t.Errorf("the receiver cannot verify the signature: %v", err)
	}
}

// renderRequest is the request the sender builds, as text.
func renderRequest(p *Partner, j *Job, now time.Time) string {
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	var b attemptBufs
	if !buildRequest(req, p, j, now, &b) {
		return "no template\n"
	}
	var out strings.Builder
	fmt.Fprintf(&out, "%s %s\n", req.Header.Method(), b.url)
	if sig := req.Header.Peek(SignatureHeader); len(sig) > 0 {
		fmt.Fprintf(&out, "%s: %s\n", SignatureHeader, sig)
	}
	if ct := req.Header.ContentType(); len(ct) > 0 && len(req.Body()) > 0 {
		fmt.Fprintf(&out, "Content-Type: %s\n", ct)
	}
	if body := req.Body(); len(body) > 0 {
		fmt.Fprintf(&out, "\n%s\n", body)
	}
	return out.String()
}

// parseGoldenJob reads "field: value" lines into a Job; "now" is the time
// the postback is built (unix seconds).
func parseGoldenJob(t *testing.T, text string) (*Job, time.Time) {
	t.Helper()
	j := &Job{}
	var now time.Time
	fields := map[string]*string{
		"partner": &j.Partner, "kind": &j.Kind, "event_name": &j.EventName,
		"click_id": &j.ClickID, "install_id": &j.InstallID, "event_id": &j.EventID,
		"revenue": &j.Revenue, "currency": &j.Currency, "platform": &j.Platform,
		"gaid": &j.GAID, "idfa": &j.IDFA, "oaid": &j.OAID, "ip": &j.IP, "country": &j.Country,
		"app_id": &j.AppID, "app_version": &j.AppVersion, "campaign_id": &j.CampaignID, "campaign_name": &j.CampaignName,
		"sub1": &j.Sub[0], "sub2": &j.Sub[1], "sub3": &j.Sub[2], "sub4": &j.Sub[3], "sub5": &j.Sub[4],
		"aff_id": &j.AffID, "pub_id": &j.PubID, "offer_id": &j.OfferID, "creative_id": &j.CreativeID,
		"match_type": &j.MatchType,
	}
	for line := range strings.SplitSeq(text, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("bad job line %q", line)
		}
		v = strings.TrimPrefix(v, " ")
		if strings.HasPrefix(v, `"`) {
			uq, err := strconv.Unquote(v)
			if err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			v = uq
		}
		if p := fields[k]; p != nil {
			*p = v
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		switch k {
		case "event_time":
			j.EventTime = n
		case "click_time":
			j.ClickTime = n
		case "now":
			now = time.Unix(n, 0)
		default:
			t.Fatalf("unknown job field %q", k)
		}
	}
	return j, now
}

// TestGoldenJobsRoundTrip: the golden jobs survive the outbox codec.
func TestGoldenJobsRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/jobs/*.txt")
	for _, name := range files {
		b, _ := os.ReadFile(name)
		parts := strings.SplitN(string(b), "\n----\n", 3)
		if len(parts) != 3 {
			continue
		}
		j, _ := parseGoldenJob(t, parts[1])
		var back Job
		if err := DecodeJob(AppendJob(nil, j), &back); err != nil || !reflect.DeepEqual(*j, back) {
			t.Errorf("%s: round trip %+v, %v", name, back, err)
		}
	}
}
