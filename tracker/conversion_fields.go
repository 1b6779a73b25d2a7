package tracker

import (
	"strconv"
	"unicode/utf8"
)

// Both parsers work in two passes over the body and decode lazily, in the
// spirit of fastjson and fasthttp's Args: the first pass checks the syntax and
// only records where each known field's last value lies (a span); the second
// decodes those values, once each, into one scratch buffer and turns the
// buffer into a single string that every field slices. So a conversion costs one string
// allocation however many fields it has, earlier duplicates of a key are
// never decoded, and the body itself is never written to.

// convSpanKind says how a recorded value is encoded in the body.
type convSpanKind uint8

const (
	convSpanAbsent      convSpanKind = iota
	convSpanJSONString               // a JSON string without escapes: the bytes are the value
	convSpanJSONEscaped              // a JSON string with backslash escapes
	convSpanJSONNumber               // a JSON number: its text is the value
	convSpanForm                     // a form value: percent-encoded, '+' is a space
)

// convSpan is where a field's value lies in the body, without quotes.
type convSpan struct {
	start, end int
	kind       convSpanKind
}

type convSpans [numConvFields]convSpan

// convScratchSize is the stack buffer the values are decoded into; a realistic
// conversion is a few hundred bytes, a larger one costs one more allocation.
const convScratchSize = 1024

// decodeConvFields is the second pass: it decodes, checks and stores every
// recorded field of sp into c.
func decodeConvFields(body []byte, sp *convSpans, c *Conversion) error {
	// Decoding never makes a value longer, so the raw lengths bound the buffer.
	total := 0
	for f := range sp {
		total += sp[f].end - sp[f].start
	}
	var stack [convScratchSize]byte
	buf := stack[:0]
	if total > len(stack) {
		buf = make([]byte, 0, total)
	}

	var offs [numConvFields][2]int
	for f := 0; f < numConvFields; f++ {
		s := sp[f]
		if s.kind == convSpanAbsent {
			continue
		}
		if f == convFieldCurrency && !c.HasRevenue {
			// A currency alone means nothing: it is dropped, not checked, so
			// that {currency} never renders beside an empty {revenue}.
			continue
		}
		a := len(buf)
		var msg string
		buf, msg = convAppendSpan(buf, body[s.start:s.end], s.kind)
		if msg != "" {
			return &FieldError{Field: convFieldNames[f], Msg: msg}
		}
		v := buf[a:]
		switch f {
		case convFieldType:
			t, ok := conversionTypeOf(v)
			if !ok {
				return &FieldError{Field: "type", Msg: "unknown type " + convQuote(string(v))}
			}
			c.Type = t
			buf = buf[:a]
			continue
		case convFieldEventTime, convFieldInstallBeginTime:
			n, msg := convUnixSeconds(v)
			if msg != "" {
				return &FieldError{Field: convFieldNames[f], Msg: msg}
			}
			if f == convFieldEventTime {
				c.EventTime = n
			} else {
				c.InstallBeginTime = n
			}
			buf = buf[:a]
			continue
		case convFieldRevenue:
			if _, _, ok := convScanDecimal(v); !ok {
				return &FieldError{Field: "revenue", Msg: ErrNotDecimal.Error()}
			}
			c.HasRevenue = true
		case convFieldPlatform:
			convLowerASCII(v)
		case convFieldCurrency:
			convUpperASCII(v)
		case convFieldGAID, convFieldIDFA, convFieldOAID:
			// Neither an all-zero id nor an unexpanded macro names a
			// device: matched, either would join every such install to
			// one click.
			if convZeroAdID(v) || isMacro(v) {
				buf = buf[:a]
				continue
			}
		}
		offs[f] = [2]int{a, len(buf)}
	}

	all := string(buf) // the one allocation
	for f := range offs {
		if o := offs[f]; o[1] > o[0] {
			c.setString(f, all[o[0]:o[1]])
		}
	}
	if c.HasRevenue {
		o := offs[convFieldRevenue]
		c.Revenue = convDecimalOf(all[o[0]:o[1]])
	}
	return nil
}

// convAppendSpan appends raw decoded as kind says. A non-empty msg is the
// FieldError message for a value that cannot be decoded; only form values can
// fail here, JSON strings were checked by the first pass.
func convAppendSpan(dst, raw []byte, kind convSpanKind) ([]byte, string) {
	switch kind {
	case convSpanJSONEscaped:
		return convAppendJSONUnescaped(dst, raw), ""
	case convSpanForm:
		a := len(dst)
		var ok bool
		dst, ok = convAppendFormUnescaped(dst, raw)
		if !ok {
			return dst, "invalid percent-encoding"
		}
		if !utf8.Valid(dst[a:]) {
			return dst, "invalid UTF-8"
		}
		return dst, ""
	}
	return append(dst, raw...), ""
}

// convUnixSeconds reads a non-negative integer count of seconds: digits with
// an optional sign, nothing else ("1.0", "1e9" and "" are not integers).
func convUnixSeconds(v []byte) (int64, string) {
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	if len(v) == 0 {
		return 0, "not an integer"
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, "not an integer"
		}
	}
	for _, c := range v {
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, "out of range"
		}
		n = n*10 + d
	}
	if neg && n != 0 {
		return 0, "negative"
	}
	return n, ""
}

// convZeroAdID reports an advertising id made only of zeros and hyphens: what
// iOS and Android report when the user limits ad tracking. It identifies no
// device, and matching on it would join every such install to one click.
func convZeroAdID(v []byte) bool {
	zero := false
	for _, c := range v {
		switch c {
		case '0':
			zero = true
		case '-':
		default:
			return false
		}
	}
	return zero
}

func convLowerASCII(b []byte) {
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
}

func convUpperASCII(b []byte) {
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
}

// convEqualFold compares s to the lower-case ASCII word lower, ignoring the
// case of s's ASCII letters.
func convEqualFold[T string | []byte](s T, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// convQuote quotes a client's value for an error message, cut to 32 bytes
// at a rune boundary so that an answer never echoes a whole body back.
func convQuote(s string) string {
	const max = 32
	if len(s) <= max {
		return strconv.Quote(s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut] + "...")
}
