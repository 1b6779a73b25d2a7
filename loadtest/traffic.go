package loadtest

import "strconv"

// Traffic is a pure function of (seed, slot): what slot i sends never depends
// on which worker sends it or on what the server answered, so a seed replays
// the same requests. Conversions refer back to earlier slots ("the ring of
// recent clicks") by recomputing those slots, not by remembering them.

type kind uint8

const (
	kindClick kind = iota
	kindInstall
	kindEvent
	kindImpression
	numKinds
)

var kindNames = [numKinds]string{"click", "install", "event", "impression"}

// variant is how a click is dressed.
type variant uint8

const (
	clickNormal          variant = iota
	clickBot                     // a link-preview bot's user agent
	clickUnknownCampaign         // expect 404
	clickMacroAdID               // gaid/idfa left as an unexpanded macro
	clickOversize                // a sub value over the edge's 512-byte cut
	clickMacroClickID            // click_id left as a macro
)

const (
	saltKind = iota + 1
	saltVariant
	saltDevice
	saltPick
)

// Installs look for a click among the last lookbackSlots slots, skipping the
// newest ones, which may still be in flight.
const (
	lookbackSlots = 1024
	searchSlots   = 512
)

type traffic struct {
	seed            uint64
	tag             string // in every generated id, so runs with different seeds never collide
	campaign        string
	unknownCampaign string
	prefix          string // the target URL's path, without a trailing slash
	host            string
	clickCut        int // kindOf: h%total below clickCut is a click,
	installCut      int // below installCut an install,
	eventCut        int // below eventCut an event, else an impression
	total           int
	botCut          uint64 // variant: u below botCut is a bot,
	malformedCut    uint64 // below malformedCut a malformed link
	gap             int64  // slots skipped when looking back
	auth            []byte // Authorization of a conversion; nil: none
}

func newTraffic(o Options, seed int64, host, prefix string) *traffic {
	t := &traffic{
		seed:       uint64(seed),
		campaign:   o.Campaign,
		prefix:     prefix,
		host:       host,
		clickCut:   o.Mix.Click,
		installCut: o.Mix.Click + o.Mix.Install,
		eventCut:   o.Mix.Click + o.Mix.Install + o.Mix.Event,
		total:      o.Mix.total(),
		gap:        int64(o.Conns),
	}
	if o.ConversionToken != "" {
		t.auth = []byte("Bearer " + o.ConversionToken)
	}
	t.tag = "lt" + strconv.FormatUint(splitmix(uint64(seed))%(36*36*36*36*36*36), 36)
	t.unknownCampaign = "no-such-campaign-" + t.tag
	t.botCut = uint64(o.BotShare * (1 << 53))
	t.malformedCut = t.botCut + uint64(o.MalformedShare*(1<<53))
	return t
}

// splitmix is SplitMix64's finalizer: a cheap, well-mixed hash.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func (t *traffic) hash(i int64, salt uint64) uint64 {
	return splitmix(t.seed ^ splitmix(uint64(i)*0x9e3779b97f4a7c15+salt))
}

func (t *traffic) kindOf(i int64) kind {
	switch h := int(t.hash(i, saltKind) % uint64(t.total)); {
	case h < t.clickCut:
		return kindClick
	case h < t.installCut:
		return kindInstall
	case h < t.eventCut:
		return kindEvent
	}
	return kindImpression
}

func (t *traffic) variantOf(i int64) variant {
	h := t.hash(i, saltVariant)
	switch u := h >> 11; {
	case u < t.botCut:
		return clickBot
	case u < t.malformedCut:
		return clickUnknownCampaign + variant(h%4)
	}
	return clickNormal
}

// device is who clicked (or installed) in slot i.
type device struct {
	android bool
	h1, h2  uint64 // the advertising id's bits
	ip      uint64
	agent   string
}

func (t *traffic) device(i int64) device {
	h := t.hash(i, saltDevice)
	d := device{android: h%10 < 7, h1: t.hash(i, saltDevice+100), h2: t.hash(i, saltDevice+200), ip: h >> 8}
	if d.android {
		d.agent = androidAgents[(h>>40)%uint64(len(androidAgents))]
	} else {
		d.agent = iosAgents[(h>>40)%uint64(len(iosAgents))]
	}
	return d
}

func (d device) platform() string {
	if d.android {
		return "android"
	}
	return "ios"
}

// adIDKey is the parameter carrying the advertising id on this platform.
func (d device) adIDKey() string {
	if d.android {
		return "gaid"
	}
	return "idfa"
}

// appendAdIDParam writes "&<gaid or idfa>=<the advertising id>".
func (d device) appendAdIDParam(dst []byte) []byte {
	dst = append(dst, '&')
	dst = append(dst, d.adIDKey()...)
	dst = append(dst, '=')
	return d.appendAdID(dst)
}

// appendAdID writes a version-4 UUID; iOS writes IDFAs in upper case.
func (d device) appendAdID(dst []byte) []byte {
	const lower, upper = "0123456789abcdef", "0123456789ABCDEF"
	digits := lower
	if !d.android {
		digits = upper
	}
	var b [16]byte
	for k := range 8 {
		b[k] = byte(d.h1 >> (8 * k))
		b[8+k] = byte(d.h2 >> (8 * k))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	for k, c := range b {
		if k == 4 || k == 6 || k == 8 || k == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, digits[c>>4], digits[c&15])
	}
	return dst
}

// docNets are the IPv4 documentation ranges (RFC 5737): public-looking,
// never routed, and only ever sent as a parameter.
var docNets = [...][3]byte{{192, 0, 2}, {198, 51, 100}, {203, 0, 113}}

func (d device) appendIP(dst []byte) []byte {
	n := docNets[d.ip%uint64(len(docNets))]
	for _, o := range n {
		dst = strconv.AppendUint(dst, uint64(o), 10)
		dst = append(dst, '.')
	}
	return strconv.AppendUint(dst, 1+(d.ip>>8)%254, 10)
}

// recent finds an earlier slot of kind want (for clicks, an ordinary one
// that the edge may match), or -1.
func (t *traffic) recent(i int64, want kind) int64 {
	j := i - t.gap - int64(t.hash(i, saltPick)%lookbackSlots)
	for n := 0; j >= 0 && n < searchSlots; j, n = j-1, n+1 {
		if t.kindOf(j) == want && (want != kindClick || t.variantOf(j) == clickNormal) {
			return j
		}
	}
	return -1
}
