package dispatch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestURLEncodeEveryByte checks each of the 256 byte values against the rule
// written out by hand: unreserved bytes stay, every other byte is %XX.
func TestURLEncodeEveryByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		var want string
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
			want = string(rune(c))
		default:
			want = fmt.Sprintf("%%%02X", c)
		}
		if got := string(AppendURLEncoded(nil, []byte{byte(c)})); got != want {
			t.Errorf("byte %#02x: got %q; want %q", c, got, want)
		}
	}
}

// TestURLEncodeClasses names the byte classes partners get wrong most.
func TestURLEncodeClasses(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := string(AppendURLEncoded(nil, []byte(in))); got != want {
			t.Errorf("encode(%q) = %q; want %q", in, got, want)
		}
	}
	f("", "")
	f("AZaz09-._~", "AZaz09-._~")
	f(" ", "%20")                                                                 // never '+'
	f("+", "%2B")                                                                 // a literal plus survives a form decoder
	f("%", "%25")                                                                 // no double-decoding ambiguity
	f("&=?#/;:@[]!$'()*,", "%26%3D%3F%23%2F%3B%3A%40%5B%5D%21%24%27%28%29%2A%2C") // gen-delims and sub-delims
	f("\"<>\\^`{|}", "%22%3C%3E%5C%5E%60%7B%7C%7D")
	f("\x00\t\n\r\x1f\x7f", "%00%09%0A%0D%1F%7F")
	f("é", "%C3%A9")
	f("☕", "%E2%98%95")
	f("😀", "%F0%9F%98%80")
	f("\xff\xfe", "%FF%FE") // invalid UTF-8 is encoded byte for byte, not replaced
	f("a b", "a%20b")
}

// TestURLEncodeMatchesNetURL compares with net/url, an encoder written
// independently: QueryEscape keeps the same unreserved set and writes space
// as '+', which is the one difference.
func TestURLEncodeMatchesNetURL(t *testing.T) {
	for _, s := range encodeSamples() {
		want := strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
		if got := string(AppendURLEncoded(nil, []byte(s))); got != want {
			t.Errorf("encode(%q) = %q; net/url gives %q", s, got, want)
		}
		back, err := url.PathUnescape(string(AppendURLEncoded(nil, []byte(s))))
		if err != nil || back != s {
			t.Errorf("PathUnescape(encode(%q)) = %q, %v", s, back, err)
		}
	}
}

// TestJSONEscapeMatchesEncodingJSON compares with encoding/json (HTML
// escaping off): the value must read back as the same string, with invalid
// UTF-8 replaced.
func TestJSONEscapeMatchesEncodingJSON(t *testing.T) {
	for _, s := range encodeSamples() {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSuffix(buf.String(), "\n")
		want = want[1 : len(want)-1]
		if got := string(appendJSONEscaped(nil, []byte(s))); got != want {
			t.Errorf("escape(%q) = %s; encoding/json gives %s", s, got, want)
		}
	}
}

func encodeSamples() []string {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	return []string{
		"", "a1b2 c3&d", "xYz-789_~.", "café ☕", "a+b=c%d", "Diwali Sale 50% off & more",
		"2001:db8:85a3::8a2e:370:7334", "2025-11-26T00:00:00Z", "{click_id}", "%7Bgaid%7D",
		"\"quoted\" \\ back", "line\nbreak\r\n\ttab", "\u2028\u2029", "😀\U0010FFFF",
		"\xff\xfe\xfd", "\xc3", "a\xe2\x98b", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		string(all),
	}
}
