package tracker

import (
	"strings"
	"testing"
)

// FuzzIsMacro checks isMacro against a slow reference that reads the
// README's rule literally: "%7Bx%7D" is a macro exactly when "{x}" is one
// (encoded JSON is no macro, "as {"id":42} is none"; nor is a GUID in
// braces). The length limits are kept out of play (short inputs only).
func FuzzIsMacro(f *testing.F) {
	for _, s := range []string{
		"{click_id}", "%7Bgaid%7D", "%7B%7Bclick_id%7D%7D", "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}",
		"%7B3F2504E0-4F89-11D3-9A0C-0305E82C3301%7D", "%7B%22id%22%3A42%7D", "{123}", "%7B123%7D",
		"x%7Bcampaign%20name%7Dy", "%7Bcampaign+name%7D", "{1/2}", "%7B1/2%7D", "%%CLICK_ID%%", "[clickid]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if len(v) > 60 {
			return
		}
		// Encoders never escape letters: a name whose letters are all
		// escaped ("%7B%63%7D") is out of scope.
		for i := 0; i+3 <= len(v); i++ {
			if b, ok := unescapedByte([]byte(v[i:])); ok && v[i] == '%' && hasLetter([]byte{b}) {
				return
			}
		}
		got := isMacro([]byte(v))
		want := refBraceMacro(v) || refEncodedBraceMacro(v) ||
			hasPercentMacro([]byte(v)) || isWrappedMacro([]byte(v))
		if got != want {
			t.Fatalf("isMacro(%q) = %v, reference %v", v, got, want)
		}
	})
}

// refBraceName: what may stand between braces for "{name}" to be a macro.
func refBraceName(name string) bool {
	if name == "" || len(name) > maxMacroName || !hasLetter([]byte(name)) || isGUID([]byte(name)) {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isBraceNameByte(name[i]) {
			return false
		}
	}
	return true
}

func refBraceMacro(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] != '{' {
			continue
		}
		if j := strings.IndexByte(v[i+1:], '}'); j >= 0 && refBraceName(v[i+1:i+1+j]) {
			return true
		}
	}
	return false
}

// refEncodedBraceMacro decodes what lies between "%7B" and the next "%7D"
// (escapes and '+') and judges the decoded name as a braced one; a '{'
// inside it is a doubled brace, "%7B%7Bx%7D%7D", and the name is what
// follows the last.
func refEncodedBraceMacro(v string) bool {
	lv := []byte(v)
	for i, c := range lv {
		if c >= 'A' && c <= 'Z' {
			lv[i] = c + 'a' - 'A'
		}
	}
	for i := 0; i+3 <= len(v); i++ {
		if string(lv[i:i+3]) != "%7b" {
			continue
		}
		j := strings.Index(string(lv[i+3:]), "%7d")
		if j < 0 {
			return false
		}
		raw := v[i+3 : i+3+j]
		var dec []byte
		ok := true
		for k := 0; k < len(raw); k++ {
			switch c := raw[k]; {
			case c == '%':
				b, good := unescapedByte([]byte(raw[k:]))
				if !good {
					ok = false
				}
				dec = append(dec, b)
				k += 2
			case c == '+':
				dec = append(dec, ' ')
			case c == '{':
				ok = false // a raw brace inside an encoded one: out of scope
			default:
				dec = append(dec, c)
			}
			if !ok {
				break
			}
		}
		if !ok {
			continue
		}
		name := string(dec)
		if k := strings.LastIndexByte(name, '{'); k >= 0 {
			name = name[k+1:]
		}
		if refBraceName(name) {
			return true
		}
	}
	return false
}
