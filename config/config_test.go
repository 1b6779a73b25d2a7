package config

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// env is a fixed lookup so tests never depend on the real environment.
func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func mustParse(t *testing.T, yaml string, lookup func(string) (string, bool)) *Config {
	t.Helper()
	c, err := Parse("x.yaml", []byte(yaml), lookup)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

// defaults is what an empty file means: every top-level default of CONTRACT §2.
func defaults(token string) *Config {
	return &Config{
		Source:         "x.yaml",
		Listen:         ":8080",
		AdminListen:    "127.0.0.1:8081",
		DataDir:        "./clickedge-data",
		Region:         "local",
		Durability:     "sync",
		SyncInterval:   2 * time.Millisecond,
		ClickRetention: 30 * 24 * time.Hour,
		CacheSize:      64 << 20,
		TrustedProxies: []netip.Prefix{},
		ClientIPHeader: "X-Forwarded-For",
		AdminToken:     token,
		// Every token these tests expect comes from the environment.
		adminTokenFromEnv: token != "",
		Apps:              map[string]*App{},
		Partners:          map[string]*Partner{},
		Campaigns:         map[string]*Campaign{},
	}
}

func TestDefaults(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		lookup     func(string) (string, bool)
		want       *Config
	}{
		{"empty file", "", env(), defaults("")},
		{"comment only", "# nothing here\n", env(), defaults("")},
		{"empty mapping", "{}\n", env(), defaults("")},
		{"admin token from env", "", env("CLICKEDGE_ADMIN_TOKEN", "s3cret"), defaults("s3cret")},
		{"nil lookup", "", nil, defaults("")},
		{"explicit empty token beats env", "admin_token: \"\"\n", env("CLICKEDGE_ADMIN_TOKEN", "s3cret"), defaults("")},
		{"null keeps the default", "listen:\nadmin_token: ~\n", env("CLICKEDGE_ADMIN_TOKEN", "t"), defaults("t")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mustParse(t, tc.yaml, tc.lookup)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestEntryDefaults(t *testing.T) {
	c := mustParse(t, `
apps:
  a: {web: "https://example.com/"}
partners:
  p: {install: "https://pb.example/i?c={click_id}"}
campaigns:
  c1: {app: a}
`, env())
	wantP := &Partner{
		Name:         "p",
		Install:      "https://pb.example/i?c={click_id}",
		Events:       map[string]string{},
		Rename:       map[string]string{},
		ShareRevenue: true,
		Method:       "GET",
		Timeout:      5 * time.Second,
		MaxConns:     64,
		Retry:        Retry{Base: time.Second, MaxInterval: 10 * time.Minute, MaxAge: 24 * time.Hour},
	}
	if got := c.Partners["p"]; !reflect.DeepEqual(got, wantP) {
		t.Errorf("partner: got %+v, want %+v", got, wantP)
	}
	wantC := &Campaign{ID: "c1", Name: "c1", App: "a", ClickLookback: 7 * 24 * time.Hour, FingerprintLookback: 24 * time.Hour}
	if got := c.Campaigns["c1"]; !reflect.DeepEqual(got, wantC) {
		t.Errorf("campaign: got %+v, want %+v", got, wantC)
	}
	if got, want := c.Apps["a"], (&App{ID: "a", Web: "https://example.com/"}); !reflect.DeepEqual(got, want) {
		t.Errorf("app: got %+v, want %+v", got, want)
	}
	if c.Replication != nil {
		t.Errorf("replication: got %+v, want nil when the key is absent", c.Replication)
	}
}

// TestContractExample parses CONTRACT §2 byte for byte (testdata/contract.yaml).
func TestContractExample(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "contract.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := defaults(os.Getenv("CLICKEDGE_ADMIN_TOKEN"))
	want.adminTokenFromEnv = false // the file's admin_token, which expands the variable
	want.Source = filepath.Join("testdata", "contract.yaml")
	want.Apps["com.example.app"] = &App{
		ID:      "com.example.app",
		Android: "https://play.google.com/store/apps/details?id=com.example.app",
		IOS:     "https://apps.apple.com/app/id1234567890",
		Web:     "https://example.com/",
	}
	want.Partners["acme"] = &Partner{
		Name:         "acme",
		Install:      "https://pb.acme.example/i?click_id={click_id}&ts={event_time}",
		Signup:       "https://pb.acme.example/s?click_id={click_id}",
		Events:       map[string]string{"purchase": "https://pb.acme.example/e?click_id={click_id}&rev={revenue}&cur={currency}"},
		Rename:       map[string]string{"purchase": "sale"},
		ShareRevenue: true,
		Method:       "GET",
		Timeout:      5 * time.Second,
		MaxConns:     64,
		Retry:        Retry{Base: time.Second, MaxInterval: 10 * time.Minute, MaxAge: 24 * time.Hour},
	}
	want.Campaigns["OgWmhiSXhG"] = &Campaign{
		ID: "OgWmhiSXhG", Name: "Diwali Sale", App: "com.example.app", Partner: "acme",
		ClickLookback: 7 * 24 * time.Hour, FingerprintLookback: 24 * time.Hour,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got  %+v\nwant %+v", c, want)
	}
}

// TestReplicationExample parses CONTRACT §8 (testdata/replication.yaml).
func TestReplicationExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "replication.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := mustParse(t, string(data), env())
	want := &Replication{NATSURL: "nats://127.0.0.1:4222", Peers: []string{"us-east", "ap-south"}, PendingWindow: 60 * time.Second}
	if !reflect.DeepEqual(c.Replication, want) {
		t.Fatalf("got %+v, want %+v", c.Replication, want)
	}
	c = mustParse(t, "replication: {nats_url: \"nats://127.0.0.1:4222\"}\n", env())
	want = &Replication{NATSURL: "nats://127.0.0.1:4222", Peers: []string{}, PendingWindow: 60 * time.Second}
	if !reflect.DeepEqual(c.Replication, want) {
		t.Fatalf("nats_url alone: got %+v, want defaults %+v", c.Replication, want)
	}
}

// TestReplicationWithoutNATSURL: CONTRACT §8's nats_url reads "absent:
// single region, Pebble alone". A block without it (or with it empty, as
// ${NATS_URL} unset gives) is a single region, said in a note when it
// names peers. It had defaulted to nats://127.0.0.1:4222, so an edge
// without a NATS server there logged connection errors for good and grew
// its outbox (found by an audit).
func TestReplicationWithoutNATSURL(t *testing.T) {
	for _, tc := range []struct{ name, yaml, note string }{
		{"empty block", "replication: {}\n", ""},
		{"peers only", "replication:\n  peers: [eu]\n  pending_window: 30s\n", "replication.nats_url is not set"},
		{"empty from the environment", "replication:\n  nats_url: \"${NATS_URL}\"\n  peers: [eu]\n", "replication.nats_url is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, tc.yaml, env())
			if c.Replication != nil {
				t.Fatalf("replication %+v, want nil (single region)", c.Replication)
			}
			notes := strings.Join(Notes(c), "\n")
			if tc.note == "" && strings.Contains(notes, "replication") {
				t.Errorf("a note about replication: %s", notes)
			}
			if tc.note != "" && !strings.Contains(notes, tc.note) {
				t.Errorf("notes %q, want one saying %q", notes, tc.note)
			}
		})
	}
	// Its peers are still checked: a typo is an error, not a silence.
	if _, err := Parse("c.yaml", []byte("region: eu\nreplication:\n  peers: [eu]\n"), nil); err == nil {
		t.Fatal("own region as a peer accepted")
	}
}

func TestValues(t *testing.T) {
	c := mustParse(t, `
listen: "0.0.0.0:443"
tls_cert: /etc/tls/cert.pem
tls_key: /etc/tls/key.pem
durability: async
cache_size: 256MiB
trusted_proxies: ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "2001:db8::1", "::ffff:192.0.2.8", "172.16.5.4/12"]
allow_private_targets: true
anonymize_ip: true
event_retention: 90d
shutdown_grace: 15s
conversion_tokens: ["${TOKEN}", "old-token"]
region: eu-west-1
partners:
  p:
    install: "https://pb.example/i"
    method: post
    body: '{"click_id":"{click_id}"}'
    share_revenue: false
    max_conns: 8
    max_rps: 250
    timeout: 1500ms
    retry: {base: 2s}
apps:
  com.x: {web: "https://x.example/", redirect_hosts: [Shop.Example, "*.promo.example"]}
campaigns:
  c1: {app: com.x, deep_link: "exampleapp://product/42?ref=spring sale", view_through_lookback: 24h}
`, env("TOKEN", "from-env"))
	if !reflect.DeepEqual(c.ConversionTokens, []string{"from-env", "old-token"}) {
		t.Errorf("conversion_tokens: %q", c.ConversionTokens)
	}
	if c.ShutdownGrace != 15*time.Second {
		t.Errorf("shutdown_grace: %v", c.ShutdownGrace)
	}
	if vt := c.Campaigns["c1"].ViewThroughLookback; vt != 24*time.Hour {
		t.Errorf("view_through_lookback: %v", vt)
	}
	if h := c.Apps["com.x"].RedirectHosts; !reflect.DeepEqual(h, []string{"shop.example", "*.promo.example"}) {
		t.Errorf("redirect_hosts: %q, want them lower-cased", h)
	}
	if dl := c.Campaigns["c1"].DeepLink; dl != "exampleapp://product/42?ref=spring sale" {
		t.Errorf("deep_link: %q", dl)
	}
	wantProxies := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("2001:db8::/32"),
		netip.MustParsePrefix("2001:db8::1/128"),
		netip.MustParsePrefix("192.0.2.8/32"),
		netip.MustParsePrefix("172.16.0.0/12"),
	}
	if !reflect.DeepEqual(c.TrustedProxies, wantProxies) {
		t.Errorf("trusted_proxies: got %v, want %v", c.TrustedProxies, wantProxies)
	}
	p := c.Partners["p"]
	if p.Method != "POST" || p.Body != `{"click_id":"{click_id}"}` || p.ShareRevenue || p.MaxConns != 8 || p.MaxRPS != 250 || p.Timeout != 1500*time.Millisecond {
		t.Errorf("partner: %+v", p)
	}
	if p.Retry != (Retry{Base: 2 * time.Second, MaxInterval: 10 * time.Minute, MaxAge: 24 * time.Hour}) {
		t.Errorf("retry: %+v", p.Retry)
	}
	if c.Durability != "async" || c.CacheSize != 256<<20 || !c.AllowPrivateTargets || !c.AnonymizeIP || c.EventRetention != 90*24*time.Hour || c.TLSCert == "" || c.Region != "eu-west-1" {
		t.Errorf("top level: %+v", c)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Fatalf("want a not-exist error, got %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		type unwrapper interface{ Unwrap() error }
		u, ok := err.(unwrapper)
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}
