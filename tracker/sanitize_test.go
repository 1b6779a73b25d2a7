package tracker

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/clickedge/clickedge/store"
)

func TestAppendSanitized(t *testing.T) {
	const (
		bad  = store.FlagBadUTF8
		over = store.FlagOversize
		mac  = store.FlagMacro
	)
	r := strings.Repeat
	fffd := "\uFFFD"
	f := func(in, want string, wantFlags store.ClickFlags) {
		t.Helper()
		got, flags := AppendSanitized([]byte("prefix:"), []byte(in))
		if string(got) != "prefix:"+want || flags != wantFlags {
			t.Errorf("AppendSanitized(%q)\n got %q %s\nwant %q %s", in, got[7:], flagNames(flags), want, flagNames(wantFlags))
		}
		if len(got)-7 > store.MaxValueLen || !utf8.Valid(got[7:]) {
			t.Errorf("AppendSanitized(%q): %d bytes, valid %v", in, len(got)-7, utf8.Valid(got[7:]))
		}
	}

	f("", "", 0)
	f("a1b2c3d4e5", "a1b2c3d4e5", 0)
	f("é€😀", "é€😀", 0)
	f(fffd, fffd, 0) // a real U+FFFD is not an error

	// Cut at MaxValueLen on a rune boundary.
	f(r("x", 512), r("x", 512), 0)
	f(r("x", 513), r("x", 512), over)
	f(r("x", 511)+"é", r("x", 511), over)      // é would end at 513
	f(r("x", 510)+"€", r("x", 510), over)      // € would end at 513
	f(r("x", 509)+"€y", r("x", 509)+"€", over) // € ends at 512
	f(r("x", 509)+"😀", r("x", 509), over)      // 😀 would end at 513
	f(r("é", 300), r("é", 256), over)

	// Invalid UTF-8: one U+FFFD per maximal subpart (Python's and browsers'
	// decoders agree on these).
	f("a\xffb", "a"+fffd+"b", bad)
	f("\xff\xfe", r(fffd, 2), bad)
	f("\xe2\x82", fffd, bad)                   // truncated €
	f("\xe2\x82x", fffd+"x", bad)              // truncated € then ASCII
	f("\xf0\x9f\x98", fffd, bad)               // truncated 😀
	f("\xed\xa0\x80", r(fffd, 3), bad)         // a surrogate
	f("\xc0\xaf", r(fffd, 2), bad)             // overlong '/'
	f("\xe0\x80\xaf", r(fffd, 3), bad)         // overlong '/'
	f("\xf4\x90\x80\x80", r(fffd, 4), bad)     // above U+10FFFF
	f("\xf4\x8f\xbf\xbf", "\U0010FFFF", 0)     // the last code point
	f("\xc3\xa9\xa9", "é"+fffd, bad)           // stray continuation
	f("\xf8\x88\x80\x80\x80", r(fffd, 5), bad) // old 5-byte form
	// Unicode 15, table 3-8.
	f("a\xf1\x80\x80\xe1\x80\xc2b\x80c\x80\xbfd", "a"+r(fffd, 3)+"b"+fffd+"c"+r(fffd, 2)+"d", bad)

	// Replacement first, then the cut: the stored value stays ≤ 512.
	f(r("\xff", 200), r(fffd, 170), bad|over)
	f(r("x", 511)+"\xff", r("x", 511), bad|over)
	f(r("x", 512)+"\xff", r("x", 512), bad|over) // bad bytes beyond the cut still flag
	f(r("x", 509)+"\xff\xff", r("x", 509)+fffd, bad|over)

	// Macros: stored as received, flagged.
	for _, m := range []string{
		"{click_id}", "{{click_id}}", "${click_id}", "{LOGID}", "{partner_Id}", "{transaction_id}",
		"{campaign name}", "{partner /agency name}", "{app-id}", "{mt.idfa}",
		"{3F2504E0-4F89-11D3-9A0C-0305E82C330}", "{3F2504E0-4F89-11D3-9A0C-0305E82C3301-x}", // not GUIDs
		"{{3F2504E0-4F89-11D3-9A0C-0305E82C3301}} {click_id}",
		"abc_{sub1}", "id-{click_id}-x", "{ {gaid}",
		"%7Bgaid%7D", "%7bgaid%7d", "%7Bgaid%7d", "%7B%7Bclick_id%7D%7D", "%24%7Bclick_id%7D", "x%7Bcampaign%20name%7Dy",
		"%%CLICK_ID%%", "a%%TTCLID%%b",
		"[clickid]", "[your_idfa_macro]", "[CLICK_ID]", "%5Bclickid%5D", "%5bclickid%5d",
		"#s2#", "#click_id#",
		"__CLICKID__", "_CLICKID_", "__CAMPAIGN_ID__",
	} {
		f(m, m, mac)
	}
	f("{click_id}\xff", "{click_id}"+fffd, mac|bad)

	// Not macros: braces and brackets that real values hold.
	for _, v := range []string{
		"{}", "{ }", "{123}", `{"a":1}`, "{a,b}", "{" + r("a", 65) + "}",
		"%7B%7D", "%7B123%7D", "%7Ba",
		"100%%", "%%", "%%%%", "%%1%%",
		"[1]", "[]", "x[clickid]", "[clickid]x", "[LinkedInApp]/9.29.8960", "[a b]",
		"#1", "##", "#1#", "a#b#", "#a b#",
		"_abc_", "__init__", "___", "_A", "__A_B", "_1_",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) Mobile/15E148 [LinkedInApp]/9.29.8960",
		"a1b2 c3&d", "a b=c%d",
		// A GUID in the registry's braces is an id, not a macro.
		"{3F2504E0-4F89-11D3-9A0C-0305E82C3301}", "{3f2504e0-4f89-11d3-9a0c-0305e82c3301}",
		"%7B3F2504E0-4F89-11D3-9A0C-0305E82C3301%7D", "%7b3f2504e0-4f89-11d3-9a0c-0305e82c3301%7d",
	} {
		f(v, v, 0)
	}
}

func TestNextSequenceMatchesUTF8(t *testing.T) {
	// For every valid rune, nextSequence agrees with utf8.DecodeRune.
	for _, r := range []rune{0, 'a', 0x7f, 0x80, 0x7ff, 0x800, 0xfffd, 0xffff, 0x10000, 0x10ffff} {
		b := utf8.AppendRune(nil, r)
		if n, ok := nextSequence(b); n != len(b) || !ok {
			t.Errorf("%U: %d %v", r, n, ok)
		}
	}
}

// FuzzAppendSanitized checks AppendSanitized against a slow reference that
// finds maximal subparts by trying to complete them into valid UTF-8.
func FuzzAppendSanitized(f *testing.F) {
	for _, s := range []string{"", "abc", "a\xffb", "\xe2\x82", "\xf0\x9f\x98a", "\xed\xa0\x80", strings.Repeat("é\xff", 300)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		got, flags := AppendSanitized(nil, v)
		want, wantFlags := referenceSanitize(v)
		if string(got) != string(want) || flags&^store.FlagMacro != wantFlags {
			t.Fatalf("AppendSanitized(%q)\n got %q %s\nwant %q %s", v, got, flagNames(flags), want, flagNames(wantFlags))
		}
	})
}

func referenceSanitize(v []byte) ([]byte, store.ClickFlags) {
	var out []byte
	var flags store.ClickFlags
	for i := 0; i < len(v); {
		piece, n := []byte(nil), 0
		if r, size := utf8.DecodeRune(v[i:]); r != utf8.RuneError || size > 1 {
			piece, n = v[i:i+size], size
		} else {
			flags |= store.FlagBadUTF8
			n = 1
			for l := 2; l <= 3 && i+l <= len(v); l++ {
				if completes(v[i : i+l]) {
					n = l
				}
			}
			piece = []byte("\uFFFD")
		}
		if len(out)+len(piece) > store.MaxValueLen {
			flags |= store.FlagOversize
			if !utf8.Valid(v[i:]) {
				flags |= store.FlagBadUTF8
			}
			break
		}
		out = append(out, piece...)
		i += n
	}
	return out, flags
}

// completes reports whether some continuation bytes turn p into one valid
// rune.
func completes(p []byte) bool {
	for second := 0x80; second <= 0xBF; second++ {
		for size := len(p) + 1; size <= 4; size++ {
			b := append([]byte(nil), p...)
			if len(b) == 1 {
				b = append(b, byte(second))
			}
			for len(b) < size {
				b = append(b, 0x80)
			}
			if r, n := utf8.DecodeRune(b); (r != utf8.RuneError || n > 1) && n == len(b) {
				return true
			}
		}
		if len(p) > 1 {
			break // the second byte is given
		}
	}
	return false
}
