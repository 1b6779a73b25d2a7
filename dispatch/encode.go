package dispatch

import "unicode/utf8"

const upperHex = "0123456789ABCDEF"
const lowerHex = "0123456789abcdef"

// unreserved marks RFC 3986's unreserved set, A-Za-z0-9-._~: the only bytes
// a value keeps as is. Everything else is encoded in path and query alike, so
// a value can never end a path segment, start a query, split a parameter or
// (space as %20, never '+') be read differently by a form decoder.
var unreserved = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['-'], t['.'], t['_'], t['~'] = true, true, true, true
	return t
}()

// AppendURLEncoded appends s with every byte outside the unreserved set as
// %XX (upper-case hex). Runs of unreserved bytes are copied in one append.
// The tracker fills redirect macros with it too, so a value is encoded the
// same way in a postback and in a Location.
func AppendURLEncoded(dst, s []byte) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] {
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, '%', upperHex[c>>4], upperHex[c&0xf])
		start = i + 1
	}
	return append(dst, s[start:]...)
}

// jsonSafe marks the ASCII bytes that appear unescaped inside a JSON string.
// HTML characters (<, >, &) are left alone: a postback body is not a page.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONEscaped appends s escaped as the inside of a JSON string, byte
// for byte what encoding/json writes without HTML escaping: \" \\ \b \f \n
// \r \t, other control bytes as \u00xx, each invalid UTF-8 byte as \ufffd,
// and U+2028/U+2029 escaped because JavaScript parsers reject them raw.
func appendJSONEscaped(dst, s []byte) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', lowerHex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}
