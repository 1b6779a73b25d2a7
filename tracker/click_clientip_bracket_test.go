package tracker_test

import (
	"strconv"
	"testing"

	"github.com/clickedge/clickedge/store"
	"github.com/clickedge/clickedge/tracker"
)

// TestClickClientIPBracketedIPv6: an IPv6 address written in brackets
// without a port ("[2001:db8::42]", the URI and RFC 7239 form, which some
// proxies also write into X-Forwarded-For, and which nginx's realip reads)
// is an address. It was taken for garbage and skipped, like "unknown": the
// click got the trusted proxy's own address, or, worse, the element to its
// left, which the client wrote itself and can forge.
func TestClickClientIPBracketedIPv6(t *testing.T) {
	e := clickNewEnv(t, store.Async)
	const xff = "X-Forwarded-For"
	rows := []struct {
		name, header, ip string
	}{
		{"alone", "[2001:db8::42]", "2001:db8::42"},
		{"after a client-written element", "203.0.113.9, [2001:db8::42]", "2001:db8::42"},
		{"before a trusted hop", "[2001:db8::42], 10.0.0.2", "2001:db8::42"},
		{"IPv4-mapped", "[::ffff:198.51.100.7]", "198.51.100.7"},
		{"with a port, as before", "203.0.113.9, [2001:db8::42]:443", "2001:db8::42"},
	}
	for i, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			id := "bracket" + strconv.Itoa(i)
			r := e.do(t, clickReq{uri: "/?c=" + clickCampaign + "&click_id=" + id, peer: "10.1.2.3:80", header: []string{xff, row.header}})
			r.check302(t, clickWebURL)
			if got := e.mustGet(t, id)["ip"]; got != row.ip {
				t.Fatalf("X-Forwarded-For %q from a trusted proxy: stored ip %q, want %q", row.header, got, row.ip)
			}
		})
	}

	// anonymize_ip keeps the network of the same form rather than nothing.
	if got := string(tracker.AppendAnonymizedIP(nil, []byte("[2001:db8:85a3:8d3::7]"))); got != "2001:db8:85a3::" {
		t.Errorf("AppendAnonymizedIP([2001:db8:85a3:8d3::7]) = %q, want %q", got, "2001:db8:85a3::")
	}
}
