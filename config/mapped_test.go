package config

import (
	"net/netip"
	"testing"
)

// TestMappedTrustedProxies: a trusted proxy written in IPv4-mapped form,
// address or CIDR, matches the IPv4 peer a dual-stack listener reports (the
// tracker unmaps peers). The CIDR form was kept mapped and never matched;
// one wider than the mapped range (under /96) cannot be an IPv4 network
// and is refused. Found by an audit.
func TestMappedTrustedProxies(t *testing.T) {
	peer := netip.MustParseAddr("10.0.0.5")
	for _, s := range []string{"::ffff:10.0.0.5", "::ffff:10.0.0.0/104", "::ffff:10.0.0.5/128"} {
		c, err := Parse("x.yaml", []byte("trusted_proxies: [\""+s+"\"]\n"), nil)
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		if !c.TrustedProxies[0].Contains(peer) {
			t.Errorf("trusted_proxies [%q] read as %v, which does not contain the peer %v", s, c.TrustedProxies[0], peer)
		}
	}
	if _, err := Parse("x.yaml", []byte(`trusted_proxies: ["::ffff:0.0.0.0/64"]`+"\n"), nil); err == nil {
		t.Error("::ffff:0.0.0.0/64 accepted")
	}
}
