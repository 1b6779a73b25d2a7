package tracker

import (
	"bytes"
	"strings"

	"github.com/clickedge/clickedge/config"
	"github.com/clickedge/clickedge/dispatch"
	"github.com/clickedge/clickedge/store"
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

// AppendAppURL appends appURL to dst with its redirect macros filled in
// from c (an extension; campaignName is the campaign's configured name).
//
// A web landing page needs the click's id to send it back with the
// conversion it reports later, as a Play install gets it through the
// referrer; trackers let the destination URL name it. So an app URL may
// hold macros, written and filled in as in postback templates: {name}
// with name in [a-z0-9_]+, the value percent-encoded (every byte outside
// A-Za-z0-9-._~), empty when the click has none, one pass, and anything
// else, unknown {…} included, left byte for byte. The macros are the
// click's own: click_id (tid), campaign_id, campaign_name, aff_id,
// pub_id, offer_id, creative_id, sub1..sub5 (s2..s4), platform and
// country. Device ids and the IP are not handed to a landing page.
// A URL without '{' is appended as it is.
func AppendAppURL(dst []byte, appURL string, c *store.Click, campaignName string) []byte {
	for {
		open := strings.IndexByte(appURL, '{')
		if open < 0 {
			return append(dst, appURL...)
		}
		dst = append(dst, appURL[:open]...)
		appURL = appURL[open:]
		end := 1
		for end < len(appURL) && dispatch.IsMacroNameByte(appURL[end]) {
			end++
		}
		if end == 1 || end == len(appURL) || appURL[end] != '}' {
			dst = append(dst, '{')
			appURL = appURL[1:]
			continue
		}
		v, known := redirectMacro(appURL[1:end], c, campaignName)
		if !known {
			dst = append(dst, appURL[:end+1]...)
		} else {
			dst = dispatch.AppendURLEncoded(dst, v)
		}
		appURL = appURL[end+1:]
	}
}

// redirectMacro is the value of the redirect macro name for c.
func redirectMacro(name string, c *store.Click, campaignName string) ([]byte, bool) {
	switch name {
	case "click_id", "tid":
		return c.ClickID, true
	case "campaign_id":
		return c.Campaign, true
	case "campaign_name":
		return s2b(campaignName), true
	case "aff_id":
		return c.AffID, true
	case "pub_id":
		return c.PubID, true
	case "offer_id":
		return c.OfferID, true
	case "creative_id":
		return c.CreativeID, true
	case "sub1":
		return c.Sub[0], true
	case "sub2", "s2":
		return c.Sub[1], true
	case "sub3", "s3":
		return c.Sub[2], true
	case "sub4", "s4":
		return c.Sub[3], true
	case "sub5":
		return c.Sub[4], true
	case "platform":
		return s2b(c.Platform.String()), true
	case "country":
		return c.Country, true
	}
	return nil, false
}

// RedirectAllowed reports whether a tracking link may send the user to u
// (its redirect= or af_r=) instead of to the app's URL: an absolute http or
// https URL whose host is one of hosts (config.App.RedirectHosts: lower
// case, "*.d" for any host under d), compared without letter case or port.
//
// A browser must go where this check thinks it goes, or a listed host
// could front for another. So anything a browser reads differently from a
// plain split at the first '/', '?' or '#' is refused: user info ('@', the
// classic "https://shop.example@evil.example"), percent-escapes and
// brackets in the host; and anywhere in u, backslashes (read as '/'),
// spaces, control bytes and non-ASCII bytes, which also keep the Location
// header clean. It allocates nothing.
func RedirectAllowed(u []byte, hosts []string) bool {
	if len(hosts) == 0 {
		return false
	}
	for _, c := range u {
		if c <= ' ' || c >= 0x7f || c == '\\' {
			return false
		}
	}
	rest, ok := cutSchemePrefix(u, "https://")
	if !ok {
		if rest, ok = cutSchemePrefix(u, "http://"); !ok {
			return false
		}
	}
	end := len(rest)
	for i, c := range rest {
		if c == '/' || c == '?' || c == '#' {
			end = i
			break
		}
	}
	host := rest[:end]
	if i := bytes.LastIndexByte(host, ':'); i >= 0 {
		for _, c := range host[i+1:] {
			if c < '0' || c > '9' {
				return false
			}
		}
		host = host[:i]
	}
	if len(host) == 0 {
		return false
	}
	for _, c := range host {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false // '@', '%', '[', ':' and the like
		}
	}
	for _, h := range hosts {
		if d, wild := strings.CutPrefix(h, "*."); wild {
			if len(host) > len(d)+1 && host[len(host)-len(d)-1] == '.' && bytes.EqualFold(host[len(host)-len(d):], s2b(d)) {
				return true
			}
		} else if bytes.EqualFold(host, s2b(h)) {
			return true
		}
	}
	return false
}

// cutSchemePrefix cuts prefix from the start of u in any letter case.
func cutSchemePrefix(u []byte, prefix string) ([]byte, bool) {
	if len(u) < len(prefix) || !bytes.EqualFold(u[:len(prefix)], s2b(prefix)) {
		return u, false
	}
	return u[len(prefix):], true
}
