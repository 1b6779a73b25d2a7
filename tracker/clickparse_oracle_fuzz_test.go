package tracker

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzClickParseOracle: the values Parse stores are those a plain reading of
// CONTRACT §3 gives: the query split at '&' and '=', each part decoded once
// ('+' a space, a bad escape left as it is), a named parameter winning over
// its aliases, otherwise the first non-empty occurrence, an all-zero oaid
// counting as absent, each value sanitized (AppendSanitized).
func FuzzClickParseOracle(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 14, 15, 21}, "abc\x00x y\x00%41\x00\x00s&2\x00000-0\x00v", uint8(1))
	f.Add([]byte{1, 0, 16, 6, 18, 7}, "t\x00c\x00a\x00s\x00b\x00d", uint8(0))
	f.Add([]byte{3, 5, 11, 9, 19, 20}, "{click_id}\x00%7Bx%7D\x00%zz\x00+\x00\xff\xfe\x00é", uint8(0xff))
	keys := []string{"click_id", "tid", "clickid", "aff_id", "pub_id", "offer_id", "creative_id",
		"sub1", "af_sub1", "sub2", "s2", "af_sub2", "sub3", "s3", "af_sub3", "sub4", "s4", "af_sub4",
		"sub5", "af_sub5", "oaid", "ip", "af_ip", "x"}
	fieldOf := map[string]string{"tid": "click_id", "clickid": "click_id", "af_sub1": "sub1", "s2": "sub2", "af_sub2": "sub2",
		"s3": "sub3", "af_sub3": "sub3", "s4": "sub4", "af_sub4": "sub4", "af_sub5": "sub5", "af_ip": "ip"}
	f.Fuzz(func(t *testing.T, sel []byte, vals string, escape uint8) {
		parts := strings.Split(vals, "\x00")
		var q []string
		for i, s := range sel {
			if i >= len(parts) {
				break
			}
			v := parts[i]
			if escape>>(i%8)&1 == 1 {
				v = url.QueryEscape(v)
			}
			q = append(q, keys[int(s)%len(keys)]+"="+v)
		}
		query := strings.Join(q, "&")

		// The oracle.
		named, aliased := map[string]string{}, map[string]string{}
		for _, pair := range strings.Split(query, "&") {
			k, v, _ := strings.Cut(pair, "=")
			k, v = convUnescapeLenient(k), convUnescapeLenient(v)
			name, alias := fieldOf[k]
			if !alias {
				name = k
			}
			if v == "" || name == "oaid" && strings.Trim(v, "-") != "" && strings.Trim(v, "0-") == "" {
				continue
			}
			m := named
			if alias {
				m = aliased
			}
			if _, ok := m[name]; !ok {
				m[name] = v
			}
		}
		want := map[string]string{}
		for _, name := range []string{"click_id", "aff_id", "pub_id", "offer_id", "creative_id", "sub1", "sub2", "sub3", "sub4", "sub5", "oaid", "ip"} {
			v, ok := named[name]
			if !ok {
				v, ok = aliased[name]
			}
			if ok {
				s, _ := AppendSanitized(nil, []byte(v))
				want[name] = string(s)
			}
		}

		var in ClickInput
		parseQuery(t, &in, query, "")
		c := &in.Click
		got := map[string][]byte{"click_id": c.ClickID, "aff_id": c.AffID, "pub_id": c.PubID, "offer_id": c.OfferID,
			"creative_id": c.CreativeID, "sub1": c.Sub[0], "sub2": c.Sub[1], "sub3": c.Sub[2], "sub4": c.Sub[3], "sub5": c.Sub[4],
			"oaid": c.OAID, "ip": c.IP}
		for name, g := range got {
			w, ok := want[name]
			if ok != (g != nil) || string(g) != w {
				t.Fatalf("query %q: %s = %q (set %v), want %q (set %v)", query, name, g, g != nil, w, ok)
			}
		}
	})
}
