package tracker_test

import (
	"bytes"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/store"
	"github.com/clickedge/clickedge/tracker"
)

// TestStoreErrorsLoggedOnce: when the store fails on every request (a full
// or failing disk), the redirect still goes out and every failure is
// counted, but the log gets one line per kind of failure per interval, not
// one per request: under load that would be tens of thousands of lines a
// second onto the failing disk.
func TestStoreErrorsLoggedOnce(t *testing.T) {
	cfg, err := config.Parse("t.yaml", []byte(clickConfigYAML), nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: t.TempDir(), Durability: store.Async, Now: clickClock})
	if err != nil {
		t.Fatal(err)
	}
	st.Close() // every write fails from now on
	var logs bytes.Buffer
	tr := tracker.New(tracker.Options{Store: st, Config: cfg, Now: clickClock, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for i := range 100 {
		var ctx fasthttp.RequestCtx
		ctx.Request.SetRequestURI("/?c=" + clickCampaign + "&click_id=x" + strconv.Itoa(i))
		tr.Handler(&ctx)
		if ctx.Response.StatusCode() != 302 {
			t.Fatalf("click %d: %d, want the redirect all the same", i, ctx.Response.StatusCode())
		}
		ctx = fasthttp.RequestCtx{}
		ctx.Request.Header.SetMethod("POST")
		ctx.Request.SetRequestURI("/v1/conversions")
		ctx.Request.Header.SetContentType("application/json")
		ctx.Request.SetBodyString(`{"type":"install","install_id":"i` + strconv.Itoa(i) + `","app":"com.example.app"}`)
		tr.Handler(&ctx)
		if ctx.Response.StatusCode() != 500 && ctx.Response.StatusCode() != 503 {
			t.Fatalf("conversion %d: %d %s, want a server error", i, ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
	for _, msg := range []string{"click not stored", "conversion not stored"} {
		if n := strings.Count(logs.String(), msg); n != 1 {
			t.Errorf("%q logged %d times for 100 failures, want once:\n%.2000s", msg, n, logs.String())
		}
	}
}
