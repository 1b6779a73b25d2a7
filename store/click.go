package store

// Platform is the device platform read from a click's user agent or a
// conversion's platform field.
type Platform uint8

const (
	PlatformUnknown Platform = iota // web, desktop, anything unrecognised
	PlatformAndroid
	PlatformIOS
)

// String returns "android", "ios" or "" (unknown).
func (p Platform) String() string {
	switch p {
	case PlatformAndroid:
		return "android"
	case PlatformIOS:
		return "ios"
	}
	return ""
}

// ClickFlags record what the edge noticed about a click. A flagged click is
// stored and redirected like any other; FlagBot and FlagInvalidID keep it out
// of attribution.
type ClickFlags uint16

const (
	FlagBot            ClickFlags = 1 << iota // link-preview bot or crawler, by user agent
	FlagInvalidID                             // the click_id itself was oversize, invalid UTF-8 or an unexpanded macro: never matched
	FlagOversize                              // some value was longer than MaxValueLen and was cut
	FlagBadUTF8                               // some value had invalid UTF-8, replaced by U+FFFD
	FlagMacro                                 // some value was an unexpanded macro such as {gaid} or [clickid]
	FlagGeneratedID                           // the edge made the click_id; none was sent
	FlagServerToServer                        // recorded through GET /v1/click (or /v1/impression)
	// FlagNoFingerprint: its campaign's fingerprint matching was off
	// (fingerprint_lookback 0) when it was made, so no fingerprint key is
	// stored for it: a key nothing can match costs a write and disk.
	FlagNoFingerprint
	// FlagImpression: an ad impression (GET /v1/impression), not a click,
	// kept for view-through attribution. Its device keys are the view kinds
	// (DeviceKind.View), so click lookups never meet it; it has no
	// fingerprint key, and its id never attributes by click_id.
	FlagImpression
)

// MaxValueLen is the longest value stored for any click parameter; longer
// values are cut at a UTF-8 boundary and the click is flagged FlagOversize.
const MaxValueLen = 512

// Click is one recorded tracking-link click. Byte slices alias the caller's
// buffers: the store copies what it keeps, so a Click can be filled from a
// request that is recycled after the call.
type Click struct {
	ClickID    []byte
	Campaign   []byte
	App        []byte // the campaign's app id when the click was made
	Time       int64  // unix milliseconds
	Platform   Platform
	OSVersion  []byte // "14", "17.2": major.minor read from the user agent
	Flags      ClickFlags
	AffID      []byte
	PubID      []byte
	OfferID    []byte
	CreativeID []byte
	Sub        [5][]byte // sub1..sub5
	GAID       []byte
	IDFA       []byte
	OAID       []byte
	IP         []byte // textual, as received or read from the peer
	UserAgent  []byte
	Country    []byte
	// DeepLink is where the app should open on its first launch (deferred
	// deep linking): the link's deep_link value, handed back with the
	// install it is attributed to.
	DeepLink []byte
	// ViewLookback (impressions) is the impression's own view-through
	// window in seconds (vt_lookback), which can only shorten its
	// campaign's; 0: the campaign's.
	ViewLookback int64
}

// Reset clears c for reuse, keeping the capacity of nothing: fields are
// re-pointed, never appended to.
func (c *Click) Reset() { *c = Click{} }
