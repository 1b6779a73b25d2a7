package tracker

import (
	"bytes"
	"unicode/utf8"

	"github.com/clickedge/clickedge/store"
)

// replacementChar is U+FFFD in UTF-8, written in place of each invalid
// sequence.
const replacementChar = "\uFFFD"

// AppendSanitized appends v to dst as it is stored, and says what was wrong
// with it:
//   - invalid UTF-8 is replaced by U+FFFD (FlagBadUTF8), one per maximal
//     invalid subpart as browsers, Python and Rust decode it, so the stored
//     value reads the same wherever it is shown;
//   - the result is then cut to store.MaxValueLen bytes at a rune boundary
//     (FlagOversize), so a replacement can never push it over the limit;
//   - FlagMacro when v holds an unexpanded ad-network macro (see isMacro); the
//     value is still stored as received.
//
// It never appends more than store.MaxValueLen bytes, which is what lets
// ClickInput size its arena before parsing.
func AppendSanitized(dst, v []byte) ([]byte, store.ClickFlags) {
	var flags store.ClickFlags
	if isMacro(v) {
		flags |= store.FlagMacro
	}
	if len(v) <= store.MaxValueLen && utf8.Valid(v) {
		return append(dst, v...), flags
	}

	written, i := 0, 0
	for i < len(v) {
		n, valid := nextSequence(v[i:])
		out := n
		if !valid {
			out = len(replacementChar)
		}
		if written+out > store.MaxValueLen {
			break
		}
		if valid {
			dst = append(dst, v[i:i+n]...)
		} else {
			dst = append(dst, replacementChar...)
			flags |= store.FlagBadUTF8
		}
		written += out
		i += n
	}
	if i < len(v) {
		flags |= store.FlagOversize
		// The flags describe the value as received, not only the part kept.
		if !utf8.Valid(v[i:]) {
			flags |= store.FlagBadUTF8
		}
	}
	return dst, flags
}

// nextSequence returns the length of the UTF-8 sequence at the start of b
// (which must not be empty) and whether it is a valid rune. An invalid
// sequence is its maximal subpart (Unicode §3.9): a lead byte and those
// continuation bytes that could still have completed it, so a truncated
// "\xE2\x82" is one bad sequence and "\xFF\xFE" is two.
func nextSequence(b []byte) (n int, valid bool) {
	c := b[0]
	if c < utf8.RuneSelf {
		return 1, true
	}
	if r, size := utf8.DecodeRune(b); r != utf8.RuneError || size > 1 {
		return size, true
	}
	// The second byte of some lead bytes has a narrower range, which rules
	// out overlong forms, surrogates and code points above U+10FFFF.
	need, lo, hi := 0, byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c == 0xED:
		need, hi = 2, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default: // a stray continuation byte, C0, C1 or F5..FF
		return 1, false
	}
	n = 1
	for k := 0; k < need && n < len(b); k++ {
		x := b[n]
		if k > 0 {
			lo, hi = 0x80, 0xBF
		}
		if x < lo || x > hi {
			break
		}
		n++
	}
	return n, false
}

// maxMacroName bounds the name inside a macro, so a long value with a stray
// brace far from its partner is not taken for one.
const maxMacroName = 64

// isMacro reports whether v holds an unexpanded ad-network macro: the partner
// pasted a template and its platform never filled it in. Forms seen in the
// corpus and in network docs:
//
//	{click_id} {{click_id}} ${click_id} {campaign name}   anywhere in v
//	%7Bgaid%7D (any case, a macro that was encoded once more)  anywhere in v
//	%%CLICK_ID%%                                          anywhere in v
//	[clickid] %5Bclickid%5D #s2# __CLICKID__ _CLICKID_    the whole of v
//
// Braces and %% never occur in real ids or user agents, so they count
// anywhere. Square brackets, # and underscores do (LinkedIn's in-app user
// agent ends in "[LinkedInApp]", a sub value may be "#1"), so those forms
// count only when they are the entire value. Bare upper-case placeholders
// (CLICK_ID) cannot be told from real values and are not detected.
func isMacro(v []byte) bool {
	// Most values hold neither '{' nor '%': two quick scans settle them.
	if i := bytes.IndexByte(v, '{'); i >= 0 && hasBraceMacro(v[i:]) {
		return true
	}
	if i := bytes.IndexByte(v, '%'); i >= 0 && (hasEncodedBraceMacro(v[i:]) || hasPercentMacro(v[i:])) {
		return true
	}
	return isWrappedMacro(v)
}

// hasBraceMacro finds "{name}" anywhere; "{{name}}" and "${name}" contain it.
func hasBraceMacro(v []byte) bool {
	for i := 0; i < len(v); i++ {
		k := bytes.IndexByte(v[i:], '{')
		if k < 0 {
			return false
		}
		i += k
		j := i + 1
		for j < len(v) && j-i-1 < maxMacroName && isBraceNameByte(v[j]) {
			j++
		}
		if j < len(v) && v[j] == '}' && hasLetter(v[i+1:j]) && !isGUID(v[i+1:j]) {
			return true
		}
	}
	return false
}

// hasEncodedBraceMacro finds "%7Bname%7D" in any case anywhere in v. The name
// may itself hold escapes ("%7Bcampaign%20name%7D", "%7B%7Bx%7D%7D"), of
// bytes a name may hold: encoded JSON ("%7B%22id%22%3A42%7D", a deep
// link's state) is no macro, as "{"id":42}" is none. The name is judged as
// it reads decoded: "%7B1%2F2%7D" is "{1/2}", no macro, and a GUID with
// its dashes escaped is still a GUID.
func hasEncodedBraceMacro(v []byte) bool {
	for i := 0; i+3 <= len(v); i++ {
		k := bytes.IndexByte(v[i:], '%')
		if k < 0 {
			return false
		}
		i += k
		if !isEscape(v[i:], 'B') {
			continue
		}
		var name [36]byte // enough to tell a GUID
		n, letter := 0, false
	scan:
		for j := i + 3; j+3 <= len(v) && j-i-3 < 3*maxMacroName; j++ {
			if isEscape(v[j:], 'D') {
				if letter && !(n == len(name) && isGUID(name[:])) {
					return true
				}
				break scan
			}
			c := v[j]
			switch {
			case c == '%':
				d, ok := unescapedByte(v[j:])
				if !ok || (d != '{' && !isBraceNameByte(d)) {
					break scan
				}
				c = d
				j += 2
			case c == '+':
				c = ' '
			case !isBraceNameByte(c):
				break scan
			}
			if c == '{' { // "%7B%7Bx%7D%7D": the name follows the last brace
				n, letter = 0, false
				continue
			}
			letter = letter || c|0x20 >= 'a' && c|0x20 <= 'z'
			if n < len(name) {
				name[n] = c
			}
			n++
		}
	}
	return false
}

// isGUID reports whether b is a GUID (8-4-4-4-12 hex digits, any case):
// in the registry's braces, "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}", it is
// an id some networks send, not a macro.
func isGUID(b []byte) bool {
	if len(b) != 36 {
		return false
	}
	for i, c := range b {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if _, ok := hexDigit(c); !ok {
			return false
		}
	}
	return true
}

// unescapedByte decodes the "%XX" escape b starts with.
func unescapedByte(b []byte) (byte, bool) {
	if len(b) < 3 {
		return 0, false
	}
	hi, ok1 := hexDigit(b[1])
	lo, ok2 := hexDigit(b[2])
	return hi<<4 | lo, ok1 && ok2
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// isEscape reports whether b starts with "%7" followed by upper (or its
// lower-case form): the escape of '{' ('B') or '}' ('D').
func isEscape(b []byte, upper byte) bool {
	return len(b) >= 3 && b[0] == '%' && b[1] == '7' && (b[2] == upper || b[2] == upper+'a'-'A')
}

// hasPercentMacro finds "%%NAME%%" anywhere (DoubleClick and some SSPs).
func hasPercentMacro(v []byte) bool {
	for i := 0; i+2 <= len(v); i++ {
		k := bytes.IndexByte(v[i:], '%')
		if k < 0 {
			return false
		}
		i += k
		if i+1 >= len(v) || v[i+1] != '%' {
			continue
		}
		j := i + 2
		for j < len(v) && j-i-2 < maxMacroName && isIdentByte(v[j]) {
			j++
		}
		if j > i+2 && j+2 <= len(v) && v[j] == '%' && v[j+1] == '%' && hasLetter(v[i+2:j]) {
			return true
		}
	}
	return false
}

// isWrappedMacro reports whether the whole of v is one of the macro forms
// whose delimiters also occur in real values.
func isWrappedMacro(v []byte) bool {
	n := len(v)
	if n < 3 || n > maxMacroName+6 {
		return false
	}
	switch {
	case v[0] == '[' && v[n-1] == ']':
		return isMacroName(v[1 : n-1])
	case v[0] == '#' && v[n-1] == '#':
		return isMacroName(v[1 : n-1])
	case n > 6 && v[0] == '%' && v[1] == '5' && (v[2] == 'B' || v[2] == 'b') &&
		v[n-3] == '%' && v[n-2] == '5' && (v[n-1] == 'D' || v[n-1] == 'd'):
		return isMacroName(v[3 : n-3])
	case v[0] == '_' && v[n-1] == '_':
		// TikTok's __CLICKID__; the corpus also shows it as _CLICKID_.
		name := v[1 : n-1]
		if len(name) > 2 && name[0] == '_' && name[len(name)-1] == '_' {
			name = name[1 : len(name)-1]
		}
		return isUpperName(name)
	}
	return false
}

// isMacroName: [A-Za-z0-9_.-]+ with at least one letter.
func isMacroName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isIdentByte(c) && c != '.' && c != '-' {
			return false
		}
	}
	return hasLetter(b)
}

// isUpperName: [A-Z0-9_]+ starting and ending with a letter or digit, with at
// least one letter, so "_a_" or "___" are not macros.
func isUpperName(b []byte) bool {
	if len(b) == 0 || b[0] == '_' || b[len(b)-1] == '_' {
		return false
	}
	for _, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return hasLetter(b)
}

// isBraceNameByte: names inside braces may read like prose ("{campaign
// name}", "{partner /agency name}" in the corpus), but never hold quotes,
// colons or commas, so JSON such as {"a":1} is not a macro.
func isBraceNameByte(c byte) bool {
	return isIdentByte(c) || c == '.' || c == '-' || c == ' ' || c == '/'
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func hasLetter(b []byte) bool {
	for _, c := range b {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			return true
		}
	}
	return false
}
