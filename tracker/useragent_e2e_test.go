package tracker_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/store"
	"github.com/valyala/fasthttp"
)

// Real phones, and one crawler, through a real listener on 127.0.0.1: the
// store the person is sent to, the flags stored, and whether the person's
// install is then credited to the click.
func TestRealWorldAgentsOverHTTP(t *testing.T) {
	const (
		// Logicom M bot 60 (a phone sold in France), Facebook's in-app
		// browser: a web view, so the model is in the agent.
		logicom = "Mozilla/5.0 (Linux; Android 7.0; M bot 60 Build/NRD90M; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/67.0.3396.87 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/250.0.0.14.241;]"
		// JioPhone 2 (KaiOS): a feature phone with no Google Play.
		jioPhone = "Mozilla/5.0 (Mobile; LYF/F300B/LYF-F300B-001-01-15-130718-i;Android; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5"
		// Google's crawler for "other" products, from 66.249.x.x.
		googleOther = "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.6533.119 Mobile Safari/537.36 (compatible; GoogleOther)"
	)
	e := clickNewEnv(t, store.Sync)
	base := "http://" + serveTracker(t, e.tr)
	client := &fasthttp.Client{}

	rows := []struct {
		name, header, param string
		location            string
		bot                 bool
		credited            bool // an install naming the click_id is attributed to it
	}{
		{"logicom phone, header", logicom, "", clickPlayLocation(clickPlayURL, "ua0", clickCampaign), false, true},
		{"logicom phone, ua parameter", "", logicom, clickPlayLocation(clickPlayURL, "ua1", clickCampaign), false, true},
		{"jiophone, header", jioPhone, "", clickWebURL, false, true},
		{"jiophone, ua parameter", "", jioPhone, clickWebURL, false, true},
		{"googleother crawler", googleOther, "", clickPlayLocation(clickPlayURL, "ua4", clickCampaign), true, false},
	}
	for i, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			id := "ua" + strconv.Itoa(i)
			uri := base + "/?c=" + clickCampaign + "&click_id=" + id
			if row.param != "" {
				uri += "&ua=" + url.QueryEscape(row.param)
			}
			var hdr []string
			if row.header != "" {
				hdr = []string{"User-Agent", row.header}
			}
			r := clickHTTP(t, client, "GET", uri, hdr...)
			if r.status != 302 || r.location != row.location {
				t.Errorf("redirected %d to %q, want 302 to %q", r.status, r.location, row.location)
			}
			got := e.mustGet(t, id)
			if isBot := strings.Contains(got["flags"], "bot"); isBot != row.bot {
				t.Errorf("stored flags %q platform %q, want bot=%v", got["flags"], got["platform"], row.bot)
			}

			code, answer := postInstall(t, client, base, `"install_id":"i-`+id+`","click_id":"`+id+`"`)
			credited := strings.Contains(answer, `"attributed":true`)
			if code != 200 || credited != row.credited {
				t.Errorf("install naming %s: %d %s, want attributed=%v", id, code, answer, row.credited)
			}
		})
	}
}

// A JioPhone's click, read as Android with no version, is credited with
// the install of an Android phone behind the same carrier NAT address: a
// click whose agent names no version matches every Android version.
func TestKaiOSClickNotAndroidFingerprint(t *testing.T) {
	const jioPhone = "Mozilla/5.0 (Mobile; LYF/F300B/LYF-F300B-001-01-15-130718-i;Android; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5"
	e := clickNewEnv(t, store.Sync)
	base := "http://" + serveTracker(t, e.tr)
	client := &fasthttp.Client{}
	clickHTTP(t, client, "GET", base+"/?c="+clickCampaign+"&click_id=k1&ip=49.36.10.20", "User-Agent", jioPhone)

	_, answer := postInstall(t, client, base, `"install_id":"k-i1","ip":"49.36.10.20","user_agent":"Dalvik/2.1.0 (Linux; U; Android 14; SM-A155F Build/UP1A.231005.007)"`)
	if !strings.Contains(answer, `"match":"organic"`) {
		t.Fatalf("Android install from the JioPhone's address: %s, want organic (a KaiOS phone installs no Play app)", answer)
	}
}

// postInstall posts an install for com.example.app a minute after
// clickNow, with fields (JSON members, comma-separated) added, and returns
// the answer's status and body.
func postInstall(t *testing.T, client *fasthttp.Client, base, fields string) (int, string) {
	t.Helper()
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod("POST")
	req.SetRequestURI(base + "/v1/conversions")
	req.Header.SetContentType("application/json")
	req.SetBodyString(`{"type":"install","app":"com.example.app","event_time":` +
		strconv.FormatInt(clickNow.Add(time.Minute).Unix(), 10) + `,` + fields + `}`)
	if err := client.DoTimeout(req, resp, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode(), string(resp.Body())
}
