package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// base is a valid file that error rows extend; keys added after it must not
// repeat its top-level keys.
const base = `
apps:
  com.x: {web: "https://example.com/"}
partners:
  acme: {install: "https://pb.example/i?c={click_id}"}
`

// TestErrors has one row per bad file, each with the exact one-line message.
func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		// Unknown keys, at every level.
		{"unknown top-level key", `listn: ":80"`, `listn: unknown key`},
		{"unknown app key", "apps:\n  com.x: {androd: \"https://x.example/\"}", `apps.com.x.androd: unknown key`},
		{"unknown partner key", "partners:\n  acme:\n    retyr: {}", `partners.acme.retyr: unknown key`},
		{"unknown retry key", "partners:\n  acme:\n    retry: {bse: 1s}", `partners.acme.retry.bse: unknown key`},
		{"unknown campaign key", base + "campaigns:\n  c1: {app: com.x, lookback: 7d}", `campaigns.c1.lookback: unknown key`},
		{"unknown replication key", "replication:\n  peer: [a]", `replication.peer: unknown key`},
		{"merge key", "partners:\n  acme:\n    <<: {install: \"https://x.example/\"}", `partners.acme.<<: unknown key`},
		{"duplicate key", "listen: \":1\"\nlisten: \":2\"", `listen: duplicate key (first on line 1)`},

		// YAML itself.
		{"syntax error", "listen: \":80\"\napps: [1,\n", `line 2: did not find expected node content`},
		{"syntax error without line", "listen: \"\x01\"", `control characters are not allowed`},
		{"complex key", "? [a]\n: b\n", `line 1: a key is a list, not a name`},
		{"nested complex key", "apps:\n  ? {a: b}\n  : c\n", `apps: a key on line 2 is a mapping, not a name`},
		{"top level list", "- a\n- b", `line 1: the top level must be a mapping, got a list`},
		{"two documents", "listen: \":80\"\n---\nregion: x\n", `line 3: only one YAML document is allowed`},

		// Wrong types name the key.
		{"list for string", `listen: [":80"]`, `listen: expected a string, got a list`},
		{"mapping for string", "partners:\n  acme: {install: {a: b}}", `partners.acme.install: expected a string, got a mapping`},
		{"string for mapping", "partners:\n  acme:\n    events: \"https://x.example/\"", `partners.acme.events: expected a mapping, got a string`},
		{"string for list", `trusted_proxies: "10.0.0.0/8"`, `trusted_proxies: expected a list, got a string`},
		{"bad bool", `allow_private_targets: maybe`, `allow_private_targets: "maybe" is not true or false`},
		{"bad anonymize_ip", `anonymize_ip: yes please`, `anonymize_ip: "yes please" is not true or false`},
		{"admin token with a trailing newline", "admin_token: |\n  s3cret\n", `admin_token: must not hold control characters or begin or end with a space (it is sent as a bearer token)`},
		{"admin token with a trailing space", `admin_token: "s3cret "`, `admin_token: must not hold control characters or begin or end with a space (it is sent as a bearer token)`},
		{"empty conversion token", `conversion_tokens: [""]`, `conversion_tokens[0]: must not be empty`},
		{"conversion token with a space", `conversion_tokens: ["abc def"]`, `conversion_tokens[0]: must be printable ASCII without spaces (it is sent as a bearer token)`},
		{"negative shutdown_grace", `shutdown_grace: -1s`, `shutdown_grace: "-1s" is not a duration (e.g. "90s", "24h", "7d")`},
		{"long shutdown_grace", `shutdown_grace: 1h`, `shutdown_grace: "1h" is outside 0..10m`},
		{"short event_retention", `event_retention: 12h`, `event_retention: "12h" is neither 0 (keep events) nor at least 1d`},
		{"bad event_retention", `event_retention: forever`, `event_retention: "forever" is not a duration (e.g. "90s", "24h", "7d")`},
		{"bad int", "partners:\n  acme: {install: \"https://x.example/\", max_conns: 6.5}", `partners.acme.max_conns: "6.5" is not an integer`},
		{"list for partner", "partners:\n  acme: [a]", `partners.acme: expected a mapping, got a list`},

		// Durations.
		{"bad duration", `sync_interval: "7x"`, `sync_interval: "7x" is not a duration (e.g. "90s", "24h", "7d")`},
		{"negative duration", `click_retention: "-1d"`, `click_retention: "-1d" is not a duration (e.g. "90s", "24h", "7d")`},
		{"literal empty duration", `sync_interval: ""`, `sync_interval: "" is not a duration (e.g. "90s", "24h", "7d")`},
		{"literal empty bool", `allow_private_targets: ""`, `allow_private_targets: "" is not true or false`},
		{"zero sync interval", `sync_interval: 0`, `sync_interval: "0" must be greater than 0`},
		{"short retention", `click_retention: 30m`, `click_retention: "30m" is less than 1h`},
		{"click lookback too long", base + "campaigns:\n  OgWmhiSXhG: {app: com.x, click_lookback: 40d}", `campaigns.OgWmhiSXhG.click_lookback: "40d" is outside 1d..30d`},
		{"click lookback too short", base + "campaigns:\n  c1: {app: com.x, click_lookback: 12h}", `campaigns.c1.click_lookback: "12h" is outside 1d..30d`},
		{"fingerprint lookback too long", base + "campaigns:\n  c1: {app: com.x, fingerprint_lookback: 7d1s}", `campaigns.c1.fingerprint_lookback: "7d1s" is outside 0..7d`},
		{"view-through lookback too long", base + "campaigns:\n  c1: {app: com.x, view_through_lookback: 8d}", `campaigns.c1.view_through_lookback: "8d" is outside 0..7d`},
		{"deep link too long", base + "campaigns:\n  c1: {app: com.x, deep_link: \"app://" + strings.Repeat("x", 507) + "\"}", `campaigns.c1.deep_link: is 513 bytes, more than 512`},
		{"deep link with a control byte", base + "campaigns:\n  c1: {app: com.x, deep_link: \"app://a\\nb\"}", `campaigns.c1.deep_link: "app://a\nb" has a control character`},
		{"zero timeout", "partners:\n  acme: {install: \"https://x.example/\", timeout: 0s}", `partners.acme.timeout: "0s" must be greater than 0`},
		{"zero retry base", "partners:\n  acme:\n    retry: {base: 0}", `partners.acme.retry.base: "0" must be greater than 0`},
		{"base over max_interval", "partners:\n  acme:\n    retry: {base: 1h, max_interval: 10m}", `partners.acme.retry.base: "1h" is more than max_interval "10m"`},
		{"zero sync interval as written", `sync_interval: "0s"`, `sync_interval: "0s" must be greater than 0`},
		{"click lookback as written", base + "campaigns:\n  c1: {app: com.x, click_lookback: 720h1s}", `campaigns.c1.click_lookback: "720h1s" is outside 1d..30d`},
		{"retention as written", `click_retention: 1800s`, `click_retention: "1800s" is less than 1h`},
		{"base over max_interval as written", "partners:\n  acme:\n    retry: {base: 3600s, max_interval: 600s}", `partners.acme.retry.base: "3600s" is more than max_interval "600s"`},
		{"zero pending window", "replication: {pending_window: 0}", `replication.pending_window: "0" must be greater than 0`},

		// Top-level values.
		{"bad durability", `durability: fast`, `durability: "fast" is not sync or async`},
		{"bad region", `region: US-East`, `region: "US-East" must match [a-z0-9][a-z0-9-]{0,31}`},
		{"region too long", `region: ` + strings.Repeat("a", 33), `region: "` + strings.Repeat("a", 33) + `" must match [a-z0-9][a-z0-9-]{0,31}`},
		{"listen without port", `listen: "8080"`, `listen: "8080" is not host:port (missing port in address)`},
		{"listen bad port", `admin_listen: "127.0.0.1:http"`, `admin_listen: "127.0.0.1:http" has a bad port (want 0..65535)`},
		{"same listeners", "listen: \"127.0.0.1:8081\"", `admin_listen: "127.0.0.1:8081" is the same address as listen`},
		{"listen on every address", "listen: \":8081\"", `admin_listen: "127.0.0.1:8081" and listen ":8081" would both take port 8081 (one listens on every address)`},
		{"admin on every address", "listen: \"127.0.0.1:9000\"\nadmin_listen: \"0.0.0.0:9000\"", `admin_listen: "0.0.0.0:9000" and listen "127.0.0.1:9000" would both take port 9000 (one listens on every address)`},
		{"both on every address", "listen: \"[::]:9000\"\nadmin_listen: \":9000\"", `admin_listen: ":9000" and listen "[::]:9000" would both take port 9000 (one listens on every address)`},
		{"empty data dir", `data_dir: ""`, `data_dir: must not be empty`},
		{"cert without key", `tls_cert: /c.pem`, `tls_key: must be set with tls_cert (both or neither)`},
		{"key without cert", `tls_key: /k.pem`, `tls_cert: must be set with tls_key (both or neither)`},
		{"bad cidr", `trusted_proxies: ["10.0.0.0/8", "10.0.0.0/33"]`, `trusted_proxies[1]: "10.0.0.0/33" is not a CIDR or IP address`},
		{"zoned ip", `trusted_proxies: ["fe80::1%eth0"]`, `trusted_proxies[0]: "fe80::1%eth0" is not a CIDR or IP address`},
		{"bad header", `client_ip_header: "X Forwarded"`, `client_ip_header: "X Forwarded" is not a valid header name`},

		// Apps.
		{"app without urls", "apps:\n  com.x: {}", `apps.com.x: needs at least one of android, ios, web`},
		{"app null", "apps:\n  com.x:", `apps.com.x: needs at least one of android, ios, web`},
		{"redirect host with a scheme", "apps:\n  com.x: {web: \"https://x.example/\", redirect_hosts: [\"https://shop.example\"]}", `apps.com.x.redirect_hosts[0]: "https://shop.example" is not a host name or *.domain`},
		{"redirect host with a port", "apps:\n  com.x: {web: \"https://x.example/\", redirect_hosts: [shop.example, \"shop.example:443\"]}", `apps.com.x.redirect_hosts[1]: "shop.example:443" is not a host name or *.domain`},
		{"redirect host star alone", "apps:\n  com.x: {web: \"https://x.example/\", redirect_hosts: [\"*\"]}", `apps.com.x.redirect_hosts[0]: "*" is not a host name or *.domain`},
		{"redirect host star inside", "apps:\n  com.x: {web: \"https://x.example/\", redirect_hosts: [\"shop.*.example\"]}", `apps.com.x.redirect_hosts[0]: "shop.*.example" is not a host name or *.domain`},
		{"redirect host empty", "apps:\n  com.x: {web: \"https://x.example/\", redirect_hosts: [\"\"]}", `apps.com.x.redirect_hosts[0]: "" is not a host name or *.domain`},
		{"app relative url", "apps:\n  com.x: {web: example.com}", `apps.com.x.web: "example.com" is not an absolute http(s) URL`},
		{"app ftp url", "apps:\n  com.x: {android: \"ftp://example.com/\"}", `apps.com.x.android: "ftp://example.com/" is not an absolute http(s) URL`},
		{"app url without host", "apps:\n  com.x: {ios: \"https:///x\"}", `apps.com.x.ios: "https:///x" has no host`},
		{"play url with referrer", "apps:\n  com.x: {android: \"https://play.google.com/store/apps/details?id=com.x&referrer=utm_source%3Dads\"}", `apps.com.x.android: a Google Play URL must not carry referrer= (the edge adds its own)`},
		{"play url with empty referrer", "apps:\n  com.x: {android: \"HTTPS://Play.Google.COM:443/store/apps/details?referrer&id=com.x\"}", `apps.com.x.android: a Google Play URL must not carry referrer= (the edge adds its own)`},
		{"play url as web with referrer", "apps:\n  com.x: {web: \"http://play.google.com/store/apps/details?id=com.x&referrer=a\"}", `apps.com.x.web: a Google Play URL must not carry referrer= (the edge adds its own)`},
		{"app url with space", "apps:\n  com.x: {web: \"https://example.com/a b\"}", `apps.com.x.web: "https://example.com/a b" contains a space or control character`},

		// Partners.
		{"template macro in host", "partners:\n  acme: {install: \"https://{host}/i\"}", `partners.acme.install: "https://{host}/i" has a macro in its scheme or host`},
		{"template macro in port", "partners:\n  acme: {signup: \"https://pb.example:{port}/i\"}", `partners.acme.signup: "https://pb.example:{port}/i" has a macro in its scheme or host`},
		{"template macro as scheme", "partners:\n  acme: {install: \"{scheme}://pb.example/i\"}", `partners.acme.install: "{scheme}://pb.example/i" is not an absolute http(s) URL`},
		{"template relative", "partners:\n  acme:\n    events: {purchase: \"/e?c={click_id}\"}", `partners.acme.events.purchase: "/e?c={click_id}" is not an absolute http(s) URL`},
		{"template empty event", "partners:\n  acme:\n    events: {purchase: \"\"}", `partners.acme.events.purchase: must not be empty`},
		{"template bad port", "partners:\n  acme: {install: \"https://pb.example:99999/i\"}", `partners.acme.install: "https://pb.example:99999/i" has a bad host or port`},
		{"bad method", "partners:\n  acme: {install: \"https://x.example/\", method: put}", `partners.acme.method: "put" is not GET or POST`},
		{"body with GET", "partners:\n  acme: {install: \"https://x.example/\", body: \"{}\"}", `partners.acme.body: only allowed with method POST`},
		{"max_conns zero", "partners:\n  acme: {max_conns: 0}", `partners.acme.max_conns: 0 is outside 1..4096`},
		{"max_conns huge", "partners:\n  acme: {max_conns: 4097}", `partners.acme.max_conns: 4097 is outside 1..4096`},
		{"cache_size words", "cache_size: 64 megs", `cache_size: "64 megs" is not a size (e.g. "64MiB", "1GiB")`},
		{"cache_size small", "cache_size: 512KiB", `cache_size: "512KiB" is outside 1MiB..1TiB`},
		{"cache_size huge", "cache_size: 2TiB", `cache_size: "2TiB" is outside 1MiB..1TiB`},
		{"max_rps negative", "partners:\n  acme: {max_rps: -1}", `partners.acme.max_rps: -1 is outside 0..100000 (0: no limit)`},
		{"max_rps huge", "partners:\n  acme: {max_rps: 100001}", `partners.acme.max_rps: 100001 is outside 0..100000 (0: no limit)`},
		{"max_rps not an int", "partners:\n  acme: {max_rps: 2.5}", `partners.acme.max_rps: "2.5" is not an integer`},
		{"empty rename", "partners:\n  acme:\n    rename: {purchase: \"\"}", `partners.acme.rename.purchase: must not be empty`},

		// Campaigns.
		{"unknown app", base + "campaigns:\n  c1: {app: nope, partner: acme}", `campaigns.c1.app: "nope" is not a defined app`},
		{"missing app", base + "campaigns:\n  c1: {partner: acme}", `campaigns.c1.app: must name a defined app`},
		{"unknown partner", base + "campaigns:\n  c1: {app: com.x, partner: nope}", `campaigns.c1.partner: "nope" is not a defined partner`},
		{"bad campaign id", base + "campaigns:\n  \"a/b\": {app: com.x}", `campaigns."a/b": "a/b" must match [A-Za-z0-9._-]{1,64}`},
		{"dot campaign id", base + "campaigns:\n  \"..\": {app: com.x}", `campaigns."..": ".." cannot be a URL path segment`},
		{"reserved campaign id", base + "campaigns:\n  healthz: {app: com.x}", `campaigns.healthz: "healthz" is reserved (GET /healthz)`},
		{"key with newline", base + "campaigns:\n  \"a\\nb\": {app: com.x}", `campaigns."a\nb": "a\nb" must match [A-Za-z0-9._-]{1,64}`},
		{"first error in key order", base + "campaigns:\n  zz: {app: nope}\n  aa: {app: nope2}", `campaigns.aa.app: "nope2" is not a defined app`},

		// Replication.
		{"bad nats url", "replication: {nats_url: \"http://127.0.0.1:4222\"}", `replication.nats_url: "http://127.0.0.1:4222" is not a nats:// or tls:// URL`},
		{"bad peer", "replication: {peers: [us-east, US_West]}", `replication.peers[1]: "US_West" must match [a-z0-9][a-z0-9-]{0,31}`},
		{"peer is self", "region: eu\nreplication: {peers: [eu]}", `replication.peers[0]: "eu" is this edge's own region`},
		{"duplicate peer", "replication: {peers: [a, b, a]}", `replication.peers[2]: "a" is listed twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tc.yaml), env())
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			want := "config: x.yaml: " + tc.want
			if got := err.Error(); got != want {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("message spans lines: %q", err)
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.File != "x.yaml" {
				t.Fatalf("want a *config.Error naming the file, got %#v", err)
			}
		})
	}
}

// TestValidateAfterOverride is how the caller uses Validate: apply a flag, re-check.
func TestValidateAfterOverride(t *testing.T) {
	c := mustParse(t, base+"campaigns:\n  c1: {app: com.x, partner: acme}\n", env())
	c.Listen = "not-an-address"
	err := c.Validate()
	if want := `config: x.yaml: listen: "not-an-address" is not host:port (missing port in address)`; err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	c.Listen = "127.0.0.1:0"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	// Hand-made values the parser would never produce are still caught, not panicked on.
	c.Campaigns["c2"] = &Campaign{ID: "c2", App: "com.x", ClickLookback: 24 * time.Hour, FingerprintLookback: -time.Second}
	c.Apps["nil"] = nil
	if err := c.Validate(); err == nil || err.Error() != `config: x.yaml: apps.nil: is nil` {
		t.Fatalf("got %v", err)
	}
	delete(c.Apps, "nil")
	if err := c.Validate(); err == nil || err.Error() != `config: x.yaml: campaigns.c2.fingerprint_lookback: "-1s" is outside 0..7d` {
		t.Fatalf("got %v", err)
	}
}

// TestErrorQuotesTheFile: a message quotes a value as the file wrote it
// (after ${VAR} expansion), not as the config holds it after parsing; a
// value the program changed after Parse is quoted as it now is.
func TestErrorQuotesTheFile(t *testing.T) {
	_, err := Parse("x.yaml", []byte("sync_interval: ${SI}\n"), env("SI", "0ms"))
	if want := `config: x.yaml: sync_interval: "0ms" must be greater than 0`; err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
	c := mustParse(t, base+"campaigns:\n  c1: {app: com.x, click_lookback: 168h}\n", env())
	c.Campaigns["c1"].ClickLookback = 40 * 24 * time.Hour
	if want := `config: x.yaml: campaigns.c1.click_lookback: "40d" is outside 1d..30d`; c.Validate() == nil || c.Validate().Error() != want {
		t.Fatalf("got  %v\nwant %s", c.Validate(), want)
	}
}

// TestPlayReferrerOnlyOnPlay: referrer= is refused only where the edge adds
// its own, on a Google Play URL, by the rule IsPlayStoreURL.
func TestPlayReferrerOnlyOnPlay(t *testing.T) {
	for _, u := range []string{
		"https://example.com/?referrer=x",
		"https://play.google.com.evil.example/store?referrer=x",
		"https://play.google.com/store/apps/details?id=com.x&xreferrer=1",
		"https://play.google.com/store/apps/details?id=com.x#referrer=x",
	} {
		if _, err := Parse("x.yaml", []byte("apps:\n  com.x: {android: \""+u+"\"}\n"), env()); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}
