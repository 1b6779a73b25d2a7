package config

import (
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Notes are findings about a valid config that is probably not what its
// author meant: clickedge check-config prints them, serve logs them at
// start and on each reload. Each names the keys involved and what to do.
func Notes(c *Config) []string { return notesAt(c, time.Now()) }

// ShutdownAttemptWait is how long a partner's postbacks may take on the
// wire and still be answered and recorded when a SIGTERM comes: clickedge
// serve gives its whole shutdown 25 s, the listeners' drain first, then
// the dispatcher's.
const ShutdownAttemptWait = 20 * time.Second

// certWarnAhead is how long before tls_cert expires a note says so.
const certWarnAhead = 30 * 24 * time.Hour

func notesAt(c *Config, now time.Time) []string {
	var notes []string
	if note := certNote(c, now); note != "" {
		notes = append(notes, note)
	}
	if !loopback(c.Listen) && len(c.ConversionTokens) == 0 {
		notes = append(notes, "conversion_tokens is not set: anyone who can reach "+c.Listen+
			" can post conversions, and have partners paid for installs (set conversion_tokens for your backend's conversions)")
	}
	if len(c.TrustedProxies) == 0 {
		// A header set by hand says the edge is meant to sit behind a
		// proxy; the default client_ip_header alone says nothing.
		if c.ClientIPHeader != defaultClientIPHeader {
			notes = append(notes, "client_ip_header ("+c.ClientIPHeader+") is read only from trusted_proxies, and none is set: it is never read "+
				"(behind a CDN, list its addresses in trusted_proxies)")
		}
		// The country header, by contrast, is believed from anyone then
		// (tracker/click.go): the note must not call it inert.
		if c.CountryHeader != "" {
			notes = append(notes, "country_header ("+c.CountryHeader+") is believed from every client, as no trusted_proxies are set: "+
				"one reaching the edge directly can claim any country (behind a CDN, list its addresses in trusted_proxies)")
		}
	}
	if strings.EqualFold(c.ClientIPHeader, "Forwarded") {
		// RFC 7239's "for=a.b.c.d;proto=https" is not an address: every
		// element would be skipped, and every click take the proxy's.
		notes = append(notes, "client_ip_header ("+c.ClientIPHeader+") is read as a list of addresses (X-Forwarded-For style); "+
			"RFC 7239's for= pairs are not parsed, so every click would get the proxy's address (use X-Forwarded-For, or the CDN's own "+
			"client address header, such as CF-Connecting-IP or True-Client-IP)")
	}
	if name, key, window := longestWindow(c); window > c.ClickRetention {
		notes = append(notes, "click_retention ("+formatDuration(c.ClickRetention)+") is shorter than campaigns."+name+"'s "+key+
			" ("+formatDuration(window)+"): its clicks are deleted while they may still be credited")
	}
	for _, name := range sortedKeys(c.Partners) {
		if t := c.Partners[name].Timeout; t > ShutdownAttemptWait {
			notes = append(notes, "partners."+name+".timeout ("+formatDuration(t)+") is longer than the "+formatDuration(ShutdownAttemptWait)+
				" a SIGTERM waits for postbacks on the wire: one still waiting then is sent again after the restart (partners dedupe by {event_id})")
		}
	}
	if r := c.noNATS; r != nil && len(r.Peers) > 0 {
		notes = append(notes, "replication.nats_url is not set: this edge runs as a single region and applies nothing from replication.peers "+
			"(set replication.nats_url to replicate)")
	}
	if c.AdminToken == "" {
		notes = append(notes, "admin_token is not set: the admin API is off (404); /metrics and /healthz still answer")
	}
	return notes
}

// certNote says when the certificate Load read is not valid now or stops
// being valid within certWarnAhead: clients and CDNs refuse it at the
// handshake, so every click would fail on a config that loaded fine.
func certNote(c *Config, now time.Time) string {
	if c.tlsNotAfter.IsZero() {
		return ""
	}
	const layout = "2006-01-02 15:04 MST"
	cert := "tls_cert (" + c.TLSCert + ")"
	renew := " (renew it; SIGHUP reloads it)"
	switch left := c.tlsNotAfter.Sub(now); {
	case left <= 0:
		return cert + " expired on " + c.tlsNotAfter.UTC().Format(layout) + ": clients refuse it at the handshake" + renew
	case now.Before(c.tlsNotBefore):
		return cert + " is not valid before " + c.tlsNotBefore.UTC().Format(layout) + ": clients refuse it at the handshake until then"
	case left < certWarnAhead:
		return cert + " expires on " + c.tlsNotAfter.UTC().Format(layout) + ", in " + strconv.Itoa(int(left/(24*time.Hour))) + " days" + renew
	}
	return ""
}

// loopback reports whether a listen address accepts only this machine's
// connections.
func loopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// longestWindow finds the longest attribution window of any campaign: the
// campaign, the key and its value (the first campaign by name on a tie).
func longestWindow(c *Config) (campaign, key string, window time.Duration) {
	names := make([]string, 0, len(c.Campaigns))
	for n := range c.Campaigns {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		cp := c.Campaigns[n]
		for _, w := range []struct {
			key string
			d   time.Duration
		}{{"click_lookback", cp.ClickLookback}, {"fingerprint_lookback", cp.FingerprintLookback}, {"view_through_lookback", cp.ViewThroughLookback}} {
			if w.d > window {
				campaign, key, window = n, w.key, w.d
			}
		}
	}
	return campaign, key, window
}
