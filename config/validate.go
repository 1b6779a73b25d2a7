package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

var (
	regionRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)
	campaignRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
)

// Validate checks the whole config and reports the first problem as one line.
// Checks run in a fixed order with map keys sorted, so the same bad file
// always reports the same line. It never modifies c.
func (c *Config) Validate() error {
	return c.validate(nil)
}

// validate is Validate for Parse, which passes the text of values as the
// file wrote them (decoder.written) for messages to quote. Validate has no
// file text: the values may have changed since Parse, so it quotes them as
// they are.
func (c *Config) validate(written map[string]string) error {
	v := &validator{file: c.Source, written: written}
	if v.file == "" {
		v.file = "(unnamed)"
	}
	c.validateTop(v)
	for _, id := range sortedKeys(c.Apps) {
		validateApp(v, join("apps", id), id, c.Apps[id])
	}
	for _, name := range sortedKeys(c.Partners) {
		validatePartner(v, join("partners", name), name, c.Partners[name])
	}
	for _, id := range sortedKeys(c.Campaigns) {
		c.validateCampaign(v, join("campaigns", id), id, c.Campaigns[id])
	}
	if c.Replication != nil {
		c.validateReplication(v, "replication", c.Replication)
	}
	return v.err
}

// validator keeps the first error; later checks become no-ops, which keeps
// each check a flat list instead of a chain of early returns.
type validator struct {
	file    string
	written map[string]string // by key path; see decoder.written
	err     error
}

func (v *validator) fail(path, format string, args ...any) {
	if v.err == nil {
		v.err = &Error{File: v.file, Key: path, Msg: fmt.Sprintf(format, args...)}
	}
}

// quote renders the value at path for a message: as the file wrote it when
// known, else as it prints (s).
func (v *validator) quote(path, s string) string {
	if text, ok := v.written[path]; ok {
		return quote(text)
	}
	return quote(s)
}

// qdur is quote for a duration.
func (v *validator) qdur(path string, d time.Duration) string {
	return v.quote(path, formatDuration(d))
}

func (c *Config) validateTop(v *validator) {
	hostPort(v, "listen", c.Listen)
	hostPort(v, "admin_listen", c.AdminListen)
	if c.Listen == c.AdminListen && !strings.HasSuffix(c.Listen, ":0") {
		v.fail("admin_listen", "%s is the same address as listen", quote(c.AdminListen))
	} else if port, every, ok := sharedPort(c.Listen, c.AdminListen); ok && every {
		v.fail("admin_listen", "%s and listen %s would both take port %s (one listens on every address)",
			quote(c.AdminListen), quote(c.Listen), port)
	} else if ok {
		v.fail("admin_listen", "%s is the same address as listen %s, written otherwise", quote(c.AdminListen), quote(c.Listen))
	}
	switch {
	case c.TLSCert != "" && c.TLSKey == "":
		v.fail("tls_key", "must be set with tls_cert (both or neither)")
	case c.TLSCert == "" && c.TLSKey != "":
		v.fail("tls_cert", "must be set with tls_key (both or neither)")
	}
	if c.DataDir == "" {
		v.fail("data_dir", "must not be empty")
	}
	if !regionRE.MatchString(c.Region) {
		v.fail("region", "%s must match %s", quote(c.Region), reText(regionRE))
	}
	if c.Durability != "sync" && c.Durability != "async" {
		v.fail("durability", "%s is not sync or async", quote(c.Durability))
	}
	positive(v, "sync_interval", c.SyncInterval)
	if c.EventRetention != 0 && c.EventRetention < minEventRetention {
		v.fail("event_retention", "%s is neither 0 (keep events) nor at least %s", v.qdur("event_retention", c.EventRetention), formatDuration(minEventRetention))
	}
	if c.ClickRetention < minClickRetention {
		v.fail("click_retention", "%s is less than %s", v.qdur("click_retention", c.ClickRetention), formatDuration(minClickRetention))
	}
	if c.ShutdownGrace < 0 || c.ShutdownGrace > maxShutdownGrace {
		v.fail("shutdown_grace", "%s is outside 0..%s", v.qdur("shutdown_grace", c.ShutdownGrace), formatDuration(maxShutdownGrace))
	}
	if c.CacheSize < minCacheSize || c.CacheSize > maxCacheSize {
		v.fail("cache_size", "%s is outside 1MiB..1TiB", v.quote("cache_size", strconv.FormatInt(c.CacheSize, 10)))
	}
	for i, p := range c.TrustedProxies {
		if !p.IsValid() {
			v.fail(index("trusted_proxies", i), "%s is not a valid prefix", quote(p.String()))
		}
	}
	if t := c.AdminToken; t != "" && (strings.IndexFunc(t, unicode.IsControl) >= 0 || strings.TrimSpace(t) != t) {
		// A token read from a file with its newline, or a YAML block
		// scalar, could never be presented: every admin request a 401.
		key := "admin_token"
		if c.adminTokenFromEnv {
			key += " (from " + adminTokenEnv + ")"
		}
		v.fail(key, "must not hold control characters or begin or end with a space (it is sent as a bearer token)")
	}
	for i, tok := range c.ConversionTokens {
		switch {
		case tok == "":
			v.fail(index("conversion_tokens", i), "must not be empty")
		case strings.IndexFunc(tok, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0:
			v.fail(index("conversion_tokens", i), "must be printable ASCII without spaces (it is sent as a bearer token)")
		}
	}
	headerName(v, "client_ip_header", c.ClientIPHeader)
	headerName(v, "country_header", c.CountryHeader)
}

func validateApp(v *validator, path, id string, a *App) {
	if a == nil {
		v.fail(path, "is nil")
		return
	}
	if id == "" {
		v.fail(path, "the app id must not be empty")
	}
	if a.Android == "" && a.IOS == "" && a.Web == "" {
		v.fail(path, "needs at least one of android, ios, web")
	}
	for _, u := range []struct{ key, val string }{{"android", a.Android}, {"ios", a.IOS}, {"web", a.Web}} {
		if u.val == "" {
			continue
		}
		if why := checkURL(u.val); why != "" {
			v.fail(join(path, u.key), "%s %s", v.quote(join(path, u.key), u.val), why)
		} else if CarriesReferrer(u.val) {
			// The edge appends referrer=<click> to every Play URL; Play would
			// see two and the install might not find its click.
			v.fail(join(path, u.key), "a Google Play URL must not carry referrer= (the edge adds its own)")
		}
	}
	for i, h := range a.RedirectHosts {
		if !redirectHostRE.MatchString(h) {
			v.fail(index(join(path, "redirect_hosts"), i), "%s is not a host name or *.domain", quote(h))
		}
	}
}

// redirectHostRE is a lower-case DNS name, optionally "*." and a name: no
// scheme, port or path (a redirect is allowed by its host alone).
var redirectHostRE = regexp.MustCompile(`^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

// CarriesReferrer reports a Google Play URL whose query already has a
// referrer parameter: the config's app URLs, and the click path's followed
// redirects, where it must not allocate.
func CarriesReferrer(s string) bool {
	if !IsPlayStoreURL(s) {
		return false
	}
	q, _, _ := strings.Cut(s, "#")
	_, q, ok := strings.Cut(q, "?")
	for ok && q != "" {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		key, _, _ := strings.Cut(pair, "=")
		if queryKeyIs(key, "referrer") {
			return true
		}
	}
	return false
}

// queryKeyIs reports whether the query key raw, decoded as a query is
// ('+' a space, %XX a byte), is name.
func queryKeyIs(raw, name string) bool {
	j := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(raw) && ishex(raw[i+1]) && ishex(raw[i+2]):
			c = unhex(raw[i+1])<<4 | unhex(raw[i+2])
			i += 2
		}
		if j >= len(name) || name[j] != c {
			return false
		}
		j++
	}
	return j == len(name)
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// IsPlayStoreURL reports whether appURL is an http(s) URL on host
// play.google.com (any case, any port): the URLs the tracker appends its
// referrer= to, and so the ones that must not carry one already.
func IsPlayStoreURL(appURL string) bool {
	var rest string
	switch {
	case len(appURL) >= len("https://") && strings.EqualFold(appURL[:len("https://")], "https://"):
		rest = appURL[len("https://"):]
	case len(appURL) >= len("http://") && strings.EqualFold(appURL[:len("http://")], "http://"):
		rest = appURL[len("http://"):]
	default:
		return false
	}
	host := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host = rest[:i]
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.EqualFold(host, "play.google.com")
}

func validatePartner(v *validator, path, name string, p *Partner) {
	if p == nil {
		v.fail(path, "is nil")
		return
	}
	if name == "" {
		v.fail(path, "the partner name must not be empty")
	}
	template(v, join(path, "install"), p.Install, true)
	template(v, join(path, "signup"), p.Signup, true)
	for _, ev := range sortedKeys(p.Events) {
		if ev == "" {
			v.fail(join(path, "events"), "an event name must not be empty")
		}
		template(v, join(join(path, "events"), ev), p.Events[ev], false)
	}
	for _, ev := range sortedKeys(p.Rename) {
		if ev == "" {
			v.fail(join(path, "rename"), "an event name must not be empty")
		}
		if p.Rename[ev] == "" {
			v.fail(join(join(path, "rename"), ev), "must not be empty")
		}
	}
	if p.Method != "GET" && p.Method != "POST" {
		v.fail(join(path, "method"), "%s is not GET or POST", v.quote(join(path, "method"), p.Method))
	}
	if p.Body != "" && p.Method != "POST" {
		v.fail(join(path, "body"), "only allowed with method POST")
	}
	positive(v, join(path, "timeout"), p.Timeout)
	if p.MaxConns < 1 || p.MaxConns > maxMaxConns {
		v.fail(join(path, "max_conns"), "%d is outside 1..%d", p.MaxConns, maxMaxConns)
	}
	if p.MaxRPS < 0 || p.MaxRPS > maxMaxRPS {
		v.fail(join(path, "max_rps"), "%d is outside 0..%d (0: no limit)", p.MaxRPS, maxMaxRPS)
	}
	retry := join(path, "retry")
	positive(v, join(retry, "base"), p.Retry.Base)
	positive(v, join(retry, "max_interval"), p.Retry.MaxInterval)
	positive(v, join(retry, "max_age"), p.Retry.MaxAge)
	if p.Retry.Base > p.Retry.MaxInterval {
		v.fail(join(retry, "base"), "%s is more than max_interval %s",
			v.qdur(join(retry, "base"), p.Retry.Base), v.qdur(join(retry, "max_interval"), p.Retry.MaxInterval))
	}
}

func (c *Config) validateCampaign(v *validator, path, id string, cp *Campaign) {
	if cp == nil {
		v.fail(path, "is nil")
		return
	}
	// The id is a URL path segment (GET /<campaign>), hence the narrow set.
	switch {
	case !campaignRE.MatchString(id):
		v.fail(path, "%s must match %s", quote(id), reText(campaignRE))
	case id == "." || id == "..":
		v.fail(path, "%s cannot be a URL path segment", quote(id))
	case id == "healthz":
		v.fail(path, `"healthz" is reserved (GET /healthz)`)
	}
	switch {
	case cp.App == "":
		v.fail(join(path, "app"), "must name a defined app")
	case c.Apps[cp.App] == nil:
		v.fail(join(path, "app"), "%s is not a defined app", quote(cp.App))
	}
	if cp.Partner != "" && c.Partners[cp.Partner] == nil {
		v.fail(join(path, "partner"), "%s is not a defined partner", quote(cp.Partner))
	}
	if cp.ClickLookback < minClickLookback || cp.ClickLookback > maxClickLookback {
		v.fail(join(path, "click_lookback"), "%s is outside %s..%s", v.qdur(join(path, "click_lookback"), cp.ClickLookback),
			formatDuration(minClickLookback), formatDuration(maxClickLookback))
	}
	if cp.FingerprintLookback < 0 || cp.FingerprintLookback > maxFingerprintLookback {
		v.fail(join(path, "fingerprint_lookback"), "%s is outside 0..%s", v.qdur(join(path, "fingerprint_lookback"), cp.FingerprintLookback),
			formatDuration(maxFingerprintLookback))
	}
	if cp.ViewThroughLookback < 0 || cp.ViewThroughLookback > maxViewThroughLookback {
		v.fail(join(path, "view_through_lookback"), "%s is outside 0..%s", v.qdur(join(path, "view_through_lookback"), cp.ViewThroughLookback),
			formatDuration(maxViewThroughLookback))
	}
	switch dl := cp.DeepLink; {
	case len(dl) > maxDeepLink:
		v.fail(join(path, "deep_link"), "is %d bytes, more than %d", len(dl), maxDeepLink)
	case strings.ContainsFunc(dl, unicode.IsControl):
		v.fail(join(path, "deep_link"), "%s has a control character", quote(dl))
	}
}

func (c *Config) validateReplication(v *validator, path string, r *Replication) {
	// nats.Connect takes a comma-separated server list; each must be NATS.
	// None is a single region (Parse drops the block).
	for _, s := range strings.Split(r.NATSURL, ",") {
		if r.NATSURL == "" {
			break
		}
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil || (u.Scheme != "nats" && u.Scheme != "tls") || u.Hostname() == "" || badPort(u.Port()) {
			v.fail(join(path, "nats_url"), "%s is not a nats:// or tls:// URL", v.quote(join(path, "nats_url"), r.NATSURL))
			break
		}
	}
	seen := map[string]bool{}
	for i, peer := range r.Peers {
		p := index(join(path, "peers"), i)
		switch {
		case !regionRE.MatchString(peer):
			v.fail(p, "%s must match %s", quote(peer), reText(regionRE))
		case peer == c.Region:
			v.fail(p, "%s is this edge's own region", quote(peer))
		case seen[peer]:
			v.fail(p, "%s is listed twice", quote(peer))
		}
		seen[peer] = true
	}
	positive(v, join(path, "pending_window"), r.PendingWindow)
}

func positive(v *validator, path string, d time.Duration) {
	if d <= 0 {
		v.fail(path, "%s must be greater than 0", v.qdur(path, d))
	}
}

func hostPort(v *validator, path, addr string) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		why := err.Error()
		if ae, ok := err.(*net.AddrError); ok {
			why = ae.Err
		}
		v.fail(path, "%s is not host:port (%s)", quote(addr), why)
		return
	}
	if port == "" || badPort(port) {
		v.fail(path, "%s has a bad port (want 0..65535)", quote(addr))
	}
}

// sharedPort reports the port two listen addresses would both bind when
// one of them is every address (":p", "0.0.0.0:p", "[::]:p", every is
// true) or both are one address written otherwise ("[::1]:p" and
// "[0:0::1]:p", "127.0.0.1:p" and "[::ffff:127.0.0.1]:p"): the second
// listener would fail at start with "address already in use".
func sharedPort(a, b string) (port string, every, ok bool) {
	ha, pa, erra := net.SplitHostPort(a)
	hb, pb, errb := net.SplitHostPort(b)
	if erra != nil || errb != nil || badPort(pa) || badPort(pb) {
		return "", false, false
	}
	na, _ := strconv.ParseUint(pa, 10, 16)
	nb, _ := strconv.ParseUint(pb, 10, 16)
	every = anyAddress(ha) || anyAddress(hb)
	if na == 0 || na != nb || !(every || sameAddress(ha, hb)) {
		return "", false, false
	}
	return strconv.FormatUint(na, 10), every, true
}

// anyAddress reports whether a listen host is every address.
func anyAddress(host string) bool {
	if host == "" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsUnspecified() // "0.0.0.0", "::", "::0", "::ffff:0.0.0.0"
}

// sameAddress reports whether two listen hosts are one address written
// differently ("::1" and "0:0::1", "127.0.0.1" and "::ffff:127.0.0.1").
func sameAddress(a, b string) bool {
	x, errx := netip.ParseAddr(a)
	y, erry := netip.ParseAddr(b)
	return errx == nil && erry == nil && x.Unmap() == y.Unmap()
}

// badPort reports a port that is not a number in 0..65535; "" (no port) is fine.
func badPort(port string) bool {
	if port == "" {
		return false
	}
	n, err := strconv.ParseUint(port, 10, 16)
	return err != nil || n > 65535
}

// headerName accepts "" (unused) or an RFC 9110 token.
func headerName(v *validator, path, h string) {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			v.fail(path, "%s is not a valid header name", quote(h))
			return
		}
	}
}

// checkURL returns why s is not an absolute http(s) URL with a host, or "".
func checkURL(s string) string {
	if hasSpaceOrControl(s) {
		return "contains a space or control character"
	}
	u, err := url.Parse(s)
	if err != nil {
		return "is not a valid URL"
	}
	if !strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https") || u.Opaque != "" {
		return "is not an absolute http(s) URL"
	}
	return checkHost(u)
}

func checkHost(u *url.URL) string {
	if u.Hostname() == "" {
		return "has no host"
	}
	if badPort(u.Port()) || strings.HasSuffix(u.Host, ":") {
		return "has a bad host or port"
	}
	return ""
}

// template checks a postback URL template. Macros ({name}) may appear anywhere
// after the host and are not checked here: unknown ones pass through at render
// time (CONTRACT §5). The scheme and host must be literal so the target of a
// postback is known from the config alone.
func template(v *validator, path, t string, optional bool) {
	if t == "" {
		if !optional {
			v.fail(path, "must not be empty")
		}
		return
	}
	why := checkTemplate(t)
	if why != "" {
		v.fail(path, "%s %s", v.quote(path, t), why)
	}
}

func checkTemplate(t string) string {
	if hasSpaceOrControl(t) {
		return "contains a space or control character"
	}
	var rest string
	switch lower := strings.ToLower(t); {
	case strings.HasPrefix(lower, "http://"):
		rest = t[len("http://"):]
	case strings.HasPrefix(lower, "https://"):
		rest = t[len("https://"):]
	default:
		return "is not an absolute http(s) URL"
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if strings.ContainsAny(rest[:end], "{}") {
		return "has a macro in its scheme or host"
	}
	u, err := url.Parse(t[:len(t)-len(rest)+end])
	if err != nil {
		return "has a bad host or port"
	}
	return checkHost(u)
}

func hasSpaceOrControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// reText is a pattern as the user should read it, without the anchors.
func reText(re *regexp.Regexp) string {
	return strings.TrimSuffix(strings.TrimPrefix(re.String(), "^"), "$")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
