package tracker

import (
	"strings"

	"github.com/clickedge/clickedge/config"
)

// AppendLocation appends the 302 target for a click to dst: appURL as
// configured, except that a Google Play URL gets a referrer parameter. Play
// hands that referrer to the installed app (Install Referrer API), whose SDK
// sends it back with the install: that is how an install finds its click
// exactly.
//
// The referrer's value is the URL-encoding of
// "click_id=<url-encoded click_id>&c=<url-encoded campaign>": itself a query
// string, encoded whole to fit in one parameter, so the click id and the
// campaign are encoded twice and survive any bytes they hold. It is added with '?' or '&' as the
// URL needs, before any #fragment. Encoding passes A-Za-z0-9-._~ and writes
// every other byte as %XX in upper case, as postbacks do.
func AppendLocation(dst []byte, appURL string, clickID, campaign []byte) []byte {
	if !config.IsPlayStoreURL(appURL) {
		return append(dst, appURL...)
	}
	base, fragment := appURL, ""
	if i := strings.IndexByte(appURL, '#'); i >= 0 {
		base, fragment = appURL[:i], appURL[i:]
	}
	dst = append(dst, base...)
	switch {
	case strings.IndexByte(base, '?') < 0:
		dst = append(dst, '?')
	case !strings.HasSuffix(base, "?") && !strings.HasSuffix(base, "&"):
		dst = append(dst, '&')
	}
	dst = append(dst, "referrer=click_id%3D"...)
	dst = appendEscapedTwice(dst, clickID)
	dst = append(dst, "%26c%3D"...)
	dst = appendEscapedTwice(dst, campaign)
	return append(dst, fragment...)
}

const upperHex = "0123456789ABCDEF"

// isUnreserved: the bytes RFC 3986 leaves unencoded everywhere.
func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// appendEscapedTwice appends escape(escape(v)) in one pass: an unreserved
// byte is left alone both times, any other becomes "%XX" and then "%25XX"
// (the hex digits are unreserved and stay).
func appendEscapedTwice(dst, v []byte) []byte {
	for _, c := range v {
		if isUnreserved(c) {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', '2', '5', upperHex[c>>4], upperHex[c&15])
	}
	return dst
}
