package tracker

// IP anonymisation (the extension key anonymize_ip).
//
// Users of peers ask for it: an IP address is personal data, and an edge
// keeps clicks for weeks. With anonymize_ip on, every address is cut to its
// network as soon as it is read, before anything stores, matches or posts
// it: the stored click and install, the fingerprint index, replication and
// the {ip} macro all see only the network. Fingerprint matching (rule 3)
// then compares networks, which is coarser: two devices of one model on
// one /24 are one fingerprint.
//
// The network is the /24 of an IPv4 address (as Google Analytics and most
// web analytics cut it) and the /48 of an IPv6 address (a site's prefix:
// the /64 alone would still single out one household's LAN).

import "unsafe"

const (
	anonymizedIPv4Bits = 24
	anonymizedIPv6Bits = 48
)

// AppendAnonymizedIP appends the network of the address ip holds to dst:
// its /24 when it is an IPv4 address (IPv4-mapped IPv6 included), its /48
// when it is an IPv6 address, written as an address ("203.0.113.0",
// "2001:db8:85a3::"). An address may carry a port ("203.0.113.7:5100",
// "[2001:db8::1]:443"). Anything else appends nothing: it may be an
// address written some other way, and keeping it would keep the address.
func AppendAnonymizedIP(dst, ip []byte) []byte {
	a, ok := parseForwardedAddr(ip)
	if !ok {
		return dst
	}
	bits := anonymizedIPv6Bits
	if a.Is4() {
		bits = anonymizedIPv4Bits
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return dst
	}
	return p.Addr().AppendTo(dst)
}

// anonymizedIP is AppendAnonymizedIP for a conversion's field.
func anonymizedIP(ip string) string {
	var buf [64]byte
	b := AppendAnonymizedIP(buf[:0], unsafe.Slice(unsafe.StringData(ip), len(ip)))
	if string(b) == ip {
		return ip
	}
	return string(b)
}

// AnonymizeIP replaces Click.IP with its network (AppendAnonymizedIP), or
// with nothing when it is not an address.
func (in *ClickInput) AnonymizeIP() {
	if in.Click.IP == nil {
		return
	}
	start := len(in.scratch)
	in.scratch = AppendAnonymizedIP(in.scratch, in.Click.IP)
	if end := len(in.scratch); end > start {
		in.Click.IP = in.scratch[start:end:end]
	} else {
		in.Click.IP = nil
	}
}
