package config

import "testing"

func TestExpand(t *testing.T) {
	lookup := env("TOKEN", "abc", "HOST", "pb.example", "EMPTY", "", "A_1", "x", "INJECT", "a\nb: c")
	for _, in := range []struct{ in, want string }{
		{"${TOKEN}", "abc"},
		{"Bearer ${TOKEN}", "Bearer abc"},
		{"${TOKEN}${TOKEN}", "abcabc"},
		{"${UNSET}", ""},
		{"a${UNSET}b", "ab"},
		{"${EMPTY}", ""},
		{"${A_1}", "x"},
		{"${_}", ""},
		{"${lower}", "${lower}"},
		{"${click_id}", "${click_id}"},
		{"${Token}", "${Token}"},
		{"${1ABC}", "${1ABC}"},
		{"${TOKEN", "${TOKEN"},
		{"$TOKEN", "$TOKEN"},
		{"${}", "${}"},
		{"${TO KEN}", "${TO KEN}"},
		{"{click_id}&k=${TOKEN}", "{click_id}&k=abc"},
		{"$${TOKEN}", "$abc"},
		{"${${TOKEN}}", "${abc}"},
		{"${INJECT}", "a\nb: c"},
		{"no vars", "no vars"},
	} {
		if got := expand(in.in, lookup); got != in.want {
			t.Errorf("expand(%q) = %q, want %q", in.in, got, in.want)
		}
	}
}

// TestExpandInConfig checks expansion happens on values after parsing, so an
// environment value can't change the YAML structure, and keys are left alone.
func TestExpandInConfig(t *testing.T) {
	c := mustParse(t, `
admin_token: "Bearer ${TOKEN}"
region: ${REGION}
listen: ${UNSET}:8080
data_dir: ${INJECT}
allow_private_targets: ${YES}
partners:
  ${TOKEN}:
    install: "https://${HOST}/i?c={click_id}&k=${click_id}&t=${TOKEN}"
    max_conns: ${CONNS}
    timeout: ${TIMEOUT}
    secret: ${lower}
`, env("TOKEN", "abc", "HOST", "pb.example", "REGION", "eu-1", "INJECT", "x\nlisten: \":1\"", "YES", "true", "CONNS", "9", "TIMEOUT", "2s"))
	p, ok := c.Partners["${TOKEN}"]
	if !ok {
		t.Fatalf("map keys must not be expanded: %v", c.Partners)
	}
	if want := "https://pb.example/i?c={click_id}&k=${click_id}&t=abc"; p.Install != want {
		t.Errorf("install = %q, want %q", p.Install, want)
	}
	if p.MaxConns != 9 || p.Timeout.String() != "2s" {
		t.Errorf("max_conns %d timeout %v", p.MaxConns, p.Timeout)
	}
	if c.AdminToken != "Bearer abc" || c.Region != "eu-1" || c.Listen != ":8080" || p.Secret != "${lower}" || !c.AllowPrivateTargets {
		t.Errorf("top level: %+v", c)
	}
	if c.DataDir != "x\nlisten: \":1\"" {
		t.Errorf("data_dir = %q: an env value must stay one scalar", c.DataDir)
	}
}

// TestExpandUnsetTyped: a boolean, integer or duration that is empty only
// because its ${VAR} is unset keeps its default.
func TestExpandUnsetTyped(t *testing.T) {
	c := mustParse(t, `
sync_interval: ${UNSET}
allow_private_targets: "${UNSET}"
partners:
  p: {max_conns: "${UNSET}", share_revenue: "${UNSET}", timeout: "${UNSET}${ALSO_UNSET}"}
`, env())
	p := c.Partners["p"]
	if c.SyncInterval != defaultSyncInterval || c.AllowPrivateTargets || p.MaxConns != defaultMaxConns || !p.ShareRevenue || p.Timeout != defaultTimeout {
		t.Fatalf("defaults not kept: %+v %+v", c, p)
	}
}
