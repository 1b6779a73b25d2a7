package tracker

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzNDJSONLines: the lines fn sees are the body's lines, in order, each
// without its "\n" and one trailing "\r", blank ones skipped, numbered
// 0, 1, 2...; what is skipped is only blank.
func FuzzNDJSONLines(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n\n{\"b\":2}\r\n \t\r\n{}"))
	f.Add([]byte("\r\r\n\r"))
	f.Add([]byte("x\r\r\ny\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		var got [][]byte
		ForEachNDJSONLine(body, func(i int, line []byte) {
			if i != len(got) {
				t.Fatalf("index %d for line %d", i, len(got))
			}
			got = append(got, line)
		})
		var want [][]byte
		if len(body) > 0 {
			for _, l := range bytes.Split(body, []byte("\n")) {
				l = bytes.TrimSuffix(l, []byte("\r"))
				if len(bytes.Trim(l, " \t\r")) == 0 {
					continue
				}
				want = append(want, l)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d lines, want %d", body, len(got), len(want))
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("%q: line %d %q, want %q", body, i, got[i], want[i])
			}
		}
	})
}

// FuzzReferrerRoundTrip: the click_id the edge puts in a Play referrer comes
// back from ClickIDFromReferrer, whether the app forwards the referrer as
// Play hands it (decoded once) or still encoded as in the Location URL.
func FuzzReferrerRoundTrip(f *testing.F) {
	f.Add("a1b2 c3&d", "demo")
	f.Add("click_id=x", "c&click_id=y")
	f.Add("%zz+%41", "OgWmhiSXhG")
	f.Add("é", "camp aign")
	f.Fuzz(func(t *testing.T, clickID, campaign string) {
		if clickID == "" || !utf8.ValidString(clickID) {
			return // never credited by a referrer
		}
		loc := AppendLocation(nil, "https://play.google.com/store/apps/details?id=com.example.app", []byte(clickID), []byte(campaign))
		u, err := url.Parse(string(loc))
		if err != nil {
			t.Fatalf("Location %q does not parse: %v", loc, err)
		}
		q := u.Query()
		if q.Get("id") != "com.example.app" {
			t.Fatalf("Location %q lost id=", loc)
		}
		ref := q.Get("referrer") // what Play hands the app
		if got := ClickIDFromReferrer(ref); got != clickID {
			t.Fatalf("referrer %q (Location %q): click_id %q, want %q", ref, loc, got, clickID)
		}
		raw := string(loc[strings.Index(string(loc), "referrer=")+len("referrer="):])
		if got := ClickIDFromReferrer(raw); got != clickID {
			t.Fatalf("still-encoded referrer %q: click_id %q, want %q", raw, got, clickID)
		}
		// The campaign it names is the click's campaign.
		inner, err := url.ParseQuery(ref)
		if err != nil || inner.Get("c") != campaign || inner.Get("click_id") != clickID {
			t.Fatalf("referrer %q reads as %v, %v", ref, inner, err)
		}
	})
}
