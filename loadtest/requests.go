package loadtest

import (
	"math/rand/v2"
	"strconv"

	"github.com/valyala/fasthttp"
)

// builder turns slots into requests; each worker owns one and reuses its
// buffers and random source.
type builder struct {
	t    *traffic
	pcg  *rand.PCG
	rng  *rand.Rand
	buf  []byte
	body []byte
}

func newBuilder(t *traffic) *builder {
	pcg := rand.NewPCG(0, 0)
	return &builder{t: t, pcg: pcg, rng: rand.New(pcg), buf: make([]byte, 0, 1024), body: make([]byte, 0, 1024)}
}

// build fills req with slot i and returns its kind and the status a correct
// edge answers.
func (b *builder) build(i int64, req *fasthttp.Request) (kind, int) {
	b.pcg.Seed(b.t.seed, uint64(i))
	req.Reset()
	k, want := b.t.kindOf(i), fasthttp.StatusOK
	switch k {
	case kindClick:
		want = b.click(i, req)
	case kindInstall:
		b.install(i, req)
	case kindImpression:
		b.impression(i, req)
	default:
		b.event(i, req)
	}
	req.SetHost(b.t.host) // after the URI, which would otherwise reset it
	return k, want
}

var (
	placements = [...]string{"fb_feed", "ig_stories", "tiktok_infeed", "gads_uac", "snap_story", "unity_rewarded"}
	countries  = [...]string{"IN", "US", "BR", "ID", "DE", "MX", "PH", "GB"}
)

func (b *builder) click(i int64, req *fasthttp.Request) int {
	t, r := b.t, b.rng
	v := t.variantOf(i)
	d := t.device(i)
	want := fasthttp.StatusFound
	q := append(b.buf[:0], t.prefix...)
	q = append(q, "/?c="...)
	if v == clickUnknownCampaign {
		q = appendQuery(q, t.unknownCampaign)
		want = fasthttp.StatusNotFound
	} else {
		q = appendQuery(q, t.campaign)
	}
	q = append(q, "&click_id="...)
	if v == clickMacroClickID {
		q = appendQuery(q, "[clickid]")
	} else {
		q = t.appendID(q, 'c', i)
	}
	q = append(q, "&aff_id="...)
	q = strconv.AppendInt(q, 1000+int64(r.IntN(25)), 10)
	q = append(q, "&pub_id="...)
	q = strconv.AppendInt(q, 20000+int64(r.IntN(300)), 10)
	q = append(q, "&sub1="...)
	if v == clickOversize {
		for range 600 {
			q = append(q, 'x')
		}
	} else {
		q = append(q, placements[r.IntN(len(placements))]...)
	}
	q = append(q, "&sub2=adset_"...)
	q = strconv.AppendInt(q, int64(r.IntN(40)), 10)
	q = append(q, "&sub3=cr_"...)
	q = strconv.AppendInt(q, int64(r.IntN(200)), 10)
	q = append(q, "&sub4="...)
	q = append(q, countries[r.IntN(len(countries))]...)
	q = append(q, "&sub5="...)
	q = strconv.AppendUint(q, r.Uint64()>>16, 36)
	switch v {
	case clickBot: // link previews carry no advertising id
	case clickMacroAdID:
		q = append(q, '&')
		q = append(q, d.adIDKey()...)
		q = append(q, '=')
		if d.android {
			q = appendQuery(q, "{gaid}")
		} else {
			q = appendQuery(q, "%7Bidfa%7D") // double-encoded by a careless network
		}
	default:
		q = d.appendAdIDParam(q)
	}
	q = append(q, "&ip="...)
	q = d.appendIP(q)
	b.buf = q
	req.Header.SetMethod(fasthttp.MethodGet)
	req.SetRequestURIBytes(q)
	if v == clickBot {
		req.Header.SetUserAgent(botAgents[r.IntN(len(botAgents))])
	} else {
		req.Header.SetUserAgent(d.agent)
	}
	return want
}

// impression is an ad server's report of an ad shown to a device (GET
// /v1/impression): always answered 200, stored or not.
func (b *builder) impression(i int64, req *fasthttp.Request) {
	t, r := b.t, b.rng
	d := t.device(i)
	q := append(b.buf[:0], t.prefix...)
	q = append(q, "/v1/impression?c="...)
	q = appendQuery(q, t.campaign)
	q = append(q, "&impression_id="...)
	q = t.appendID(q, 'm', i)
	q = append(q, "&pub_id="...)
	q = strconv.AppendInt(q, 20000+int64(r.IntN(300)), 10)
	q = append(q, "&sub1="...)
	q = append(q, placements[r.IntN(len(placements))]...)
	q = d.appendAdIDParam(q)
	q = append(q, "&ip="...)
	q = d.appendIP(q)
	q = append(q, "&user_agent="...)
	q = appendQuery(q, d.agent)
	b.buf = q
	req.Header.SetMethod(fasthttp.MethodGet)
	req.SetRequestURIBytes(q)
	req.Header.SetUserAgent(clientAgent)
}

// install converts a recent ordinary click, found by click_id for about half
// and by advertising id alone for the rest; with no click to convert it is
// an organic install from a new device.
func (b *builder) install(i int64, req *fasthttp.Request) {
	t := b.t
	j := t.recent(i, kindClick)
	d := t.device(i)
	if j >= 0 {
		d = t.device(j) // the same phone that clicked
	}
	w := append(b.body[:0], `{"type":"install","install_id":"`...)
	w = t.appendID(w, 'i', i)
	if j >= 0 && t.hash(i, saltPick+1)&1 == 0 {
		w = append(w, `","click_id":"`...)
		w = t.appendID(w, 'c', j)
	} else {
		w = append(w, `","`...)
		w = append(w, d.adIDKey()...)
		w = append(w, `":"`...)
		w = d.appendAdID(w)
	}
	w = append(w, `","platform":"`...)
	w = append(w, d.platform()...)
	w = append(w, `","ip":"`...)
	w = d.appendIP(w)
	w = append(w, `","user_agent":`...)
	w = appendJSONString(w, d.agent)
	w = append(w, '}')
	b.body = w
	b.post(req)
}

var purchases = [...]struct{ revenue, currency string }{
	{"9.99", "USD"}, {"0.99", "USD"}, {"19.99", "USD"}, {"4.99", "EUR"},
	{"799.00", "INR"}, {"149", "INR"}, {"1.99", "GBP"}, {"24.90", "BRL"},
}

// event is a purchase by a recent install (or, early in a run, by an install
// the edge has never seen, which it must still accept).
func (b *builder) event(i int64, req *fasthttp.Request) {
	t := b.t
	w := append(b.body[:0], `{"type":"event","install_id":"`...)
	if j := t.recent(i, kindInstall); j >= 0 {
		w = t.appendID(w, 'i', j)
	} else {
		w = t.appendID(w, 'x', i)
	}
	p := purchases[b.rng.IntN(len(purchases))]
	w = append(w, `","event_name":"purchase","event_id":"`...)
	w = t.appendID(w, 'e', i)
	w = append(w, `","revenue":"`...)
	w = append(w, p.revenue...)
	w = append(w, `","currency":"`...)
	w = append(w, p.currency...)
	w = append(w, `"}`...)
	b.body = w
	b.post(req)
}

func (b *builder) post(req *fasthttp.Request) {
	req.Header.SetMethod(fasthttp.MethodPost)
	req.SetRequestURI(b.t.prefix + "/v1/conversions")
	req.Header.SetContentType("application/json")
	req.Header.SetUserAgent(clientAgent)
	if b.t.auth != nil {
		req.Header.SetBytesV(fasthttp.HeaderAuthorization, b.t.auth)
	}
	req.SetBody(b.body)
}

// appendID writes "<tag>-<letter><slot>", e.g. "lt3k9az-c1234".
func (t *traffic) appendID(dst []byte, letter byte, i int64) []byte {
	dst = append(dst, t.tag...)
	dst = append(dst, '-', letter)
	return strconv.AppendInt(dst, i, 10)
}

// appendQuery percent-encodes s as a query value.
func appendQuery(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for k := 0; k < len(s); k++ {
		c := s[k]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			dst = append(dst, c)
		default:
			dst = append(dst, '%', hex[c>>4], hex[c&15])
		}
	}
	return dst
}

// appendJSONString writes s as a JSON string; the agents are ASCII, but
// quotes and control bytes are escaped anyway so a new table entry cannot
// break the body.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for k := 0; k < len(s); k++ {
		switch c := s[k]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
