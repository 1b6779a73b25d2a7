package tracker

import (
	"net/netip"
	"testing"
)

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

var testTrusted = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("192.0.2.1/32"),
	netip.MustParsePrefix("2001:db8:cafe::/48"),
}

func TestClientIP(t *testing.T) {
	f := func(name, peer, header, want string) {
		t.Helper()
		var p netip.Addr
		if peer != "" {
			p = mustAddr(peer)
		}
		got := ClientIP(p, []byte(header), testTrusted, []byte("ip="))
		if string(got) != "ip="+want {
			t.Errorf("%s: ClientIP(%s, %q) = %q, want %q", name, peer, header, got[3:], want)
		}
	}
	f("no header", "203.0.113.9", "", "203.0.113.9")
	f("untrusted peer: header ignored", "203.0.113.9", "198.51.100.7", "203.0.113.9")
	f("untrusted peer next to a trusted one", "192.0.2.2", "198.51.100.7", "192.0.2.2")
	f("trusted peer", "10.0.0.1", "198.51.100.7", "198.51.100.7")
	f("trusted peer, no header", "10.0.0.1", "", "10.0.0.1")
	f("trusted peer, blank header", "10.0.0.1", " , ", "10.0.0.1")
	f("chain: spoofed left part ignored", "10.0.0.1", "1.1.1.1, 198.51.100.7, 10.0.0.2", "198.51.100.7")
	f("chain without spaces", "10.0.0.1", "1.1.1.1,198.51.100.7,192.0.2.1", "198.51.100.7")
	f("chain of trusted only: leftmost", "10.0.0.1", "10.0.0.5, 10.0.0.2", "10.0.0.5")
	f("garbage skipped", "10.0.0.1", "198.51.100.7, garbage, <script>", "198.51.100.7")
	f("garbage on the right skipped", "10.0.0.1", "198.51.100.7, unknown", "198.51.100.7")
	f("garbage only", "10.0.0.1", "unknown, , 1.2.3", "10.0.0.1")
	f("overlong element", "10.0.0.1", "198.51.100.7, 1111111111111111111111111111111111111111111111111111111111111111111", "198.51.100.7")
	f("port", "10.0.0.1", "198.51.100.7:5100", "198.51.100.7")
	f("bad port", "10.0.0.1", "203.0.113.5, 198.51.100.7:99999", "203.0.113.5")
	f("IPv6 with port", "10.0.0.1", "[2001:db8::1]:443", "2001:db8::1")
	f("IPv6", "2001:db8:cafe::1", "2001:db8::42", "2001:db8::42")
	f("IPv6 chain", "2001:db8:cafe::1", "2001:db8::42, 2001:db8:cafe::9", "2001:db8::42")
	f("IPv6 untrusted peer", "2001:db8::1", "198.51.100.7", "2001:db8::1")
	f("IPv4-mapped peer and element", "::ffff:10.0.0.1", "::ffff:198.51.100.7", "198.51.100.7")
	f("zone refused", "10.0.0.1", "198.51.100.7, fe80::1%eth0", "198.51.100.7")
	f("upper-case IPv6", "10.0.0.1", "2001:DB8::AB", "2001:db8::ab")
	f("invalid peer", "", "198.51.100.7", "")

	if got := ClientIP(mustAddr("10.0.0.1"), []byte("198.51.100.7"), nil, nil); string(got) != "10.0.0.1" {
		t.Errorf("no trusted proxies: %q", got)
	}
}
