package bench

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// A remote edge that queues and sends the postback but then fails to answer
// the conversion (a 503 here; a dropped connection or a client timeout in
// practice): the conversion is counted as an error, so its postback must not
// be counted as received, and "postbacks_missing" must never be negative.
func TestPostbackOfFailedConversionNotCounted(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sinkAddr := ln.Addr().String()
	ln.Close()
	edge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/conversions" {
			w.Header().Set("Location", "https://example.com/")
			w.WriteHeader(http.StatusFound)
			return
		}
		var body struct {
			EventID string `json:"event_id"`
		}
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &body)
		resp, err := http.Get("http://" + sinkAddr + "/pb?event_id=" + body.EventID)
		if err == nil {
			resp.Body.Close()
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer edge.Close()
	r, err := Run(context.Background(), Options{Clicks: 4, Conversions: 2, Rate: 100, Durability: "sync",
		Target: edge.URL, SinkListen: sinkAddr, Campaign: "bench", Conns: 2}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("conversion_errors=%v conversions.count=%d postbacks.count=%d postbacks_missing=%v",
		r.Settings["conversion_errors"], r.Conversions.Count, r.Postbacks.Count, r.Settings["postbacks_missing"])
	if m := r.Settings["postbacks_missing"].(int64); m < 0 || r.Postbacks.Count > r.Conversions.Count {
		t.Fatalf("postbacks %d for %d accepted conversions, missing %d", r.Postbacks.Count, r.Conversions.Count, m)
	}
}
