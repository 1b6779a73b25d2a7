package edge

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

// conversionCounts sums, from /metrics, every clickedge_conversion*
// counter: what counts a conversion request, whatever became of it.
func conversionCounts(t *testing.T, e *Edge) float64 {
	t.Helper()
	_, body := request(t, "GET", "http://"+e.AdminAddr(), "/metrics", "")
	counters := map[string]bool{}
	sum := 0.0
	for _, line := range strings.Split(body, "\n") {
		if f, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, typ, _ := strings.Cut(f, " ")
			counters[name] = typ == "counter"
			continue
		}
		name, _, _ := strings.Cut(line, "{")
		name, _, _ = strings.Cut(name, " ")
		if !strings.HasPrefix(name, "clickedge_conversion") || !counters[name] {
			continue
		}
		if v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64); err == nil {
			sum += v
		}
	}
	return sum
}

// TestConversionErrorsCounted: a conversion the edge could not store is
// answered 500 and its sender retries; like a click (clicks_total
// {result="error"}) and an impression (impressions_total{result="error"}),
// it must show in /metrics, or an operator alerting on the README's
// metrics never learns that an advertiser's installs and purchases are
// being refused. Here one install's record cannot be read (a record this
// version cannot decode), so every event of it fails, singly and in a
// batch.
func TestConversionErrorsCounted(t *testing.T) {
	e := startLocalEdge(t, `apps:
  com.example.app: {web: "https://example.com/"}
campaigns:
  camp: {app: com.example.app}
`)
	if err := e.Store().DB().Set([]byte("ibroken"), []byte{0xff, 0xff, 0xff}, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	before := conversionCounts(t, e)
	failed := 0
	for _, tc := range []struct{ path, body string }{
		{"/v1/conversions", `{"type":"event","install_id":"broken","event_name":"purchase"}`},
		{"/v1/conversions", `{"type":"signup","install_id":"broken"}`},
		{"/v1/conversions/batch", `{"type":"install","install_id":"fine"}` + "\n" + `{"type":"event","install_id":"broken","event_name":"open"}` + "\n"},
	} {
		resp, err := http.Post("http://"+e.PublicAddr()+tc.path, "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 500 {
			t.Fatalf("%s %s: %d %s, want 500", tc.path, tc.body, resp.StatusCode, b)
		}
		failed++
	}
	if got := conversionCounts(t, e) - before; got < float64(failed) {
		t.Errorf("%d conversion requests answered 500 moved the clickedge_conversion* counters by %v: a refused conversion is counted nowhere", failed, got)
	}
}

// TestCTITCountedOnlyWhenStored: clickedge_install_ctit_seconds counts
// "each attributed install's click-to-install time, counted once when it
// is decided" (README). An install in a batch that the store then refused
// (another line's install record cannot be read: the whole batch is
// answered 500 and nothing is stored) was not decided; its sender sends it
// again, and it must be counted once, not once per try.
func TestCTITCountedOnlyWhenStored(t *testing.T) {
	sink := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer sink.Close()
	e := startLocalEdge(t, `allow_private_targets: true
apps:
  com.example.app: {web: "https://example.com/"}
partners:
  ctitp: {install: "`+sink.URL+`/i?c={click_id}"}
campaigns:
  camp: {app: com.example.app, partner: ctitp}
`)
	if err := e.Store().DB().Set([]byte("ibroken"), []byte{0xff, 0xff, 0xff}, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if code, _ := request(t, "GET", "http://"+e.PublicAddr(), "/?c=camp&click_id=ctit1", ""); code != 302 {
		t.Fatalf("click: %d", code)
	}
	count := func() float64 {
		_, body := request(t, "GET", "http://"+e.AdminAddr(), "/metrics", "")
		for _, line := range strings.Split(body, "\n") {
			if strings.HasPrefix(line, `clickedge_install_ctit_seconds_count{partner="ctitp",match="click_id"} `) {
				v, _ := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
				return v
			}
		}
		return 0
	}
	// The counter is the process's: one counted before this test (go
	// test -count=2 runs it again in the same process) is not this test's.
	before := count()
	install := `{"type":"install","install_id":"ctit-i1","click_id":"ctit1"}` + "\n"
	for _, tc := range []struct {
		path, body string
		code       int
	}{
		{"/v1/conversions/batch", install + `{"type":"event","install_id":"broken","event_name":"open"}` + "\n", 500},
		{"/v1/conversions/batch", install, 200}, // the sender's retry
	} {
		resp, err := http.Post("http://"+e.PublicAddr()+tc.path, "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Fatalf("%s: %d %s, want %d", tc.body, resp.StatusCode, b, tc.code)
		}
	}
	if got := count() - before; got != 1 {
		t.Errorf("one install stored, attributed: clickedge_install_ctit_seconds_count = %v, want 1", got)
	}
}
