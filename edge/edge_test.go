package edge

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/internal/testcert"
	"github.com/clickedge/clickedge/internal/testlog"
)

func startTestEdge(t testing.TB, yaml string) *Edge {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	e, err := Start(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return e
}

// Shutdown right after Start returns: the listeners' Serve goroutines may
// not have registered their listeners with fasthttp yet, and fasthttp's
// Shutdown then leaves them accepting (it hung forever before the fix).
func TestShutdownRightAfterStart(t *testing.T) {
	for i := range 20 {
		cfg, err := config.Parse("test.yaml", []byte("listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\ndata_dir: "+t.TempDir()+"\n"), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		e, err := Start(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- e.Shutdown(context.Background()) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: Shutdown right after Start did not return in 10s", i)
		}
	}
}

// A reload takes apps, partners and campaigns at once; keys read only at
// start keep their running values, and the reload says which of them the
// new file changed, so an operator is not left believing they took effect.
func TestReloadNamesRestartOnlyKeys(t *testing.T) {
	var logBuf testlog.Buffer
	dir := t.TempDir()
	parse := func(yaml string) *config.Config {
		cfg, err := config.Parse("test.yaml", []byte("admin_listen: 127.0.0.1:0\ndata_dir: "+dir+"\n"+yaml), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	e, err := Start(parse("listen: 127.0.0.1:0\n"), slog.New(slog.NewTextHandler(&logBuf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Shutdown(context.Background()) })

	if err := e.Reload(parse("listen: 127.0.0.1:0\napps: {a: {web: \"https://example.com/\"}}\n")); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logBuf.String(), "restart") {
		t.Fatalf("a reload that changed only apps warned:\n%s", logBuf.String())
	}
	if err := e.Reload(parse("listen: 127.0.0.1:9\ndurability: async\ncache_size: 8MiB\nevent_retention: 30d\nregion: eu\n")); err != nil {
		t.Fatal(err)
	}
	want := `level=WARN msg="config reloaded, but these keys take effect only at restart" keys="listen durability cache_size event_retention region"`
	if !strings.Contains(logBuf.String(), want) {
		t.Fatalf("log lacks %s:\n%s", want, logBuf.String())
	}
	// Back to the values the edge runs with: nothing to warn about, though
	// they differ from the last file loaded.
	warnings := strings.Count(logBuf.String(), "level=WARN")
	if err := e.Reload(parse("listen: 127.0.0.1:0\n")); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logBuf.String(), "level=WARN"); n != warnings {
		t.Fatalf("a reload back to the running values warned:\n%s", logBuf.String())
	}
}

// request sends method base+path with auth as its Authorization header
// (none when empty), never following a redirect, and returns the status and
// body. The path is sent as written, not re-escaped by net/url.
func request(t testing.TB, method, base, path, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Opaque, req.URL.RawQuery, _ = strings.Cut(path, "?")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// cache_size sizes the store's block cache; the default is 64 MiB.
func TestCacheSize(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want int64
	}{
		{"", 64 << 20},
		{"cache_size: 16MiB\n", 16 << 20},
	} {
		e := startTestEdge(t, "listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\ndata_dir: "+t.TempDir()+"\n"+tc.yaml)
		if got := e.st.BlockCacheSize(); got != tc.want {
			t.Errorf("%q: block cache %d bytes; want %d", tc.yaml, got, tc.want)
		}
	}
}

// With tls_cert and tls_key the public listener speaks TLS, and SIGHUP's
// Reload swaps the certificate for new connections.
func TestPublicTLSAndReload(t *testing.T) {
	dir := t.TempDir()
	cert1, key1 := testcert.Write(t, dir, "first")
	yaml := func(cert, key string) string {
		return `listen: "127.0.0.1:0"
admin_listen: "127.0.0.1:0"
data_dir: "` + filepath.Join(dir, "data") + `"
tls_cert: "` + cert + `"
tls_key: "` + key + `"
apps:
  com.test.app: { web: "https://example.com/" }
campaigns:
  camp1: { app: com.test.app }
`
	}
	e := startTestEdge(t, yaml(cert1, key1))
	commonName := func() string {
		conn, err := tls.Dial("tcp", e.PublicAddr(), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	if cn := commonName(); cn != "first" {
		t.Fatalf("certificate %q, want first", cn)
	}
	client := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Get("https://" + e.PublicAddr() + "/?c=camp1&click_id=tls1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://example.com/" {
		t.Fatalf("click over TLS: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	cert2, key2 := testcert.Write(t, dir, "second")
	next, err := config.Parse("test.yaml", []byte(yaml(cert2, key2)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Reload(next); err != nil {
		t.Fatal(err)
	}
	if cn := commonName(); cn != "second" {
		t.Fatalf("certificate after reload %q, want second", cn)
	}
}

// With no admin_token the admin API does not exist (404), while /metrics
// and /healthz still answer.
func TestAdminWithoutToken(t *testing.T) {
	dir := t.TempDir()
	e := startTestEdge(t, `listen: "127.0.0.1:0"
admin_listen: "127.0.0.1:0"
data_dir: "`+filepath.Join(dir, "data")+`"
`)
	for path, want := range map[string]int{
		"/admin/v1/clicks/x":          404,
		"/admin/v1/postbacks":         404,
		"/admin/v1/installs/i":        404,
		"/_demo/postbacks":            404, // not the embedded default: no demo sink
		"/metrics":                    200,
		"/healthz":                    200,
		"/admin/v1/postbacks/redrive": 404,
	} {
		resp, err := http.Get("http://" + e.AdminAddr() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// TestAdminWithToken: the bearer scheme is matched in any case (RFC 9110
// §11.1), a click id is read from the path as sent, so ids with "//" or
// ".." that the listener's path normalisation used to rewrite are found,
// and /metrics carries TYPE lines so that histograms are not ingested
// untyped.
func TestAdminWithToken(t *testing.T) {
	dir := t.TempDir()
	e := startTestEdge(t, `listen: "127.0.0.1:0"
admin_listen: "127.0.0.1:0"
admin_token: "tok"
data_dir: "`+filepath.Join(dir, "data")+`"
apps:
  com.example.app: {web: "https://example.com/"}
campaigns:
  camp: {app: com.example.app}
`)
	get := func(base, path, auth string) (int, string) {
		t.Helper()
		return request(t, "GET", base, path, auth)
	}
	public, admin := "http://"+e.PublicAddr(), "http://"+e.AdminAddr()

	for _, auth := range []string{"Bearer tok", "bearer tok", "BEARER tok"} {
		if code, body := get(admin, "/admin/v1/clicks/none", auth); code != 404 || !strings.Contains(body, "click not found") {
			t.Errorf("%q: %d %s, want 404 click not found", auth, code, body)
		}
	}
	for _, auth := range []string{"", "Bearer", "Bearer  tok", "Basic tok", "Bearertok", "Bearer tok2"} {
		if code, _ := get(admin, "/admin/v1/clicks/none", auth); code != 401 {
			t.Errorf("%q: %d, want 401", auth, code)
		}
	}

	for _, id := range []string{"plain", "a%2F%2Fb", "x%2F..%2Fy", "..", "%2E%2E", "a%2Fb", "a%20b"} {
		if code, _ := get(public, "/?c=camp&click_id="+id, ""); code != 302 {
			t.Fatalf("click %s: %d", id, code)
		}
		want, _ := url.PathUnescape(id)
		code, body := get(admin, "/admin/v1/clicks/"+id, "Bearer tok")
		if code != 200 || !strings.Contains(body, `"click_id":`+strconv.Quote(want)) {
			t.Errorf("GET /admin/v1/clicks/%s: %d %s, want click %q", id, code, body, want)
		}
	}

	// A deferred deep link shows on the click and on the install it is
	// attributed to.
	if code, _ := get(public, "/?c=camp&click_id=dl1&deep_link=app%3A%2F%2Fitem%2F7", ""); code != 302 {
		t.Fatalf("click with a deep link: %d", code)
	}
	if code, body := get(admin, "/admin/v1/clicks/dl1", "Bearer tok"); code != 200 || !strings.Contains(body, `"deep_link":"app://item/7"`) {
		t.Errorf("GET /admin/v1/clicks/dl1: %d %s, want its deep_link", code, body)
	}
	resp, err := http.Post(public+"/v1/conversions", "application/json", strings.NewReader(`{"type":"install","install_id":"dl-i1","click_id":"dl1"}`))
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(answer), `"deep_link":"app://item/7"`) {
		t.Errorf("install of a deep-linked click: %d %s, want its deep_link", resp.StatusCode, answer)
	}
	if code, body := get(admin, "/admin/v1/installs/dl-i1", "Bearer tok"); code != 200 || !strings.Contains(body, `"deep_link":"app://item/7"`) {
		t.Errorf("GET /admin/v1/installs/dl-i1: %d %s, want its deep_link", code, body)
	}

	if code, body := get(admin, "/metrics", ""); code != 200 || !strings.Contains(body, "# TYPE clickedge_clicks_total counter") {
		t.Errorf("/metrics: %d, no TYPE line for clickedge_clicks_total:\n%.2000s", code, body)
	}

	// A redrive for a partner the config does not have would re-queue
	// postbacks nothing can render: a typo is told, not answered 0.
	if code, body := request(t, "POST", admin, "/admin/v1/postbacks/redrive?partner=acmee", "Bearer tok"); code != 400 || !strings.Contains(body, `partner: \"acmee\" is not in the config`) {
		t.Errorf("redrive of an unknown partner: %d %s, want 400 naming it", code, body)
	}

	// Go's profiles, for an operator chasing CPU or memory in production:
	// behind the token like the rest of the admin API.
	if code, body := get(admin, "/debug/pprof/", "Bearer tok"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("GET /debug/pprof/: %d %.300s, want the profile index", code, body)
	}
	if code, body := get(admin, "/debug/pprof/heap?debug=1", "Bearer tok"); code != 200 || !strings.Contains(body, "heap profile") {
		t.Errorf("GET /debug/pprof/heap?debug=1: %d %.300s, want a heap profile", code, body)
	}
	if code, _ := get(admin, "/debug/pprof/", ""); code != 401 {
		t.Errorf("GET /debug/pprof/ without the token: %d, want 401", code)
	}

	// A single region says so; the status takes GET only.
	if code, body := get(admin, "/admin/v1/replication", "Bearer tok"); code != 200 || body != `{"enabled":false,"region":"local"}`+"\n" {
		t.Errorf("GET /admin/v1/replication: %d %q", code, body)
	}
	if code, _ := request(t, "POST", admin, "/admin/v1/replication", "Bearer tok"); code != 405 {
		t.Errorf("POST /admin/v1/replication: %d, want 405", code)
	}
}

// GET /admin/v1/devices/{advertising_id}: what support staff look at when
// an install was not attributed as expected: the device's clicks and
// impressions for an app, newest first, whichever kind of id it is.
func TestAdminDeviceHistory(t *testing.T) {
	dir := t.TempDir()
	e := startTestEdge(t, `listen: "127.0.0.1:0"
admin_listen: "127.0.0.1:0"
admin_token: "tok"
data_dir: "`+filepath.Join(dir, "data")+`"
apps:
  com.example.app: {web: "https://example.com/"}
  com.other.app: {web: "https://other.example/"}
campaigns:
  camp: {app: com.example.app}
  video: {app: com.example.app, view_through_lookback: 24h}
  other: {app: com.other.app}
`)
	public, admin := "http://"+e.PublicAddr(), "http://"+e.AdminAddr()
	const gaid = "38400000-8cf0-11bd-b23e-10b96e40000d"
	for _, path := range []string{
		"/?c=camp&click_id=first&gaid=" + gaid,
		"/v1/impression?c=video&impression_id=seen&gaid=" + strings.ToUpper(gaid),
		"/?c=camp&click_id=second&advertising_id=" + gaid,
		"/?c=other&click_id=other-app&gaid=" + gaid,
		"/?c=camp&click_id=someone-else&gaid=38400000-8cf0-11bd-b23e-10b96e40000e",
	} {
		if code, body := request(t, "GET", public, path, ""); code != 302 && code != 200 {
			t.Fatalf("%s: %d %s", path, code, body)
		}
		time.Sleep(2 * time.Millisecond) // distinct milliseconds, so the order is the sending order
	}
	code, body := request(t, "GET", admin, "/admin/v1/devices/"+gaid+"?app=com.example.app", "Bearer tok")
	if code != 200 {
		t.Fatalf("device history: %d %s", code, body)
	}
	var got struct {
		AdvertisingID string `json:"advertising_id"`
		App           string `json:"app"`
		Clicks        []struct {
			ClickID  string   `json:"click_id"`
			Campaign string   `json:"campaign"`
			Flags    []string `json:"flags"`
		} `json:"clicks"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	var ids []string
	for _, c := range got.Clicks {
		ids = append(ids, c.ClickID)
	}
	if got.AdvertisingID != gaid || got.App != "com.example.app" || strings.Join(ids, ",") != "second,imp:seen,first" {
		t.Fatalf("device history: %s, want second, imp:seen, first", body)
	}
	if !slices.Contains(got.Clicks[1].Flags, "impression") {
		t.Errorf("the impression is not flagged so: %s", body)
	}
	// limit, and the errors.
	if code, body := request(t, "GET", admin, "/admin/v1/devices/"+gaid+"?app=com.example.app&limit=1", "Bearer tok"); code != 200 || !strings.Contains(body, `"second"`) || strings.Contains(body, `"first"`) {
		t.Errorf("limit=1: %d %s", code, body)
	}
	for path, want := range map[string]string{
		"/admin/v1/devices/" + gaid:                                  "app: missing (the config has 2 apps)",
		"/admin/v1/devices/" + gaid + "?app=nope":                    `app: \"nope\" is not in the config`, // JSON-escaped
		"/admin/v1/devices/" + gaid + "?app=com.example.app&limit=0": "limit: a whole number from 1 to 1000",
		"/admin/v1/devices/?app=com.example.app":                     "advertising id: missing",
	} {
		if code, body := request(t, "GET", admin, path, "Bearer tok"); code != 400 || !strings.Contains(body, want) {
			t.Errorf("%s: %d %s, want 400 %q", path, code, body, want)
		}
	}
	if code, _ := request(t, "GET", admin, "/admin/v1/devices/"+gaid+"?app=com.example.app", ""); code != 401 {
		t.Errorf("without the token: %d, want 401", code)
	}
	if code, body := request(t, "GET", admin, "/admin/v1/devices/unknown-device?app=com.example.app", "Bearer tok"); code != 200 || !strings.Contains(body, `"clicks":[]`) {
		t.Errorf("a device with no clicks: %d %s", code, body)
	}
}

// startLocalEdge is startTestEdge for a config that leaves out the
// listeners (127.0.0.1, free ports) and the data directory (a temp dir).
func startLocalEdge(t testing.TB, yaml string) *Edge {
	t.Helper()
	return startTestEdge(t, `listen: "127.0.0.1:0"
admin_listen: "127.0.0.1:0"
data_dir: "`+filepath.Join(t.TempDir(), "data")+`"
`+yaml)
}
