package config

import (
	"net/netip"
	"time"
)

// Config is one loaded configuration: CONTRACT §2 plus the replication block
// of §8. Durations are resolved; maps are never nil after Parse; map keys are
// the ids (the ID/Name fields repeat them for convenience).
type Config struct {
	Source string // file path, or "embedded default"
	Demo   bool   // true only for the embedded default: enables the /_demo/postback sink
	// Ballast, set by clickedge serve (not a key of the file), has the
	// store keep an emergency ballast (store.Options.Ballast); tests and
	// clickedge bench open stores without one.
	Ballast bool

	// adminTokenFromEnv: AdminToken came from CLICKEDGE_ADMIN_TOKEN (the
	// file has no admin_token), so a message about it names the variable.
	adminTokenFromEnv bool
	// tlsNotBefore and tlsNotAfter are the validity of the tls_cert that
	// Load read (zero without TLS, or before Load), for Notes.
	tlsNotBefore, tlsNotAfter time.Time

	Listen      string
	TLSCert     string
	TLSKey      string
	AdminListen string
	DataDir     string
	Region      string

	Durability     string // "sync" | "async"
	SyncInterval   time.Duration
	ClickRetention time.Duration
	// EventRetention (extension key event_retention, default 0: kept):
	// event records, the event_id dedup keys, older than this are deleted.
	EventRetention time.Duration
	CacheSize      int64 // the store's block cache, bytes (extension key cache_size); default 64 MiB
	// ShutdownGrace (extension key shutdown_grace, default 0): how long
	// SIGTERM drains before the edge stops: /healthz answers 503, so that
	// a load balancer stops sending, while every request is still served
	// (with Connection: close). Read when the signal comes.
	ShutdownGrace time.Duration

	TrustedProxies []netip.Prefix // a bare IP in the YAML becomes a /32 or /128
	ClientIPHeader string
	CountryHeader  string

	AdminToken string
	// ConversionTokens (extension key conversion_tokens, default none):
	// when set, POST /v1/conversions and /v1/conversions/batch need one of
	// them as a bearer token. Several, so that a token can be rotated.
	ConversionTokens    []string
	AllowPrivateTargets bool
	// AnonymizeIP (extension key anonymize_ip, default false): every IP
	// address is cut to its network (IPv4 /24, IPv6 /48) before it is
	// stored, matched or posted.
	AnonymizeIP bool

	Apps      map[string]*App
	Partners  map[string]*Partner
	Campaigns map[string]*Campaign

	Replication *Replication // nil when the key is absent, or nats_url is
	// noNATS is a replication block without nats_url, which makes a single
	// region (CONTRACT §8): kept for the note that says so.
	noNATS *Replication
}

// App is where a click is sent, by platform.
type App struct {
	ID      string
	Android string
	IOS     string
	Web     string
	// RedirectHosts (an extension) are the hosts a tracking link's
	// redirect= (or af_r=) may send the user to instead of the app's URL:
	// "shop.example", or "*.shop.example" for any host under it. Lower
	// case. Empty: redirect= is ignored, so a link cannot be made an open
	// redirect.
	RedirectHosts []string
}

// Partner is an ad network that receives postbacks.
type Partner struct {
	Name         string
	Install      string            // URL template, "" = none
	Signup       string            // URL template, "" = none
	Events       map[string]string // event name -> URL template
	Rename       map[string]string // event name -> name sent in {event_name}
	ShareRevenue bool              // default true
	Method       string            // "GET" (default) | "POST", always upper-case
	Body         string            // POST body template (YAML key `body:`), "" = empty body
	Secret       string
	Timeout      time.Duration // default 5s
	MaxConns     int           // default 64
	MaxRPS       int           // postbacks a second at most (extension key max_rps); 0, the default: no limit
	Retry        Retry
}

// Retry is a partner's backoff schedule.
type Retry struct {
	Base        time.Duration // default 1s
	MaxInterval time.Duration // default 10m
	MaxAge      time.Duration // default 24h
}

// Campaign ties a tracking link to an app and, optionally, a partner.
type Campaign struct {
	ID                  string
	Name                string // defaults to ID
	App                 string
	Partner             string        // "" = no postbacks
	ClickLookback       time.Duration // default 7d, 1d..30d
	FingerprintLookback time.Duration // default 24h, 0 = off, at most 7d
	// ViewThroughLookback (an extension) is how long after an impression
	// of the campaign (GET /v1/impression) an install with no matching
	// click is credited to it, by device id; 0, the default, turns
	// view-through attribution off. At most 7d.
	ViewThroughLookback time.Duration
	// DeepLink (an extension) is given back with an install attributed to
	// one of the campaign's clicks that carried no deep_link of its own.
	DeepLink string
}

// Replication is CONTRACT §8.
type Replication struct {
	NATSURL       string        // absent or empty: single region (the block is dropped)
	Peers         []string      // region names; default none
	PendingWindow time.Duration // default 60s
}

// Defaults, exactly as CONTRACT §2 and §8 show them.
const (
	defaultListen         = ":8080"
	defaultAdminListen    = "127.0.0.1:8081"
	defaultDataDir        = "./clickedge-data"
	defaultRegion         = "local"
	defaultDurability     = "sync"
	defaultSyncInterval   = 2 * time.Millisecond
	defaultClickRetention = 30 * 24 * time.Hour
	defaultCacheSize      = 64 << 20
	defaultClientIPHeader = "X-Forwarded-For"
	adminTokenEnv         = "CLICKEDGE_ADMIN_TOKEN"

	defaultMethod           = "GET"
	defaultTimeout          = 5 * time.Second
	defaultMaxConns         = 64
	defaultRetryBase        = time.Second
	defaultRetryMaxInterval = 10 * time.Minute
	defaultRetryMaxAge      = 24 * time.Hour

	defaultClickLookback       = 7 * 24 * time.Hour
	defaultFingerprintLookback = 24 * time.Hour

	defaultPendingWindow = 60 * time.Second
)

// Bounds checked by Validate.
const (
	minClickRetention      = time.Hour
	minEventRetention      = 24 * time.Hour
	minClickLookback       = 24 * time.Hour
	maxClickLookback       = 30 * 24 * time.Hour
	maxFingerprintLookback = 7 * 24 * time.Hour
	maxShutdownGrace       = 10 * time.Minute
	maxViewThroughLookback = 7 * 24 * time.Hour
	// maxDeepLink is the longest campaign deep_link: the longest value a
	// click stores (store.MaxValueLen).
	maxDeepLink  = 512
	maxMaxConns  = 4096
	maxMaxRPS    = 100000
	minCacheSize = 1 << 20
	maxCacheSize = 1 << 40
)

func newConfig(source string) *Config {
	return &Config{
		Source:         source,
		Listen:         defaultListen,
		AdminListen:    defaultAdminListen,
		DataDir:        defaultDataDir,
		Region:         defaultRegion,
		Durability:     defaultDurability,
		SyncInterval:   defaultSyncInterval,
		ClickRetention: defaultClickRetention,
		CacheSize:      defaultCacheSize,
		TrustedProxies: []netip.Prefix{},
		ClientIPHeader: defaultClientIPHeader,
		Apps:           map[string]*App{},
		Partners:       map[string]*Partner{},
		Campaigns:      map[string]*Campaign{},
	}
}

func newPartner(name string) *Partner {
	return &Partner{
		Name:         name,
		Events:       map[string]string{},
		Rename:       map[string]string{},
		ShareRevenue: true,
		Method:       defaultMethod,
		Timeout:      defaultTimeout,
		MaxConns:     defaultMaxConns,
		Retry:        Retry{Base: defaultRetryBase, MaxInterval: defaultRetryMaxInterval, MaxAge: defaultRetryMaxAge},
	}
}

func newCampaign(id string) *Campaign {
	return &Campaign{
		ID:                  id,
		ClickLookback:       defaultClickLookback,
		FingerprintLookback: defaultFingerprintLookback,
	}
}

func newReplication() *Replication {
	return &Replication{Peers: []string{}, PendingWindow: defaultPendingWindow}
}
