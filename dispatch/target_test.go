package dispatch

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

func TestCheckTarget(t *testing.T) {
	f := func(addr string, refused bool) {
		t.Helper()
		ip := netip.MustParseAddr(addr)
		err := CheckTarget(ip, false)
		if refused != (err != nil) {
			t.Errorf("CheckTarget(%s) = %v; want refused=%v", addr, err, refused)
		}
		if err != nil && !errors.Is(err, ErrPrivateTarget) {
			t.Errorf("CheckTarget(%s) = %v; does not wrap ErrPrivateTarget", addr, err)
		}
		if err := CheckTarget(ip, true); err != nil {
			t.Errorf("CheckTarget(%s, allowPrivate) = %v", addr, err)
		}
	}
	// Loopback.
	f("127.0.0.1", true)
	f("127.255.255.254", true)
	f("::1", true)
	// Private: RFC 1918 and fc00::/7.
	f("10.0.0.1", true)
	f("10.255.255.255", true)
	f("172.16.0.1", true)
	f("172.31.255.255", true)
	f("192.168.1.1", true)
	f("fc00::1", true)
	f("fd12:3456::1", true)
	// Link-local, the cloud metadata services among them.
	f("169.254.169.254", true)
	f("169.254.0.1", true)
	f("fe80::1", true)
	f("fe80::1%eth0", true)
	f("fd00:ec2::254", true)
	// Unspecified, multicast, CGNAT, this-network, reserved, broadcast.
	f("0.0.0.0", true)
	f("::", true)
	f("0.1.2.3", true)
	f("224.0.0.1", true)
	f("239.255.255.250", true)
	f("ff02::1", true)
	f("ff05::2", true)
	f("100.64.0.1", true)
	f("100.100.100.200", true)
	f("100.127.255.255", true)
	f("240.0.0.1", true)
	f("255.255.255.255", true)
	// The same places by another name.
	f("::ffff:127.0.0.1", true)
	f("::ffff:169.254.169.254", true)
	f("::ffff:10.0.0.1", true)
	f("::ffff:0.0.0.0", true)
	f("::127.0.0.1", true)
	f("64:ff9b::7f00:1", true)    // NAT64 of 127.0.0.1
	f("64:ff9b::a9fe:a9fe", true) // NAT64 of 169.254.169.254
	f("2002:a00:1::1", true)      // 6to4 of 10.0.0.1
	// Public addresses, including the neighbours of refused ranges.
	f("93.184.215.14", false)
	f("1.1.1.1", false)
	f("9.255.255.255", false)
	f("11.0.0.0", false)
	f("100.63.255.255", false)
	f("100.128.0.0", false)
	f("172.15.255.255", false)
	f("172.32.0.0", false)
	f("192.167.255.255", false)
	f("192.169.0.0", false)
	f("169.253.255.255", false)
	f("203.0.113.10", false)
	f("223.255.255.255", false)
	f("::ffff:8.8.8.8", false)
	f("2606:4700:4700::1111", false)
	f("64:ff9b::808:808", false) // NAT64 of 8.8.8.8
	f("2002:808:808::1", false)  // 6to4 of 8.8.8.8
	f("fbff:ffff::1", false)
	f("fe00::1", false) // just outside fc00::/7 and fe80::/10 (unassigned, not private)

	// The zero Addr is refused even with allowPrivate.
	for _, allow := range []bool{false, true} {
		if err := CheckTarget(netip.Addr{}, allow); !errors.Is(err, ErrPrivateTarget) {
			t.Errorf("CheckTarget(zero, %v) = %v", allow, err)
		}
	}
}

// listen starts a TCP listener on 127.0.0.1 that answers each connection
// with "ok" and reports how many it accepted.
func listen(t *testing.T) (port string, accepted func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	n := make(chan int, 1)
	n <- 0
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n <- <-n + 1
			c.Write([]byte("ok"))
			c.Close()
		}
	}()
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	return port, func() int { v := <-n; n <- v; return v }
}

func TestDialerRefusesLoopback(t *testing.T) {
	port, accepted := listen(t)
	dial := Dialer(false, time.Second)
	for _, host := range []string{"127.0.0.1", "localhost", "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0"} {
		addr := host + ":" + port
		if host[0] != '[' {
			addr = net.JoinHostPort(host, port)
		}
		c, err := dial(addr, 0)
		if err == nil {
			c.Close()
			t.Errorf("Dial(%s) connected; want refusal", addr)
			continue
		}
		if !errors.Is(err, ErrPrivateTarget) {
			t.Errorf("Dial(%s) = %v; want ErrPrivateTarget", addr, err)
		}
	}
	if n := accepted(); n != 0 {
		t.Errorf("listener accepted %d connections; want 0", n)
	}
}

func TestDialerAllowPrivate(t *testing.T) {
	port, _ := listen(t)
	dial := Dialer(true, time.Second)
	// localhost may resolve to ::1 first, where nothing listens: the dialer
	// goes on to the next address.
	for _, host := range []string{"127.0.0.1", "localhost"} {
		c, err := dial(net.JoinHostPort(host, port), 0)
		if err != nil {
			t.Fatalf("Dial(%s) with allowPrivate: %v", host, err)
		}
		c.SetDeadline(time.Now().Add(time.Second))
		b, err := io.ReadAll(c)
		c.Close()
		if err != nil || string(b) != "ok" {
			t.Errorf("read %q, %v; want ok", b, err)
		}
	}
}

// fakeDialer resolves from a table and records dials, touching no network.
func fakeDialer(allowPrivate bool, answers []netip.Addr, refuse map[string]bool) (*targetDialer, *[]string) {
	var dialled []string
	return &targetDialer{
		allowPrivate: allowPrivate,
		timeout:      time.Second,
		lookup: func(ctx context.Context, network, host string) ([]netip.Addr, error) {
			if host == "nx.example" {
				return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
			}
			return answers, nil
		},
		dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dialled = append(dialled, addr)
			if refuse[addr] {
				return nil, errors.New("connection refused")
			}
			c, s := net.Pipe()
			s.Close()
			return c, nil
		},
	}, &dialled
}

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func TestDialerChecksEveryResolvedAddress(t *testing.T) {
	// DNS answering only private addresses: nothing is dialled.
	d, dialled := fakeDialer(false, addrs("10.0.0.1", "169.254.169.254", "::1", "::ffff:127.0.0.1"), nil)
	if _, err := d.Dial("pb.partner.example:443"); !errors.Is(err, ErrPrivateTarget) {
		t.Errorf("all-private answer: err = %v; want ErrPrivateTarget", err)
	}
	if len(*dialled) != 0 {
		t.Errorf("dialled %v; want nothing", *dialled)
	}

	// Mixed answer: private addresses are skipped, the first allowed one is
	// dialled by address, never by name.
	d, dialled = fakeDialer(false, addrs("10.0.0.1", "192.0.2.10", "198.51.100.7"), nil)
	c, err := d.Dial("pb.partner.example:443")
	if err != nil {
		t.Fatalf("mixed answer: %v", err)
	}
	c.Close()
	if want := []string{"192.0.2.10:443"}; len(*dialled) != 1 || (*dialled)[0] != want[0] {
		t.Errorf("dialled %v; want %v", *dialled, want)
	}

	// IPv4 answered as IPv4-mapped IPv6 is dialled as IPv4.
	d, dialled = fakeDialer(false, addrs("::ffff:192.0.2.10"), nil)
	if c, err = d.Dial("pb.partner.example:443"); err != nil {
		t.Fatalf("4in6 answer: %v", err)
	}
	c.Close()
	if got := *dialled; len(got) != 1 || got[0] != "192.0.2.10:443" {
		t.Errorf("dialled %v; want [192.0.2.10:443]", got)
	}

	// A failing allowed address: the next allowed one is tried.
	d, dialled = fakeDialer(false, addrs("192.0.2.10", "127.0.0.1", "2001:db8::5"), map[string]bool{"192.0.2.10:80": true})
	if c, err = d.Dial("pb.partner.example:80"); err != nil {
		t.Fatalf("failover: %v", err)
	}
	c.Close()
	if got := *dialled; len(got) != 2 || got[1] != "[2001:db8::5]:80" {
		t.Errorf("dialled %v; want 192.0.2.10:80 then [2001:db8::5]:80", got)
	}

	// All allowed addresses failing: the dial error, not a refusal.
	d, _ = fakeDialer(false, addrs("192.0.2.10", "10.0.0.1"), map[string]bool{"192.0.2.10:80": true})
	if _, err = d.Dial("pb.partner.example:80"); err == nil || errors.Is(err, ErrPrivateTarget) {
		t.Errorf("dial failure: err = %v; want a dial error", err)
	}

	// allowPrivate dials private answers.
	d, dialled = fakeDialer(true, addrs("10.0.0.1"), nil)
	if c, err = d.Dial("pb.internal:8080"); err != nil {
		t.Fatalf("allowPrivate: %v", err)
	}
	c.Close()
	if got := *dialled; len(got) != 1 || got[0] != "10.0.0.1:8080" {
		t.Errorf("dialled %v", got)
	}

	// Resolution errors, empty answers and bad addresses.
	d, _ = fakeDialer(false, nil, nil)
	var dnsErr *net.DNSError
	if _, err = d.Dial("nx.example:80"); !errors.As(err, &dnsErr) {
		t.Errorf("NXDOMAIN: err = %v; want a *net.DNSError inside", err)
	}
	if _, err = d.Dial("empty.example:80"); err == nil {
		t.Error("empty answer: no error")
	}
	for _, addr := range []string{"no-port.example", "x.example:http", "x.example:70000", ""} {
		if _, err = d.Dial(addr); err == nil {
			t.Errorf("Dial(%q): no error", addr)
		}
	}
}

func TestDialerTimeoutDefault(t *testing.T) {
	port, _ := listen(t)
	c, err := Dialer(true, 0)("127.0.0.1:"+port, 0)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}
