package tracker

import (
	"bytes"
	"net/netip"
	"unsafe"
)

// maxForwardedAddr is longer than any address netip writes or reads with a
// port ("[ffff:…:255.255.255.255]:65535"); longer list elements are garbage.
const maxForwardedAddr = 64

// ClientIP appends the client's textual address to dst (CONTRACT §3; the
// `ip` parameter, which comes first, is Parse's business).
//
// header is the configured X-Forwarded-For style list. It is believed only
// when peer, the address the connection came from, is in trusted: anyone else
// can write anything there. The list is walked from the right, because each
// proxy appends the address it saw and only the right end was written by
// proxies we trust: trusted addresses are skipped, elements that are not an
// address (garbage, a zone) are skipped, and the first untrusted address is
// the client. When every address in it is trusted, the request came from
// inside the trusted network and the leftmost one is the client, as nginx's
// real_ip_recursive decides. With no usable address, peer it is.
//
// IPv4-mapped IPv6 addresses are written as IPv4. Elements may carry a port
// ("203.0.113.7:5100", "[2001:db8::1]:443"), as some load balancers add.
// An invalid peer with nothing believable in the header appends nothing.
func ClientIP(peer netip.Addr, header []byte, trusted []netip.Prefix, dst []byte) []byte {
	return ClientIPLines(peer, [][]byte{header}, trusted, dst)
}

// ClientIPLines is ClientIP for a header that came on several lines, given
// in the order received. They are one list (RFC 9110 §5.3), read from the
// right as ClientIP reads one line: the last line is the one the nearest
// proxy wrote, and a proxy that adds a line of its own instead of extending
// the existing one (HAProxy's forwardfor) leaves the client's forgery first.
func ClientIPLines(peer netip.Addr, lines [][]byte, trusted []netip.Prefix, dst []byte) []byte {
	peer = peer.Unmap().WithZone("")
	if len(lines) == 0 || !isTrusted(peer, trusted) {
		return appendAddr(dst, peer)
	}
	var leftmost netip.Addr
	for l := len(lines) - 1; l >= 0; l-- {
		rest := lines[l]
		for len(rest) > 0 {
			elem := rest
			if i := bytes.LastIndexByte(rest, ','); i >= 0 {
				elem, rest = rest[i+1:], rest[:i]
			} else {
				rest = nil
			}
			addr, ok := parseForwardedAddr(bytes.TrimSpace(elem))
			if !ok {
				continue
			}
			if !isTrusted(addr, trusted) {
				return appendAddr(dst, addr)
			}
			leftmost = addr
		}
	}
	if leftmost.IsValid() {
		return appendAddr(dst, leftmost)
	}
	return appendAddr(dst, peer)
}

func appendAddr(dst []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return dst
	}
	return a.AppendTo(dst)
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseForwardedAddr reads one list element: an address, optionally with a
// port. A zone ("fe80::1%eth0") is refused by isAddrText: it means nothing
// off the proxy's own host.
func parseForwardedAddr(b []byte) (netip.Addr, bool) {
	if len(b) == 0 || len(b) > maxForwardedAddr || !isAddrText(b) {
		// Checked first because netip's parse errors allocate, and most
		// garbage is caught here.
		return netip.Addr{}, false
	}
	// netip keeps no reference to its input, so reading the header's bytes
	// in place is safe.
	s := unsafe.String(unsafe.SliceData(b), len(b))
	var a netip.Addr
	if n := len(s); s[0] == '[' && s[n-1] == ']' {
		// "[2001:db8::1]": an IPv6 address in brackets, without a port
		// (the URI and RFC 7239 form).
		var err error
		if a, err = netip.ParseAddr(s[1 : n-1]); err != nil || !a.Is6() {
			return netip.Addr{}, false
		}
	} else if b[0] == '[' || bytes.Count(b, []byte(":")) == 1 {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	} else {
		var err error
		if a, err = netip.ParseAddr(s); err != nil {
			return netip.Addr{}, false
		}
	}
	return a.Unmap(), true
}

// isAddrText reports whether b holds only what an address with a port can:
// hex digits, '.', ':', '[' and ']'.
func isAddrText(b []byte) bool {
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		case c == '.', c == ':', c == '[', c == ']':
		default:
			return false
		}
	}
	return true
}
