package config

import (
	"strings"
	"testing"
)

func TestDefault(t *testing.T) {
	t.Setenv("CLICKEDGE_ADMIN_TOKEN", "from-env")
	c := Default()
	if c.Source != "embedded default" || !c.Demo {
		t.Fatalf("Source %q Demo %v", c.Source, c.Demo)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.AdminToken != "from-env" {
		t.Errorf("admin token %q: Default must use the real environment", c.AdminToken)
	}
	if c.Listen != ":8080" || c.AdminListen != "127.0.0.1:8081" || c.DataDir != "./clickedge-data" || !c.AllowPrivateTargets {
		t.Errorf("listeners/data/private: %+v", c)
	}
	app := c.Apps["com.clickedge.demo"]
	if app == nil || app.Android != "https://play.google.com/store/apps/details?id=com.clickedge.demo" ||
		app.IOS != "https://apps.apple.com/app/id0000000000" || app.Web != "https://example.com/clickedge-demo" {
		t.Errorf("demo app: %+v", app)
	}
	camp := c.Campaigns["demo"]
	if camp == nil || camp.Name != "Demo campaign" || camp.App != "com.clickedge.demo" || camp.Partner != "demo" ||
		camp.ClickLookback != defaultClickLookback || camp.FingerprintLookback != defaultFingerprintLookback {
		t.Errorf("demo campaign: %+v", camp)
	}
	p := c.Partners["demo"]
	if p == nil || p.Install == "" || p.Signup == "" || p.Events["purchase"] == "" {
		t.Fatalf("demo partner: %+v", p)
	}
	for _, tmpl := range []string{p.Install, p.Signup, p.Events["purchase"]} {
		if !strings.HasPrefix(tmpl, "http://127.0.0.1:8081/_demo/postback?") {
			t.Errorf("demo template %q does not point at the admin listener", tmpl)
		}
	}
	for _, m := range []string{"click_id", "event_name", "event_id", "campaign_id", "sub1", "match_type", "event_time"} {
		if !strings.Contains(p.Install, "{"+m+"}") {
			t.Errorf("install template lacks {%s}: %s", m, p.Install)
		}
	}
	for _, m := range []string{"revenue", "currency"} {
		if !strings.Contains(p.Events["purchase"], "{"+m+"}") {
			t.Errorf("purchase template lacks {%s}: %s", m, p.Events["purchase"])
		}
	}
	// Each call is a fresh value: callers may mutate theirs.
	c.Listen = "changed"
	if Default().Listen != ":8080" {
		t.Error("Default shares state between calls")
	}
}

func TestDefaultYAMLParses(t *testing.T) {
	c, err := Parse("d.yaml", DefaultYAML(), env())
	if err != nil {
		t.Fatal(err)
	}
	if c.Demo {
		t.Error("Demo must be true only for Default()")
	}
}

func TestSetDemoSink(t *testing.T) {
	for _, tc := range []struct{ addr, wantBase string }{
		{"127.0.0.1:8081", "http://127.0.0.1:8081/_demo/postback?"},
		{":9000", "http://127.0.0.1:9000/_demo/postback?"},
		{"0.0.0.0:9000", "http://127.0.0.1:9000/_demo/postback?"},
		{"[::]:9000", "http://[::1]:9000/_demo/postback?"},
		{"[::1]:9001", "http://[::1]:9001/_demo/postback?"},
		{"localhost:9002", "http://localhost:9002/_demo/postback?"},
	} {
		c := Default()
		c.SetDemoSink(":7777") // a second call must still find the templates
		c.SetDemoSink(tc.addr)
		p := c.Partners["demo"]
		for _, tmpl := range []string{p.Install, p.Signup, p.Events["purchase"]} {
			if !strings.HasPrefix(tmpl, tc.wantBase) {
				t.Errorf("SetDemoSink(%q): %q, want prefix %q", tc.addr, tmpl, tc.wantBase)
			}
		}
		c.AdminListen = tc.addr
		if err := c.Validate(); err != nil {
			t.Errorf("SetDemoSink(%q): %v", tc.addr, err)
		}
	}

	// Not the demo: nothing changes. A bad address: nothing changes.
	c := Default()
	before := c.Partners["demo"].Install
	c.SetDemoSink("no-port")
	if c.Partners["demo"].Install != before {
		t.Error("a bad address rewrote the templates")
	}
	c.Demo = false
	c.SetDemoSink("127.0.0.1:1")
	if c.Partners["demo"].Install != before {
		t.Error("SetDemoSink changed a non-demo config")
	}
}
