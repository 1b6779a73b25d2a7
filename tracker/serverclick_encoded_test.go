package tracker_test

import (
	"testing"

	"github.com/clickedge/clickedge/store"
)

// TestServerClickEncodedBracesNoMacro: a value encoded once more reads as
// its decoded form (README: encoded JSON "is no macro, as {"id":42} is
// none"). "{12/25}" is stored; so must its encoded form "%7B12%2F25%7D"
// be, not refused as an unexpanded macro for the F of "%2F".
func TestServerClickEncodedBracesNoMacro(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	for _, row := range []struct{ id, sub1 string }{
		{"plain1", "%7B12%2F25%7D"},                  // sub1 = {12/25}
		{"encoded1", "%257B12%252F25%257D"},          // sub1 = %7B12%2F25%7D
		{"encoded2", "%257B2025%252D11%252D26%257D"}, // sub1 = %7B2025%2D11%2D26%7D
	} {
		r := e.do(t, clickReq{uri: "/v1/click?c=" + clickCampaign + "&click_id=" + row.id + "&sub1=" + row.sub1})
		if r.status != 200 {
			t.Errorf("sub1=%s: status %d %s, want 200 stored", row.sub1, r.status, r.body)
			continue
		}
		if a := clickDecodeS2S(t, r); a.Reason == nil || *a.Reason != "stored" {
			t.Errorf("sub1=%s: %s, want stored", row.sub1, r.body)
		}
	}
}
