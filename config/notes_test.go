package config

import (
	"strings"
	"testing"
)

// TestNotes: a config that is valid but probably not what its author
// meant gets a note (check-config prints them; serve logs them), one per
// finding, naming the keys involved.
func TestNotes(t *testing.T) {
	const apps = "apps:\n  a: {web: \"https://a.example/\"}\n"
	for _, tc := range []struct {
		name, yaml string
		want       []string // one substring per expected note, in order
	}{
		{"loopback, tokens, admin token", `listen: "127.0.0.1:8080"
admin_token: t
conversion_tokens: [abc]
`, nil},
		{"public without conversion tokens", `listen: ":8080"
admin_token: t
`, []string{"conversion_tokens"}},
		{"client_ip_header without trusted proxies", `listen: "127.0.0.1:8080"
admin_token: t
conversion_tokens: [abc]
client_ip_header: CF-Connecting-IP
country_header: CF-IPCountry
`, []string{"client_ip_header (CF-Connecting-IP) is read only from trusted_proxies", "country_header (CF-IPCountry) is believed from every client"}},
		{"the default client_ip_header without trusted proxies: nothing meant", `listen: "127.0.0.1:8080"
admin_token: t
conversion_tokens: [abc]
`, nil},
		{"trusted proxies: the headers are read", `listen: "127.0.0.1:8080"
admin_token: t
conversion_tokens: [abc]
client_ip_header: X-Forwarded-For
trusted_proxies: ["10.0.0.0/8"]
`, nil},
		{"client_ip_header Forwarded: its for= pairs are not read", `listen: "127.0.0.1:8080"
admin_token: t
conversion_tokens: [abc]
client_ip_header: forwarded
trusted_proxies: ["10.0.0.0/8"]
`, []string{"client_ip_header (forwarded) is read as a list of addresses"}},
		{"no admin token", `listen: "127.0.0.1:8080"
conversion_tokens: [abc]
`, []string{"admin_token"}},
		{"click_retention shorter than a campaign's windows", `listen: "127.0.0.1:8080"
admin_token: t
conversion_tokens: [abc]
click_retention: 2h
campaigns:
  camp: {app: a, click_lookback: 30d}
`, []string{"click_retention (2h) is shorter than campaigns.camp's click_lookback (30d)"}},
		{"a partner timeout past what SIGTERM waits for", `listen: "127.0.0.1:8080"
admin_token: t
conversion_tokens: [abc]
partners:
  quick: {install: "https://q.example/i", timeout: 20s}
  slow: {install: "https://s.example/i", timeout: 1m}
`, []string{"partners.slow.timeout (1m) is longer than the 20s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, tc.yaml+apps, env())
			notes := Notes(c)
			if len(notes) != len(tc.want) {
				t.Fatalf("notes %q, want %d naming %q", notes, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(notes[i], w) {
					t.Errorf("note %d %q does not name %s", i, notes[i], w)
				}
			}
		})
	}
}
