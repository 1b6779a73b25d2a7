package tracker

import (
	"encoding/binary"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// ParseConversionJSON parses one conversion from a JSON object into c,
// overwriting all of c. On error c holds an unspecified partial result.
//
// The object is flat: known fields take a string or a number (a number's text
// is kept as written, so revenue never passes through float64), null means
// absent, and a repeated key's last value wins, even a null. Unknown keys are
// skipped whatever their value, nested or not, as long as it is valid JSON:
// clients may send fields from a later version. Strings must be valid UTF-8
// and may not escape a lone surrogate. Errors are *FieldError, naming the
// field, or "body" for the syntax of the request as a whole.
func ParseConversionJSON(body []byte, c *Conversion) error {
	*c = Conversion{}
	if len(body) > MaxConversionBody {
		return ErrBodyTooLarge
	}
	var sp convSpans
	if err := scanConvObject(body, &sp); err != nil {
		return err
	}
	return decodeConvFields(body, &sp, c)
}

// convMaxJSONDepth bounds nesting inside skipped values; deeper input is refused
// rather than followed, so hostile input cannot grow the stack.
const convMaxJSONDepth = 64

// scan outcomes of a JSON string
const (
	convStrOK = iota
	convStrSyntax
	convStrBadUTF8
)

// scanConvObject is the first pass over a JSON body: it checks the whole of
// it and records the span of each known field's last value.
func scanConvObject(b []byte, sp *convSpans) error {
	i := convSkipSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		return &FieldError{Field: "body", Msg: "not a JSON object"}
	}
	i = convSkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return convJSONTrailing(b, i+1)
	}
	for {
		// key
		if i == len(b) || b[i] != '"' {
			return convJSONSyntaxErr(i)
		}
		end, esc, code := convScanString(b, i)
		if code != convStrOK {
			return convJSONStringErr(code, "", end)
		}
		f := convJSONKeyField(b[i+1:end-1], esc)
		i = convSkipSpace(b, end)
		if i == len(b) || b[i] != ':' {
			return convJSONSyntaxErr(i)
		}
		i = convSkipSpace(b, i+1)
		if i == len(b) {
			return convJSONSyntaxErr(i)
		}

		// value
		if f < 0 {
			j, err := convSkipValue(b, i, 0)
			if err != nil {
				return err
			}
			i = j
		} else {
			name := convFieldNames[f]
			switch c := b[i]; {
			case c == '"':
				end, esc, code := convScanString(b, i)
				if code != convStrOK {
					return convJSONStringErr(code, name, end)
				}
				kind := convSpanJSONString
				if esc {
					kind = convSpanJSONEscaped
				}
				sp[f] = convSpan{start: i + 1, end: end - 1, kind: kind}
				i = end
			case c == '-' || ('0' <= c && c <= '9'):
				end, ok := convScanNumber(b, i)
				if !ok {
					return convJSONSyntaxErr(end)
				}
				sp[f] = convSpan{start: i, end: end, kind: convSpanJSONNumber}
				i = end
			case c == 'n':
				end, ok := convScanLiteral(b, i, "null")
				if !ok {
					return convJSONSyntaxErr(i)
				}
				sp[f] = convSpan{}
				i = end
			case c == 't' || c == 'f' || c == '{' || c == '[':
				// Valid JSON, but no known field holds a boolean, object or array.
				if _, err := convSkipValue(b, i, 0); err != nil {
					return err
				}
				return &FieldError{Field: name, Msg: "must be a string or number"}
			default:
				return convJSONSyntaxErr(i)
			}
		}

		i = convSkipSpace(b, i)
		if i == len(b) {
			return convJSONSyntaxErr(i)
		}
		switch b[i] {
		case ',':
			i = convSkipSpace(b, i+1)
		case '}':
			return convJSONTrailing(b, i+1)
		default:
			return convJSONSyntaxErr(i)
		}
	}
}

// convJSONKeyField maps a raw key (between its quotes) to its field.
func convJSONKeyField(raw []byte, esc bool) int {
	if !esc {
		if len(raw) > maxConvKeyLen {
			return -1
		}
		return convFieldOf(raw)
	}
	// An escape shrinks at most 6 bytes to 1, so a longer raw key cannot
	// decode to a known name; a shorter one decodes into the stack.
	const maxRaw = 6 * maxConvKeyLen
	if len(raw) > maxRaw {
		return -1
	}
	var kb [maxRaw]byte
	return convFieldOf(convAppendJSONUnescaped(kb[:0], raw))
}

func convJSONTrailing(b []byte, i int) error {
	if i = convSkipSpace(b, i); i != len(b) {
		return &FieldError{Field: "body", Msg: "data after the JSON object at offset " + strconv.Itoa(i)}
	}
	return nil
}

func convJSONSyntaxErr(i int) error {
	return &FieldError{Field: "body", Msg: "invalid JSON at offset " + strconv.Itoa(i)}
}

// convJSONStringErr reports a bad string: invalid UTF-8 names the field whose
// value it is (or "body" for keys and unknown fields), a syntax error is the
// body's.
func convJSONStringErr(code int, field string, at int) error {
	if code == convStrBadUTF8 {
		if field != "" {
			return &FieldError{Field: field, Msg: "invalid UTF-8"}
		}
		return &FieldError{Field: "body", Msg: "invalid UTF-8 at offset " + strconv.Itoa(at)}
	}
	return convJSONSyntaxErr(at)
}

func convSkipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// convScanString checks the string starting at the quote b[i]. It returns the
// index after the closing quote, whether the string has escapes, and convStrOK;
// or, on failure, the offset of the fault and its kind.
func convScanString(b []byte, i int) (end int, esc bool, code int) {
	i++
	for {
		i += convPlainPrefix(b[i:])
		if i >= len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			return i + 1, esc, convStrOK
		case c == '\\':
			esc = true
			if i+1 == len(b) {
				return i, esc, convStrSyntax
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				r, ok := convHex4(b, i+2)
				if !ok {
					return i, esc, convStrSyntax
				}
				if utf16.IsSurrogate(rune(r)) {
					// Only a high surrogate escaped right before a low one
					// is a character; anything else cannot become UTF-8.
					if r >= 0xDC00 || i+7 >= len(b) || b[i+6] != '\\' || b[i+7] != 'u' {
						return i, esc, convStrBadUTF8
					}
					r2, ok := convHex4(b, i+8)
					if !ok {
						return i + 6, esc, convStrSyntax
					}
					if r2 < 0xDC00 || r2 > 0xDFFF {
						return i, esc, convStrBadUTF8
					}
					i += 6
				}
				i += 6
			default:
				return i, esc, convStrSyntax
			}
		case c < 0x20:
			return i, esc, convStrSyntax
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return i, esc, convStrBadUTF8
			}
			i += size
		}
	}
	return i, esc, convStrSyntax
}

// convPlainPrefix returns the length of the prefix of s that needs no
// attention inside a JSON string: printable ASCII other than '"' and '\\'.
// It tests eight bytes at a time (the SWAR "has zero byte" trick: a byte of
// v is zero when subtracting 1 from it borrows into its top bit), so ids and
// user agents are passed over a word at a time rather than a byte at a time.
func convPlainPrefix(s []byte) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64(s[i:])
		q := x ^ (lo * '"')
		bs := x ^ (lo * '\\')
		special := (x-lo*0x20)&^x | (q-lo)&^q | (bs-lo)&^bs | x
		if special&hi != 0 {
			break // the byte loop below finds which byte it is
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			break
		}
	}
	return i
}

// convHex4 reads the four hex digits of a \u escape at b[i:].
func convHex4(b []byte, i int) (uint16, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r uint16
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | uint16(c)
	}
	return r, true
}

// convAppendJSONUnescaped appends the string raw (between its quotes, already
// checked by convScanString) with its escapes decoded.
func convAppendJSONUnescaped(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			// copy the run up to the next escape in one append
			j := i + 1
			for j < len(raw) && raw[j] != '\\' {
				j++
			}
			dst = append(dst, raw[i:j]...)
			i = j
			continue
		}
		if i+1 >= len(raw) {
			return dst // unreachable for checked input
		}
		switch raw[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r1, _ := convHex4(raw, i+2)
			r := rune(r1)
			i += 6
			if utf16.IsSurrogate(r) {
				r2, _ := convHex4(raw, i+2)
				r = utf16.DecodeRune(r, rune(r2))
				i += 6
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, raw[i+1])
		}
		i += 2
	}
	return dst
}

// convScanNumber checks the number at b[i] against JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?. It returns the index after
// it, or the offset of the fault.
func convScanNumber(b []byte, i int) (int, bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i == len(b):
		return i, false
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		i = convSkipDigits(b, i)
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		j := convSkipDigits(b, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := convSkipDigits(b, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func convSkipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

func convScanLiteral(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

// convSkipValue checks and steps over any JSON value at b[i], nested ones
// included, up to convMaxJSONDepth levels.
func convSkipValue(b []byte, i, depth int) (int, error) {
	if i == len(b) {
		return i, convJSONSyntaxErr(i)
	}
	switch c := b[i]; {
	case c == '"':
		end, _, code := convScanString(b, i)
		if code != convStrOK {
			return end, convJSONStringErr(code, "", end)
		}
		return end, nil
	case c == '-' || ('0' <= c && c <= '9'):
		end, ok := convScanNumber(b, i)
		if !ok {
			return end, convJSONSyntaxErr(end)
		}
		return end, nil
	case c == 't', c == 'f', c == 'n':
		lit := "null"
		if c == 't' {
			lit = "true"
		} else if c == 'f' {
			lit = "false"
		}
		end, ok := convScanLiteral(b, i, lit)
		if !ok {
			return i, convJSONSyntaxErr(i)
		}
		return end, nil
	case c == '{' || c == '[':
		if depth >= convMaxJSONDepth {
			return i, &FieldError{Field: "body", Msg: "JSON nested too deep at offset " + strconv.Itoa(i)}
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		i = convSkipSpace(b, i+1)
		if i < len(b) && b[i] == closer {
			return i + 1, nil
		}
		for {
			if closer == '}' {
				if i == len(b) || b[i] != '"' {
					return i, convJSONSyntaxErr(i)
				}
				end, _, code := convScanString(b, i)
				if code != convStrOK {
					return end, convJSONStringErr(code, "", end)
				}
				i = convSkipSpace(b, end)
				if i == len(b) || b[i] != ':' {
					return i, convJSONSyntaxErr(i)
				}
				i = convSkipSpace(b, i+1)
			}
			j, err := convSkipValue(b, i, depth+1)
			if err != nil {
				return j, err
			}
			i = convSkipSpace(b, j)
			if i == len(b) {
				return i, convJSONSyntaxErr(i)
			}
			switch b[i] {
			case ',':
				i = convSkipSpace(b, i+1)
			case closer:
				return i + 1, nil
			default:
				return i, convJSONSyntaxErr(i)
			}
		}
	}
	return i, convJSONSyntaxErr(i)
}
