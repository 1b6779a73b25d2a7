package config

import (
	"strings"
	"testing"
)

// TestAuditConfigErrorsDoNotQuoteCredentials: a config error quotes the
// expanded value, so a partner template or nats_url that takes its
// credential from ${VAR} prints the credential in the error that
// check-config writes and that serve logs when a SIGHUP reload is refused
// ("config reload refused; keeping the running config" err=...). A secret
// read from a file with its trailing newline is exactly what makes the
// value invalid.
// TestErrorsQuoteTheFileNotTheSecret: an error about a template, an app
// URL or nats_url that holds a ${VAR} quotes it as the file wrote it, not
// with the variable's value: a credential in the environment (an api_key,
// a password, with a secret file's newline) was printed by check-config
// and logged by a refused reload. Found by an audit.
func TestErrorsQuoteTheFileNotTheSecret(t *testing.T) {
	const secret = "k-SECRET-5a1f"
	const apps = "apps:\n  com.x: {web: \"https://example.com/\"}\n"
	for _, tc := range []struct{ name, yaml string }{
		{"template query api_key", apps + "partners:\n  acme:\n    install: \"https://pb.example/i?api_key=${ACME_KEY}&c={click_id}\"\n"},
		{"template userinfo password", apps + "partners:\n  acme:\n    install: \"https://u:${ACME_KEY}@pb.example/i?c={click_id}\"\n"},
		{"nats_url password", base + "replication:\n  nats_url: \"nats://u:${ACME_KEY}@nats.example:4222\"\n  peers: [eu]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tc.yaml), env("ACME_KEY", secret+"\n"))
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "${ACME_KEY}") {
				t.Errorf("the error does not quote the file's text:\n%v", err)
			}
		})
	}
}
