package tracker_test

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/store"
)

// clickS2SAnswer is the JSON body of GET /v1/click.
type clickS2SAnswer struct {
	ClickID *string `json:"click_id"`
	Stored  *bool   `json:"stored"`
	Reason  *string `json:"reason"`
	Error   *string `json:"error"`
}

func clickDecodeS2S(t testing.TB, r clickResp) clickS2SAnswer {
	t.Helper()
	if r.contentType != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", r.contentType)
	}
	if r.location != "" {
		t.Fatalf("Location %q: /v1/click never redirects", r.location)
	}
	var a clickS2SAnswer
	dec := json.NewDecoder(strings.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return a
}

// TestServerClick: GET /v1/click answers 200 JSON {click_id, stored, reason}
// for every click it accepts and 400 JSON {error} for what it refuses.
func TestServerClick(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	c := clickCampaign
	now := clickNow
	secs := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	millis := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).UnixMilli(), 10) }
	uaParam := "&user_agent=" + url.QueryEscape(clickAndroidUA)

	rows := []struct {
		name, query string
		header      []string
		status      int
		id          string // the answer's click_id, "" to skip (generated)
		stored      bool
		reason      string // or the error's text for a 400
		time        string // the stored click time, for rows that store
	}{
		{"stored", "c=" + c + "&click_id=s1" + uaParam, nil, 200, "s1", true, "stored", "2026-11-26T12:00:00Z"},
		{"duplicate", "c=" + c + "&click_id=s1&sub1=other", nil, 200, "s1", false, "duplicate", ""},
		{"tid alias", "c=" + c + "&tid=s2", nil, 200, "s2", true, "stored", "2026-11-26T12:00:00Z"},
		{"click_time in seconds", "c=" + c + "&click_id=s3&click_time=" + secs(-3*time.Hour), nil, 200, "s3", true, "stored", "2026-11-26T09:00:00Z"},
		{"click_time in milliseconds", "c=" + c + "&click_id=s4&click_time=" + millis(-90*time.Minute-250*time.Millisecond), nil, 200, "s4", true, "stored", "2026-11-26T10:29:59.75Z"},
		{"click_time exactly 24 h ago", "c=" + c + "&click_id=s5&click_time=" + secs(-24*time.Hour), nil, 200, "s5", true, "stored", "2026-11-25T12:00:00Z"},
		{"click_time a little ahead", "c=" + c + "&click_id=s6&click_time=" + secs(30*time.Minute), nil, 200, "s6", true, "stored", "2026-11-26T12:30:00Z"},
		{"bot by the user_agent parameter", "c=" + c + "&click_id=s7&user_agent=facebookexternalhit%2F1.1", nil, 200, "s7", true, "bot", "2026-11-26T12:00:00Z"},
		{"oversize value", "c=" + c + "&click_id=s8&sub1=" + strings.Repeat("x", 600), nil, 200, "s8", true, "flagged", "2026-11-26T12:00:00Z"},
		{"invalid utf-8", "c=" + c + "&click_id=s9&sub1=%FF", nil, 200, "s9", true, "flagged", "2026-11-26T12:00:00Z"},
		{"generated click_id", "c=" + c + "&sub1=gen", nil, 200, "", true, "stored", "2026-11-26T12:00:00Z"},
		{"json escapes in the id", "c=" + c + "&click_id=q%22%5C%0A%E2%82%AC", nil, 200, "q\"\\\n€", true, "stored", "2026-11-26T12:00:00Z"},
		// The User-Agent header is the reporting server's: never the
		// device's, never a bot's.
		{"header user agent ignored", "c=" + c + "&click_id=s10", []string{"User-Agent", "facebookexternalhit/1.1"}, 200, "s10", true, "stored", "2026-11-26T12:00:00Z"},

		{"missing campaign", "click_id=e1", nil, 400, "", false, "c: missing campaign", ""},
		{"empty campaign", "c=&click_id=e2", nil, 400, "", false, "c: missing campaign", ""},
		{"unknown campaign", "c=nope&click_id=e3", nil, 400, "", false, "c: unknown campaign", ""},
		{"click_time over 24 h ago, seconds", "c=" + c + "&click_id=e4&click_time=" + secs(-24*time.Hour-time.Second), nil, 400, "", false, "click_time: more than 24 h ago", ""},
		{"click_time over 24 h ago, milliseconds", "c=" + c + "&click_id=e5&click_time=" + millis(-25*time.Hour), nil, 400, "", false, "click_time: more than 24 h ago", ""},
		{"click_time over 1 h ahead", "c=" + c + "&click_id=e6&click_time=" + secs(2*time.Hour), nil, 400, "", false, "click_time: more than 1 h ahead", ""},
		{"click_time not a number", "c=" + c + "&click_id=e7&click_time=yesterday", nil, 400, "", false, "click_time: not a unix time in seconds or milliseconds", ""},
		{"click_time zero", "c=" + c + "&click_id=e8&click_time=0", nil, 400, "", false, "click_time: not a unix time in seconds or milliseconds", ""},
		{"macro in click_id", "c=" + c + "&click_id=%7Bclick_id%7D", nil, 400, "", false, "unexpanded macro in a parameter value", ""},
		{"macro in a sub value", "c=" + c + "&click_id=e9&sub2=%5Bsub2%5D", nil, 400, "", false, "unexpanded macro in a parameter value", ""},
		{"encoded macro", "c=" + c + "&click_id=e10&gaid=%257Bgaid%257D", nil, 400, "", false, "unexpanded macro in a parameter value", ""},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			r := e.do(t, clickReq{uri: "/v1/click?" + row.query, header: row.header})
			if r.status != row.status {
				t.Fatalf("status %d, want %d (body %q)", r.status, row.status, r.body)
			}
			a := clickDecodeS2S(t, r)
			if row.status != 200 {
				if a.Error == nil || *a.Error != row.reason || a.ClickID != nil || a.Stored != nil {
					t.Fatalf("body %q, want error %q", r.body, row.reason)
				}
				q, _ := url.ParseQuery(row.query)
				if id := q.Get("click_id"); id != "" {
					e.mustNotStore(t, id)
				}
				return
			}
			if a.ClickID == nil || a.Stored == nil || a.Reason == nil || a.Error != nil {
				t.Fatalf("body %q", r.body)
			}
			id := *a.ClickID
			if row.id != "" && id != row.id {
				t.Fatalf("click_id %q, want %q", id, row.id)
			}
			if *a.Stored != row.stored || *a.Reason != row.reason {
				t.Fatalf("stored %v reason %q, want %v %q", *a.Stored, *a.Reason, row.stored, row.reason)
			}
			if !row.stored {
				return
			}
			got := e.mustGet(t, id)
			if !strings.Contains(got["flags"], "s2s") || got["time"] != row.time || got["campaign"] != c {
				t.Fatalf("stored %v, want s2s at %s", got, row.time)
			}
			if row.id == "" && (!strings.HasPrefix(id, clickRegionPrefix) || !strings.Contains(got["flags"], "generated_id")) {
				t.Fatalf("generated id %q flags %q", id, got["flags"])
			}
		})
	}

	t.Run("stored values", func(t *testing.T) {
		got := e.mustGet(t, "s1")
		want := map[string]string{
			"click_id": "s1", "campaign": c, "app": "com.example.app", "time": "2026-11-26T12:00:00Z",
			"flags": "s2s", "platform": "android", "os": "14", "user_agent": clickAndroidUA, "ip": clickPeerIP,
		}
		if d := clickDiff(got, want); d != "" {
			t.Fatal(d)
		}
		// The header's bot is neither stored nor flagged.
		if got := e.mustGet(t, "s10"); got["user_agent"] != "" || got["flags"] != "s2s" {
			t.Fatalf("stored %v", got)
		}
	})

	t.Run("not GET", func(t *testing.T) {
		for _, m := range []string{"POST", "HEAD", "PUT"} {
			r := e.do(t, clickReq{method: m, uri: "/v1/click?c=" + c + "&click_id=m-" + m})
			if r.status != 405 || r.location != "" || r.allow != "GET" {
				t.Fatalf("%s: %+v", m, r)
			}
			clickDecodeS2S(t, r)
			e.mustNotStore(t, "m-"+m)
		}
	})
}
