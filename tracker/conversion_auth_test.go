package tracker_test

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/store"
	"github.com/clickedge/clickedge/tracker"
)

// TestConversionTokens: with conversion_tokens set (an extension), a
// conversion must carry one of them as a bearer token, or it is refused
// with a 401 and nothing is stored; clicks are not affected, and a reload
// that removes the tokens lets conversions in without one again.
func TestConversionTokens(t *testing.T) {
	const base = `
region: test
apps:
  com.test.app: {web: "https://test.example/"}
campaigns:
  camp: {app: com.test.app}
`
	parse := func(yaml string) *config.Config {
		cfg, err := config.Parse("t.yaml", []byte(yaml), nil)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	st, err := store.Open(store.Options{Dir: t.TempDir(), Durability: store.Async})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tr := tracker.New(tracker.Options{Store: st, Config: parse(base + `conversion_tokens: ["new-0123456789abcdef", "old-0123456789abcdef"]` + "\n")})

	post := func(path, auth, body string) (int, string, string) {
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod("POST")
		ctx.Request.SetRequestURI(path)
		ctx.Request.Header.SetContentType("application/json")
		if auth != "" {
			ctx.Request.Header.Set("Authorization", auth)
		}
		ctx.Request.SetBodyString(body)
		tr.Handler(&ctx)
		return ctx.Response.StatusCode(), string(ctx.Response.Body()), string(ctx.Response.Header.Peek("WWW-Authenticate"))
	}
	n := 0
	install := func() string {
		n++
		return `{"type":"install","install_id":"i` + strings.Repeat("x", n) + `","app":"com.test.app"}`
	}
	for _, path := range []string{"/v1/conversions", "/v1/conversions/batch"} {
		for _, auth := range []string{"", "Bearer", "Bearer wrong", "Basic new-0123456789abcdef", "Bearer new-0123456789abcdef0", "Bearer  new-0123456789abcdef"} {
			code, body, challenge := post(path, auth, install())
			if code != 401 || !strings.Contains(body, `"error"`) || challenge != `Bearer realm="clickedge"` {
				t.Errorf("%s with %q: %d %s (WWW-Authenticate %q), want 401", path, auth, code, body, challenge)
			}
		}
		for _, auth := range []string{"Bearer new-0123456789abcdef", "bearer old-0123456789abcdef"} {
			if code, body, _ := post(path, auth, install()); code != 200 {
				t.Errorf("%s with %q: %d %s, want 200", path, auth, code, body)
			}
		}
	}
	for _, id := range []string{"ix", "ixx", "ixxxxxx"} { // refused ones
		if _, err := st.GetInstall(id); err != store.ErrNotFound {
			t.Errorf("refused install %s: %v, want not stored", id, err)
		}
	}

	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI("/?c=camp&click_id=k1")
	tr.Handler(&ctx)
	if ctx.Response.StatusCode() != 302 {
		t.Errorf("a click without a token: %d, want 302", ctx.Response.StatusCode())
	}

	tr.SetConfig(parse(base))
	if code, body, _ := post("/v1/conversions", "", install()); code != 200 {
		t.Errorf("after a reload without tokens: %d %s, want 200", code, body)
	}
}
