package edge

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestAdminExport: GET /admin/v1/export/installs and /events stream the
// installs and conversions of a time range as NDJSON, one object a line,
// filtered by app, campaign, partner, type or event name; bad ranges and
// filters are 400s that name the parameter, and the token is required.
func TestAdminExport(t *testing.T) {
	e := startLocalEdge(t, `admin_token: "tok"
apps:
  com.example.app: {web: "https://example.com/"}
  com.other.app: {web: "https://other.example/"}
campaigns:
  camp: {app: com.example.app}
  other: {app: com.other.app}
`)
	public, admin := "http://"+e.PublicAddr(), "http://"+e.AdminAddr()
	for _, path := range []string{"/?c=camp&click_id=k1", "/?c=other&click_id=k2"} {
		if code, body := request(t, "GET", public, path, ""); code != 302 {
			t.Fatalf("%s: %d %s", path, code, body)
		}
	}
	for _, body := range []string{
		`{"type":"install","install_id":"i1","click_id":"k1"}`,
		`{"type":"install","install_id":"i2","click_id":"k2"}`,
		`{"type":"install","install_id":"i3","app":"com.example.app"}`,
		`{"type":"event","install_id":"i1","event_id":"p1","event_name":"purchase","revenue":"9.99","currency":"USD"}`,
		`{"type":"signup","install_id":"i1","event_id":"s1"}`,
	} {
		resp, err := http.Post(public+"/v1/conversions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", body, resp.StatusCode)
		}
	}

	type line map[string]any
	export := func(path string) []line {
		t.Helper()
		code, body := request(t, "GET", admin, path, "Bearer tok")
		if code != 200 {
			t.Fatalf("%s: %d %s", path, code, body)
		}
		var lines []line
		for _, l := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
			if l == "" {
				continue
			}
			var v line
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatalf("%s: line %q: %v", path, l, err)
			}
			lines = append(lines, v)
		}
		return lines
	}
	ids := func(lines []line, key string) []string {
		var out []string
		for _, l := range lines {
			out = append(out, l[key].(string))
		}
		slices.Sort(out)
		return out
	}

	// The default range is the last 24 hours.
	installs := export("/admin/v1/export/installs")
	if got := ids(installs, "install_id"); !slices.Equal(got, []string{"i1", "i2", "i3"}) {
		t.Fatalf("installs: %v", got)
	}
	for _, l := range installs {
		if ctit, ok := l["ctit_seconds"].(float64); l["install_id"] == "i1" && (l["match"] != "click_id" || l["campaign"] != "camp" ||
			l["click_id"] != "k1" || l["app"] != "com.example.app" || !ok || ctit < 0 || ctit > 60) {
			t.Errorf("install i1: %v", l)
		}
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"?app=com.example.app", []string{"i1", "i3"}},
		{"?campaign=other", []string{"i2"}},
		{"?attributed=false", []string{"i3"}},
		{"?from=" + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + "&to=" + time.Now().Add(2*time.Hour).UTC().Format(time.RFC3339), nil},
		{"?to=2020-01-01", nil},
		{"?from=2020-01-01&to=" + time.Now().Add(time.Hour).UTC().Format(time.RFC3339), []string{"i1", "i2", "i3"}},
	} {
		if got := ids(export("/admin/v1/export/installs"+tc.query), "install_id"); !slices.Equal(got, tc.want) {
			t.Errorf("installs%s: %v, want %v", tc.query, got, tc.want)
		}
	}

	events := export("/admin/v1/export/events")
	if got := ids(events, "type"); !slices.Equal(got, []string{"event", "install", "install", "install", "signup"}) {
		t.Errorf("events' types: %v", got)
	}
	purchases := export("/admin/v1/export/events?type=event&name=purchase")
	if len(purchases) != 1 || purchases[0]["event_id"] != "p1" || purchases[0]["revenue"] != "9.99" ||
		purchases[0]["currency"] != "USD" || purchases[0]["campaign"] != "camp" || purchases[0]["attributed"] != true {
		t.Errorf("purchases: %v", purchases)
	}
	if got := ids(export("/admin/v1/export/events?campaign=camp"), "event_id"); len(got) != 3 {
		t.Errorf("events of campaign camp: %v, want i1's install, signup and purchase", got)
	}

	for path, wantErr := range map[string]string{
		"/admin/v1/export/installs?from=yesterday":                   "from:",
		"/admin/v1/export/installs?to=2026-13-01":                    "to:",
		"/admin/v1/export/installs?from=2026-01-02&to=2026-01-01":    "from:",
		"/admin/v1/export/installs?attributed=maybe":                 "attributed:",
		"/admin/v1/export/events?type=purchase":                      "type:",
		"/admin/v1/export/clicks":                                    "not found",
		"/admin/v1/export/installs?app=com.example.app&name=x":       "name:",
		"/admin/v1/export/events?app=com.example.app":                "app:",
		"/admin/v1/export/installs?partner=x&type=install&campaign=": "type:",
	} {
		code, body := request(t, "GET", admin, path, "Bearer tok")
		if (code != 400 && code != 404) || !strings.Contains(body, wantErr) {
			t.Errorf("%s: %d %s, want an error naming %q", path, code, body, wantErr)
		}
	}
	if code, _ := request(t, "GET", admin, "/admin/v1/export/installs", ""); code != 401 {
		t.Errorf("export without the token: %d, want 401", code)
	}
}

// Two ranges that meet inside a second share no record: a bound with a
// fraction is rounded up, from and to alike (records have whole seconds).
func TestRangesMeetingInsideASecond(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	parse := func(q string) (int64, int64) {
		var a fasthttp.Args
		a.Parse(q)
		from, to, msg := parseRange(&a, now)
		if msg != "" {
			t.Fatalf("%s: %s", q, msg)
		}
		return from, to
	}
	rec := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC).Unix()
	from1, to1 := parse("from=2026-11-25T09:00:00Z&to=2026-11-25T10:00:00.5Z")
	from2, to2 := parse("from=2026-11-25T10:00:00.5Z&to=2026-11-25T11:00:00Z")
	in1, in2 := rec >= from1 && rec < to1, rec >= from2 && rec < to2
	if in1 == in2 {
		t.Errorf("a record at 10:00:00 in [09:00, 10:00:00.5): %v, in [10:00:00.5, 11:00): %v; want exactly one", in1, in2)
	}
}

// An export that streams for longer than the admin listener's write
// timeout (a large store, a slow client) is not cut off: each line pushes
// the deadline exportWriteTimeout on. Here the listener's timeout is 300 ms,
// the export (about 6 MB) is more than the socket buffers hold, and the
// client, with a small receive buffer, reads slowly for 2 s, then at full
// speed: the edge's writes keep waiting for room past the first 300 ms. (It was one deadline for the
// whole answer: the client got part of the stream and no error line.)
func TestExportOutlivesWriteTimeout(t *testing.T) {
	t.Cleanup(func(d time.Duration) func() { return func() { adminWriteTimeout = d } }(adminWriteTimeout))
	adminWriteTimeout = 300 * time.Millisecond
	e := startLocalEdge(t, `admin_token: "tok"
durability: async
apps:
  com.example.app: {web: "https://example.com/"}
`)
	const n = 8000
	postInstalls(t, e, "install", n)

	slow := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
			return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		}}
		return d.DialContext(ctx, network, addr)
	}}
	req, _ := http.NewRequest("GET", "http://"+e.AdminAddr()+"/admin/v1/export/installs", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := (&http.Client{Transport: slow}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got strings.Builder
	buf := make([]byte, 4096)
	start := time.Now()
	var rerr error
	for {
		m, err := resp.Body.Read(buf)
		got.Write(buf[:m])
		if err != nil {
			if err != io.EOF {
				rerr = err
			}
			break
		}
		if time.Since(start) < 2*time.Second {
			time.Sleep(20 * time.Millisecond)
		}
	}
	lines := strings.Count(got.String(), "\n")
	if rerr != nil || lines != n || strings.Contains(got.String(), `{"error"`) {
		t.Errorf("export read over %v: %d of %d lines, read error %v", time.Since(start).Round(time.Millisecond), lines, n, rerr)
	}
}
