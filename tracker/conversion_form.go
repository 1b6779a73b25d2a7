package tracker

// ParseConversionForm parses one conversion from an
// application/x-www-form-urlencoded body into c, overwriting all of c. On
// error c holds an unspecified partial result.
//
// Field names are those of the JSON form. Keys and values are URL-decoded
// once ('+' is a space); a repeated key's last value wins and only that one is
// decoded. An empty value is absent, as a form has no null: a template that
// renders "revenue=&currency=" for an install sends no revenue. Unknown keys
// are ignored unread. A known field's bad percent-escape or invalid UTF-8 is a
// *FieldError naming it.
func ParseConversionForm(body []byte, c *Conversion) error {
	*c = Conversion{}
	if len(body) > MaxConversionBody {
		return ErrBodyTooLarge
	}
	var sp convSpans
	for i := 0; i < len(body); {
		// one key=value pair, up to the next '&'
		end := i
		for end < len(body) && body[end] != '&' {
			end++
		}
		eq := i
		for eq < end && body[eq] != '=' {
			eq++
		}
		if f := convFormKeyField(body[i:eq]); f >= 0 {
			if eq+1 < end {
				sp[f] = convSpan{start: eq + 1, end: end, kind: convSpanForm}
			} else {
				sp[f] = convSpan{} // "key=" and "key" alone: absent
			}
		}
		i = end + 1
	}
	return decodeConvFields(body, &sp, c)
}

// convFormKeyField maps a raw form key to its field. A key is decoded only when it
// has escapes; a bad escape makes it unknown.
func convFormKeyField(raw []byte) int {
	plain := true
	for _, c := range raw {
		if c == '%' || c == '+' {
			plain = false
			break
		}
	}
	if plain {
		if len(raw) > maxConvKeyLen {
			return -1
		}
		return convFieldOf(raw)
	}
	const maxRaw = 3 * maxConvKeyLen // "%XX" is the most an escape shrinks
	if len(raw) > maxRaw {
		return -1
	}
	var kb [maxRaw]byte
	k, ok := convAppendFormUnescaped(kb[:0], raw)
	if !ok {
		return -1
	}
	return convFieldOf(k)
}

// convAppendFormUnescaped appends raw URL-decoded once: "%XX" is a byte, '+' a
// space. It reports false for a '%' not followed by two hex digits.
func convAppendFormUnescaped(dst, raw []byte) ([]byte, bool) {
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case '%':
			if i+2 >= len(raw) {
				return dst, false
			}
			h, ok1 := convUnhex(raw[i+1])
			l, ok2 := convUnhex(raw[i+2])
			if !ok1 || !ok2 {
				return dst, false
			}
			dst = append(dst, h<<4|l)
			i += 2
		case '+':
			dst = append(dst, ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst, true
}

func convUnhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
