package tracker

import (
	"net/netip"
	"testing"
)

func TestAppendAnonymizedIP(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"203.0.113.77", "203.0.113.0"},
		{"203.0.113.0", "203.0.113.0"},
		{"10.1.2.3", "10.1.2.0"},
		{"2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::"},
		{"2001:db8::1", "2001:db8::"},
		{"::1", "::"},
		{"::ffff:198.51.100.9", "198.51.100.0"}, // IPv4-mapped: the IPv4 address
		{"203.0.113.7:5100", "203.0.113.0"},     // a port, as some proxies add
		{"[2001:db8:1:2::7]:443", "2001:db8:1::"},
		// Not an address: nothing is kept, since it could be one written
		// some other way.
		{"", ""},
		{"not-an-address", ""},
		{"{ip}", ""},
		{" 203.0.113.7", ""},
		{"203.0.113.7 ", ""},
		{"fe80::1%eth0", ""},
		{"203.000.113.7", ""},
		{"1.2.3.4.5", ""},
		{"999.1.1.1", ""},
	} {
		got := string(AppendAnonymizedIP([]byte("x"), []byte(tt.in)))
		if got != "x"+tt.want {
			t.Errorf("AppendAnonymizedIP(%q) = %q, want %q", tt.in, got[1:], tt.want)
		}
	}
}

func TestAppendAnonymizedIPAllocations(t *testing.T) {
	dst := make([]byte, 0, 64)
	for _, ip := range []string{"203.0.113.77", "2001:db8:85a3:8d3:1319:8a2e:370:7348", "[2001:db8::7]:443", "garbage"} {
		b := []byte(ip)
		if n := testing.AllocsPerRun(100, func() { dst = AppendAnonymizedIP(dst[:0], b) }); n != 0 {
			t.Errorf("%s: %v allocations, want 0", ip, n)
		}
	}
}

// FuzzAnonymizedIP: whatever comes in, what goes out is nothing or a
// network address, the same network as the input's, and anonymising it
// again changes nothing.
func FuzzAnonymizedIP(f *testing.F) {
	for _, s := range []string{"203.0.113.77", "2001:db8:85a3:8d3:1319:8a2e:370:7348", "::ffff:198.51.100.9", "[2001:db8::1]:443", "203.0.113.7:5100", "fe80::1%eth0", "{ip}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := AppendAnonymizedIP(nil, []byte(in))
		if len(out) == 0 {
			return
		}
		a, err := netip.ParseAddr(string(out))
		if err != nil {
			t.Fatalf("%q gives %q, not an address: %v", in, out, err)
		}
		bits := 48
		if a.Is4() {
			bits = 24
		}
		if p, _ := a.Prefix(bits); p.Addr() != a {
			t.Fatalf("%q gives %q, not a /%d network", in, out, bits)
		}
		if again := AppendAnonymizedIP(nil, out); string(again) != string(out) {
			t.Fatalf("%q gives %q, and that gives %q", in, out, again)
		}
		if got := anonymizedIP(in); got != string(out) {
			t.Fatalf("anonymizedIP(%q) = %q, AppendAnonymizedIP %q", in, got, out)
		}
	})
}
