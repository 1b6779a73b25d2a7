package tracker

import (
	"strings"
	"unicode/utf8"
)

// ClickIDFromReferrer returns the click_id inside a Google Play install
// referrer, or "" when there is none.
//
// The click edge sends the store a referrer= parameter whose value is the
// URL-encoding of "click_id=<url-encoded click_id>&c=<campaign>". Play hands
// the app that value decoded once, "click_id=a1b2%20c3&c=demo", and the app
// should forward it as is: the click_id is then its query parameter, decoded.
// Some apps forward it still encoded, "click_id%3Da1b2%2520c3%26c%3Ddemo";
// when the first reading finds no click_id, the referrer is decoded once more
// and read again. Decoding is lenient (a stray '%' stays as it is); the first
// click_id wins; an empty or not-UTF-8 click_id is none.
func ClickIDFromReferrer(ref string) string {
	if id, ok := convReferrerParam(ref); ok {
		return id
	}
	if strings.IndexByte(ref, '%') >= 0 {
		if id, ok := convReferrerParam(convUnescapeLenient(ref)); ok {
			return id
		}
	}
	return ""
}

// convReferrerParam finds the first click_id=value pair of a query string.
// ok is false when there is no such key; an empty value gives "", true, so
// that "click_id=&..." is not read a second time as encoded.
func convReferrerParam(q string) (string, bool) {
	for q != "" {
		pair := q
		if i := strings.IndexByte(q, '&'); i >= 0 {
			pair, q = q[:i], q[i+1:]
		} else {
			q = ""
		}
		k, v, _ := strings.Cut(pair, "=")
		if k != "click_id" && convUnescapeLenient(k) != "click_id" {
			continue
		}
		v = convUnescapeLenient(v)
		if !utf8.ValidString(v) {
			return "", true
		}
		return v, true
	}
	return "", false
}

// convUnescapeLenient URL-decodes s once ('+' is a space), leaving a '%' that
// is not followed by two hex digits as it is. It returns s itself when there
// is nothing to decode.
func convUnescapeLenient(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '+':
			c = ' '
		case '%':
			if i+2 < len(s) {
				h, ok1 := convUnhex(s[i+1])
				l, ok2 := convUnhex(s[i+2])
				if ok1 && ok2 {
					c = h<<4 | l
					i += 2
				}
			}
		}
		b = append(b, c)
	}
	return string(b)
}
