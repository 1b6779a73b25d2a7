package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"unsafe"
)

// clickVersion is the first byte of every click record. A reader refuses a
// version it does not know rather than guess at its layout.
const clickVersion = 1

// Forms of the compact fields. Advertising ids are nearly always UUIDs and
// IPs nearly always parse, so they are kept in their binary form when that
// gives back the exact text received, and as text otherwise.
const (
	formAbsent    = 0
	formText      = 1
	formUUIDLower = 2
	formUUIDUpper = 3
	formIPv4      = 4
	formIPv6      = 5
	formUAHash    = 6
)

// Optional fields follow a record's first-version fields, each as its tag
// and a non-empty text, in increasing tag order, and only when set: a
// record without them is byte for byte what the first version wrote. A
// reader skips a tag it does not know, so a field added later does not stop
// an older edge (a region not upgraded yet) from reading the record.
const (
	optDeepLink     = 1 // Click.DeepLink, Install.DeepLink
	optViewLookback = 2 // Click.ViewLookback, as a uvarint
)

// appendOptional appends optional field tag with value v, when v is set.
func appendOptional(dst []byte, tag byte, v []byte) []byte {
	if len(v) == 0 {
		return dst
	}
	return appendText(append(dst, tag), v)
}

// nextOptional reads the next optional field, if any is left; last is the
// tag read before (0 at first). Tags must increase and values must not be
// empty, so that every record has one encoding.
func (d *decoder) nextOptional(last *byte) (tag byte, v []byte, ok bool) {
	if len(d.b) == 0 || d.err {
		return 0, nil, false
	}
	tag = d.byte()
	v = d.text()
	if tag <= *last || len(v) == 0 {
		d.fail()
		return 0, nil, false
	}
	*last = tag
	return tag, v, true
}

// ErrCorrupt is returned for a record that cannot be decoded.
var ErrCorrupt = errors.New("store: corrupt record")

// appendClickValue encodes c, without its click_id (the key holds it) and
// with its user agent as uaHash (the 'u' key holds the text; 0: no user
// agent). It allocates nothing when dst has room.
func appendClickValue(dst []byte, c *Click, uaHash uint64) []byte {
	dst = append(dst, clickVersion)
	dst = binary.AppendUvarint(dst, uint64(c.Flags))
	dst = binary.AppendUvarint(dst, uint64(c.Time))
	dst = append(dst, byte(c.Platform))
	dst = appendText(dst, c.Campaign)
	dst = appendText(dst, c.App)
	dst = appendText(dst, c.OSVersion)
	dst = appendText(dst, c.AffID)
	dst = appendText(dst, c.PubID)
	dst = appendText(dst, c.OfferID)
	dst = appendText(dst, c.CreativeID)
	for i := range c.Sub {
		dst = appendText(dst, c.Sub[i])
	}
	dst = appendDevice(dst, c.GAID)
	dst = appendDevice(dst, c.IDFA)
	dst = appendDevice(dst, c.OAID)
	dst = appendIP(dst, c.IP)
	if uaHash == 0 {
		dst = append(dst, formAbsent)
	} else {
		dst = append(dst, formUAHash)
		dst = binary.BigEndian.AppendUint64(dst, uaHash)
	}
	dst = appendText(dst, c.Country)
	dst = appendOptional(dst, optDeepLink, c.DeepLink)
	if c.ViewLookback > 0 {
		var v [binary.MaxVarintLen64]byte
		dst = appendOptional(dst, optViewLookback, binary.AppendUvarint(v[:0], uint64(c.ViewLookback)))
	}
	return dst
}

func appendText(dst, v []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(v)))
	return append(dst, v...)
}

func appendDevice(dst, id []byte) []byte {
	if len(id) == 0 {
		return append(dst, formAbsent)
	}
	var u [16]byte
	if parseUUID(id, &u) {
		switch lower, upper := uuidCase(id); {
		case lower:
			return append(append(dst, formUUIDLower), u[:]...)
		case upper:
			return append(append(dst, formUUIDUpper), u[:]...)
		}
	}
	return appendText(append(dst, formText), id)
}

func appendIP(dst, ip []byte) []byte {
	if len(ip) == 0 {
		return append(dst, formAbsent)
	}
	// A zone ("fe80::1%eth0") would make ParseAddr keep the string, which
	// aliases the caller's buffer; such a rare address is stored as text.
	if bytes.IndexByte(ip, '%') >= 0 {
		return appendText(append(dst, formText), ip)
	}
	if a, err := netip.ParseAddr(b2s(ip)); err == nil && ipTextEqual(a, ip) {
		if a.Is4() {
			b := a.As4()
			return append(append(dst, formIPv4), b[:]...)
		}
		b := a.As16()
		return append(append(dst, formIPv6), b[:]...)
	}
	return appendText(append(dst, formText), ip)
}

// clickFlags reads the flags of an encoded click record.
func clickFlags(val []byte) (ClickFlags, bool) {
	if len(val) < 2 || val[0] != clickVersion {
		return 0, false
	}
	f, n := binary.Uvarint(val[1:])
	return ClickFlags(f), n > 0
}

// decodeClick fills c from a record. Text fields alias val; the expanded
// forms (UUIDs, IPs) are appended to buf, whose new extent is returned, so
// the caller keeps both alive as long as c. It returns the user agent's hash.
func decodeClick(val []byte, c *Click, buf []byte) (_ []byte, uaHash uint64, err error) {
	d := decoder{b: val}
	if v := d.byte(); v != clickVersion || d.err {
		return buf, 0, fmt.Errorf("%w: click version %d of %d-byte record", ErrCorrupt, v, len(val))
	}
	c.Flags = ClickFlags(d.uvarint())
	c.Time = int64(d.uvarint())
	c.Platform = Platform(d.byte())
	c.Campaign = d.text()
	c.App = d.text()
	c.OSVersion = d.text()
	c.AffID = d.text()
	c.PubID = d.text()
	c.OfferID = d.text()
	c.CreativeID = d.text()
	for i := range c.Sub {
		c.Sub[i] = d.text()
	}
	// Expansions go to buf; slices into buf are taken only after every
	// append, so a growing buf never leaves an earlier field dangling.
	var spans [4][2]int
	for i := range 4 {
		start := len(buf)
		var raw []byte
		if i < 3 {
			buf, raw = d.device(buf)
		} else {
			buf, raw = d.ip(buf)
		}
		if raw != nil {
			spans[i] = [2]int{-1, 0}
			switch i {
			case 0:
				c.GAID = raw
			case 1:
				c.IDFA = raw
			case 2:
				c.OAID = raw
			case 3:
				c.IP = raw
			}
			continue
		}
		spans[i] = [2]int{start, len(buf)}
	}
	for i, sp := range spans {
		if sp[0] < 0 {
			continue
		}
		var v []byte
		if sp[1] > sp[0] {
			v = buf[sp[0]:sp[1]:sp[1]]
		}
		switch i {
		case 0:
			c.GAID = v
		case 1:
			c.IDFA = v
		case 2:
			c.OAID = v
		case 3:
			c.IP = v
		}
	}
	switch d.byte() {
	case formAbsent:
	case formUAHash:
		uaHash = d.uint64()
	default:
		d.fail()
	}
	c.UserAgent = nil
	c.Country = d.text()
	c.DeepLink, c.ViewLookback = nil, 0
	for last := byte(0); ; {
		tag, v, ok := d.nextOptional(&last)
		if !ok {
			break
		}
		switch tag {
		case optDeepLink:
			c.DeepLink = v
		case optViewLookback:
			n, k := binary.Uvarint(v)
			if k != len(v) || n == 0 || n > 1<<62 {
				d.fail()
			}
			c.ViewLookback = int64(n)
		}
	}
	if d.err || len(d.b) != 0 {
		return buf, 0, fmt.Errorf("%w: click record", ErrCorrupt)
	}
	return buf, uaHash, nil
}

// decoder reads a record front to back; the first short read sets err and
// every later read returns zero values, so callers check once at the end.
type decoder struct {
	b   []byte
	err bool
}

func (d *decoder) fail() { d.err, d.b = true, nil }

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uint64() uint64 {
	if len(d.b) < 8 {
		d.fail()
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) fixed(n int) []byte {
	if len(d.b) < n {
		d.fail()
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) text() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	if n == 0 {
		return nil
	}
	return d.fixed(int(n))
}

// device returns either buf with the expanded UUID appended, or raw text
// aliasing the record.
func (d *decoder) device(buf []byte) ([]byte, []byte) {
	switch d.byte() {
	case formAbsent:
		return buf, nil
	case formText:
		return buf, d.text()
	case formUUIDLower:
		return appendUUID(buf, d.fixed(16), lowerHex), nil
	case formUUIDUpper:
		return appendUUID(buf, d.fixed(16), upperHex), nil
	}
	d.fail()
	return buf, nil
}

func (d *decoder) ip(buf []byte) ([]byte, []byte) {
	switch d.byte() {
	case formAbsent:
		return buf, nil
	case formText:
		return buf, d.text()
	case formIPv4:
		if b := d.fixed(4); b != nil {
			return netip.AddrFrom4([4]byte(b)).AppendTo(buf), nil
		}
		return buf, nil
	case formIPv6:
		if b := d.fixed(16); b != nil {
			return netip.AddrFrom16([16]byte(b)).AppendTo(buf), nil
		}
		return buf, nil
	}
	d.fail()
	return buf, nil
}

const (
	lowerHex = "0123456789abcdef"
	upperHex = "0123456789ABCDEF"
)

func appendUUID(dst, u []byte, hex string) []byte {
	if len(u) != 16 {
		return dst
	}
	for i, b := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hex[b>>4], hex[b&15])
	}
	return dst
}

// b2s converts without copying; s must not outlive b or be kept.
func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// ipTextEqual reports whether a prints exactly as text, without allocating.
func ipTextEqual(a netip.Addr, text []byte) bool {
	var buf [64]byte
	return bytes.Equal(a.AppendTo(buf[:0]), text)
}
