package dispatch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// ErrPrivateTarget is wrapped by every refusal of a postback target address.
var ErrPrivateTarget = errors.New("dispatch: postback target address refused (loopback, private or link-local; see allow_private_targets)")

// A postback URL comes from config, but its host is resolved by DNS that the
// partner controls, so the check is made on addresses, at dial time: a name
// that resolves to 127.0.0.1 or to the cloud metadata service
// (169.254.169.254, fd00:ec2::254) must not let a partner reach the edge's
// own network. The contract's list, plus ranges that reach the same places
// by another name.
var (
	cgnat      = netip.MustParsePrefix("100.64.0.0/10")  // carrier-grade NAT, also cloud-internal (100.100.100.200)
	thisNet    = netip.MustParsePrefix("0.0.0.0/8")      // 0.x.x.x dials this host on Linux
	reserved4  = netip.MustParsePrefix("240.0.0.0/4")    // reserved, incl. 255.255.255.255
	nat64      = netip.MustParsePrefix("64:ff9b::/96")   // NAT64: last 32 bits are an IPv4 address
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48") // local-use NAT64 (RFC 8215): the operator's own translator
	sixToFour  = netip.MustParsePrefix("2002::/16")      // 6to4: bits 16..48 are an IPv4 address
	awsIMDSv6  = netip.MustParseAddr("fd00:ec2::254")    // inside fc00::/7 already; named for the reader
	ipv4Compat = netip.MustParsePrefix("::/96")          // deprecated IPv4-compatible, incl. ::, ::1
)

// CheckTarget returns nil when a postback may be sent to ip, else an error
// wrapping ErrPrivateTarget that names the address and why. With
// allowPrivate (tests, the demo sink, an on-premises partner) every valid
// address is allowed. IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as the
// IPv4 address it is.
func CheckTarget(ip netip.Addr, allowPrivate bool) error {
	if !ip.IsValid() {
		return fmt.Errorf("%w: invalid address", ErrPrivateTarget)
	}
	if allowPrivate {
		return nil
	}
	if why := refusal(ip.Unmap().WithZone("")); why != "" {
		return fmt.Errorf("%w: %s is %s", ErrPrivateTarget, ip.Unmap(), why)
	}
	return nil
}

// refusal says why ip may not be a target, or "" when it may.
func refusal(ip netip.Addr) string {
	switch {
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsLoopback():
		return "loopback"
	case ip == awsIMDSv6:
		return "the cloud metadata service"
	case ip.IsPrivate():
		return "private"
	case ip.IsLinkLocalUnicast():
		return "link-local (incl. the cloud metadata service)"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "multicast"
	case cgnat.Contains(ip):
		return "carrier-grade NAT"
	case thisNet.Contains(ip):
		return "this network (0.0.0.0/8)"
	case reserved4.Contains(ip):
		return "reserved or broadcast"
	case ipv4Compat.Contains(ip):
		return "IPv4-compatible IPv6"
	case nat64Local.Contains(ip):
		return "local-use NAT64 (64:ff9b:1::/48)"
	case nat64.Contains(ip):
		b := ip.As16()
		if why := refusal(netip.AddrFrom4([4]byte(b[12:16]))); why != "" {
			return "NAT64 of " + why
		}
	case sixToFour.Contains(ip):
		b := ip.As16()
		if why := refusal(netip.AddrFrom4([4]byte(b[2:6]))); why != "" {
			return "6to4 of " + why
		}
	}
	return ""
}

// Dialer returns the fasthttp dial function for postback clients. It
// resolves the host itself, checks EVERY resolved address with CheckTarget
// and dials only allowed ones, the families interleaved, starting the
// next one when the last fails or has not connected within fallbackDelay
// (Happy Eyeballs, as Go's own dialer does), until one connects. The
// connection goes to the checked address, not the name, so a second DNS
// answer (rebinding) cannot swap a private address in after the check.
// timeout bounds resolution and connecting together, and the time a call
// is given, what is left of its attempt, bounds them further; <= 0 means
// fasthttp.DefaultDialTimeout.
func Dialer(allowPrivate bool, timeout time.Duration) fasthttp.DialFuncWithTimeout {
	if timeout <= 0 {
		timeout = fasthttp.DefaultDialTimeout
	}
	d := &targetDialer{
		allowPrivate: allowPrivate,
		timeout:      timeout,
		lookup:       net.DefaultResolver.LookupNetIP,
		dial:         (&net.Dialer{}).DialContext,
	}
	return d.DialTimeout
}

// targetDialer holds the resolver and dialer as functions so tests can show
// what DNS answers do without touching the network.
type targetDialer struct {
	allowPrivate bool
	timeout      time.Duration
	lookup       func(ctx context.Context, network, host string) ([]netip.Addr, error)
	dial         func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Dial is DialTimeout with the dialer's own timeout.
func (d *targetDialer) Dial(addr string) (net.Conn, error) { return d.DialTimeout(addr, 0) }

// DialTimeout resolves, checks and dials addr within the dialer's timeout,
// or within limit when that is shorter and positive (an attempt's retry
// dials with what is left of the attempt).
func (d *targetDialer) DialTimeout(addr string, limit time.Duration) (net.Conn, error) {
	timeout := d.timeout
	if limit > 0 && limit < timeout {
		timeout = limit
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("cannot dial %q: %w", addr, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("cannot dial %q: bad port", addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else if ips, err = d.lookup(ctx, "ip", host); err != nil {
		return nil, fmt.Errorf("cannot resolve %q: %w", host, err)
	}

	var refused, dialErr error
	allowed := make([]netip.Addr, 0, len(ips))
	for _, ip := range ips {
		// The resolver may answer IPv4 as ::ffff:a.b.c.d; dial it as IPv4.
		ip = ip.Unmap()
		if err := CheckTarget(ip, d.allowPrivate); err != nil {
			if refused == nil {
				refused = err
			}
			continue
		}
		allowed = append(allowed, ip)
	}
	if len(allowed) > 0 {
		conn, err := d.race(ctx, interleaveFamilies(allowed), uint16(port))
		if err == nil {
			return conn, nil
		}
		dialErr = err
	}
	switch {
	case dialErr != nil:
		return nil, fmt.Errorf("cannot dial %s: %w", addr, dialErr)
	case refused != nil:
		return nil, fmt.Errorf("cannot dial %s: %w", addr, refused)
	}
	return nil, fmt.Errorf("cannot dial %s: %q resolved to no addresses", addr, host)
}

// fallbackDelay is how long a connection attempt to one address runs alone
// before the next address is tried beside it: RFC 8305's connection
// attempt delay (Go's own dialer waits 300 ms).
const fallbackDelay = 250 * time.Millisecond

// race dials ips in order, starting the next one when the last fails or
// has not connected within fallbackDelay, and returns the first connection
// (closing any later one). Dialed one after another, each with the whole
// timeout, an address that drops SYNs (a partner's firewall that filters
// IPv6, a broken route) took all of it, and the next, working address was
// never tried: every postback to that partner failed
// (TestDialerFallsBackFromUnansweredIPv6).
func (d *targetDialer) race(ctx context.Context, ips []netip.Addr, port uint16) (net.Conn, error) {
	if len(ips) == 1 {
		return d.dial(ctx, "tcp", netip.AddrPortFrom(ips[0], port).String())
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type dialed struct {
		conn net.Conn
		err  error
	}
	results := make(chan dialed, len(ips))
	next, running := 0, 0
	startNext := func() {
		addr := netip.AddrPortFrom(ips[next], port).String()
		next++
		running++
		go func() {
			conn, err := d.dial(ctx, "tcp", addr)
			results <- dialed{conn, err}
		}()
	}
	startNext()
	fallback := time.NewTimer(fallbackDelay)
	defer fallback.Stop()
	var first error
	for running > 0 {
		select {
		case r := <-results:
			running--
			if r.err == nil {
				cancel()
				for ; running > 0; running-- {
					if late := <-results; late.conn != nil {
						late.conn.Close()
					}
				}
				return r.conn, nil
			}
			if first == nil {
				first = r.err
			}
			if next < len(ips) && ctx.Err() == nil {
				startNext()
				fallback.Reset(fallbackDelay)
			}
		case <-fallback.C:
			if next < len(ips) {
				startNext()
				fallback.Reset(fallbackDelay)
			}
		}
	}
	return nil, first
}

// interleaveFamilies orders addresses so that the families alternate,
// starting with the resolver's first (RFC 8305 section 4): a dead IPv6
// path then costs one fallbackDelay, not one per IPv6 address.
func interleaveFamilies(ips []netip.Addr) []netip.Addr {
	var same, other []netip.Addr
	for _, ip := range ips {
		if ip.Is4() == ips[0].Is4() {
			same = append(same, ip)
		} else {
			other = append(other, ip)
		}
	}
	if len(other) == 0 {
		return ips
	}
	out := make([]netip.Addr, 0, len(ips))
	for len(same)+len(other) > 0 {
		if len(same) > 0 {
			out, same = append(out, same[0]), same[1:]
		}
		if len(other) > 0 {
			out, other = append(out, other[0]), other[1:]
		}
	}
	return out
}
